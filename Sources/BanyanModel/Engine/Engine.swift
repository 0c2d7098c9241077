import BanyanKV
import BanyanKernels

/// How many tokens an engine's KV cache can hold. The cache reserves address space for all of them and
/// the kernel commits memory only for pages written, so the default is generous: no caller sizes a cache.
public struct KVCapacity: Sendable, Equatable {
    public var tokens: Int
    public init(tokens: Int) { self.tokens = tokens }

    /// 262,144 tokens, or fewer for models whose tokens are so large that the reservation would pass
    /// 64 GiB of address space.
    public static func generous(for geometry: KVGeometry) -> KVCapacity {
        KVCapacity(tokens: max(geometry.pageSize, min(262_144, (64 << 30) / max(geometry.tokenBytes, 1))))
    }
}

/// The model, one paged KV cache and how they run: what every command, search and the server use.
///
/// Sequences live in the cache; `step` advances any set of them by their new tokens in one forward pass.
/// A step first reserves every input's KV slots; if the pool runs out part way it gives back what it took,
/// so a failed step changes nothing. Identity matters (sequences live here), hence a class; not
/// thread-safe: one caller drives an engine.
public final class Engine {
    public let model: LlamaModel
    public let cache: KVCache
    public let numerics: Numerics
    /// How attention reads prefixes that sequences share (results are bitwise the same either way).
    public var attentionStrategy: AttentionStrategy = .sharedPrefix
    /// Shortest shared prefix, in tokens, worth a separate attention pass.
    public var minimumSharedPrefix = 32
    /// Layers whose outputs every step also returns for the rows asked for (`StepOutput.layerHidden`),
    /// read by PRM heads on several layers; set it with `setFeatureLayers`.
    public private(set) var featureLayers: [Int] = []
    /// What the last `step` did in attention, and how long it took.
    public private(set) var lastProfile = AttentionProfile()
    private let state: RunState
    /// The step being built, kept between steps for its buffers.
    private var batch = StepBatch()

    public init(model: LlamaModel, capacity: KVCapacity? = nil, pageSize: Int = 16, kvType: KVElementType? = nil,
                numerics: Numerics = .llamaCpp) throws(KVCacheError) {
        self.model = model
        self.numerics = numerics
        let geometry = model.kvGeometry(pageSize: pageSize, elementType: kvType, numerics: numerics)
        cache = try KVCache(geometry: geometry, capacityTokens: (capacity ?? .generous(for: geometry)).tokens)
        state = RunState(model.config)
    }

    public var config: LlamaConfig { model.config }

    /// Chooses the layers returned in `StepOutput.layerHidden` (0-based, each below the layer count).
    public func setFeatureLayers(_ layers: [Int]) throws(ModelRunError) {
        for l in layers where !(0..<model.config.layerCount).contains(l) {
            throw ModelRunError.noSuchLayer(l, layers: model.config.layerCount)
        }
        featureLayers = layers
    }

    // MARK: sequences

    public func createSequence() -> SequenceID { cache.createSequence() }
    public func fork(_ s: SequenceID, count: Int = 1) throws(KVCacheError) -> [SequenceID] { try cache.fork(s, count: count) }
    public func free(_ s: SequenceID) throws(KVCacheError) { try cache.free(s) }
    public func truncate(_ s: SequenceID, to length: Int) throws(KVCacheError) { try cache.truncate(s, to: length) }
    public func length(of s: SequenceID) throws(KVCacheError) -> Int { try cache.length(of: s) }

    // MARK: the step

    /// Runs one forward step over the new tokens of every input sequence.
    public func step(_ inputs: [StepInput]) throws -> [StepOutput] {
        var outputs: [StepOutput] = []
        try step(inputs, into: &outputs)
        return outputs
    }

    /// Runs one forward step, refilling `outputs` (one per input, in order) in place. A caller that keeps
    /// its inputs and outputs between steps (a decode loop) makes steps that allocate nothing once warm.
    public func step(_ inputs: [StepInput], into outputs: inout [StepOutput]) throws {
        let c = model.config
        for (i, input) in inputs.enumerated() {
            guard !input.tokens.isEmpty else { throw ModelRunError.emptyInput(input.sequence.rawValue) }
            for j in 0..<i where inputs[j].sequence == input.sequence {
                throw ModelRunError.duplicateSequence(input.sequence.rawValue)
            }
            for t in input.tokens where t < 0 || Int(t) >= c.vocabularySize {
                throw ModelRunError.tokenOutOfRange(t, vocabularySize: c.vocabularySize)
            }
            let start = try cache.length(of: input.sequence)
            guard start + input.tokens.count <= c.contextLength else {
                throw ModelRunError.contextExceeded(needed: start + input.tokens.count, context: c.contextLength)
            }
        }
        let stepStart = MonotonicClock.seconds()
        try reserve(inputs)
        cache.advanceStep()
        let options = ForwardOptions(numerics: numerics, attentionStrategy: attentionStrategy,
                                     minimumSharedPrefix: minimumSharedPrefix, featureLayers: featureLayers)
        // A local is passed to the forward pass without copying (or retaining) the batch's buffers.
        var batch = StepBatch()
        swap(&batch, &self.batch)
        defer { swap(&batch, &self.batch) }
        lastProfile = model.forward(batch, cache: cache, options: options, state: state, into: &outputs)
        lastProfile.stepSeconds = MonotonicClock.seconds() - stepStart
    }

    /// Reserves every input's KV slots into `batch`; on a full pool, rolls back what this step took and rethrows.
    private func reserve(_ inputs: [StepInput]) throws(KVCacheError) {
        batch.clear()
        do {
            for input in inputs {
                let start = try cache.length(of: input.sequence)
                batch.slots.removeAll(keepingCapacity: true)
                try cache.reserve(input.sequence, tokens: input.tokens.count, appendingSlotsTo: &batch.slots)
                batch.append(input, start: start)
                try cache.appendBlockTable(of: input.sequence, to: &batch.pages)
                batch.endTable()
            }
        } catch {
            // Every input in `batch` reserved its slots; the one that failed took none.
            for (input, start) in zip(inputs, batch.starts) { try? cache.truncate(input.sequence, to: start) }
            throw error
        }
    }

    // MARK: figures

    public var statistics: KVStatistics { cache.statistics }
    public var physicalKVBytes: Int { cache.physicalBytes }
}
