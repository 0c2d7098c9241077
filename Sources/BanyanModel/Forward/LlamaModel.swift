import BanyanKV
import BanyanKernels
import BanyanWeights
import Foundation

/// What one sequence contributes to an engine step.
public struct StepInput: Sendable {
    public enum Outputs: Sendable { case none, last, all }
    public var sequence: SequenceID
    /// Tokens appended to the sequence in this step (one for decoding, many for prefill / extend).
    public var tokens: [Int32]
    /// Which of the new positions return logits and hidden states.
    public var outputs: Outputs

    public init(sequence: SequenceID, tokens: [Int32], outputs: Outputs = .last) {
        self.sequence = sequence
        self.tokens = tokens
        self.outputs = outputs
    }
}

/// Per-sequence results of a step: one row per requested position.
public struct StepOutput: Sendable {
    public let sequence: SequenceID
    public let rows: Int
    /// `rows × vocabularySize` logits.
    public let logits: [Float]
    /// `rows × embeddingWidth` final hidden states (after the output norm), what a PRM head reads.
    public let hidden: [Float]
    public let vocabularySize: Int

    /// Logits of row `r` (the last requested row by default).
    public func logitsRow(_ r: Int? = nil) -> ArraySlice<Float> {
        let row = r ?? rows - 1
        return logits[(row * vocabularySize)..<((row + 1) * vocabularySize)]
    }
}

/// A Llama model ready to run: config, weights bound into the mapping, and the forward pass.
///
/// `step` advances many sequences at once: all their new tokens go through each weight matrix
/// together, so the weights are read once per step however many sequences there are.
public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    public let pool: ThreadPool
    let rope: Rope
    /// Files the weights live in, kept mapped.
    public let sourceDescription: String
    /// How arithmetic is rounded: `.llamaCpp` (the default) matches llama.cpp's CPU backend,
    /// `.exact` keeps everything in f32.
    public var numerics: Numerics = .llamaCpp
    var attentionPrecision: AttentionPrecision { numerics.attention }
    /// How attention reads prefixes that sequences share (see `AttentionStrategy`).
    public var attentionStrategy: AttentionStrategy = .sharedPrefix
    /// Shortest shared prefix, in tokens, worth a separate pass.
    public var minimumSharedPrefix = 32
    /// What the last `step` did in attention, and how long it took.
    public private(set) var lastProfile = AttentionProfile()

    public init(config: LlamaConfig, weights: LlamaWeights, pool: ThreadPool = .shared, source: String = "") {
        self.config = config
        self.weights = weights
        self.pool = pool
        self.rope = Rope(config: config, layout: weights.ropeLayout)
        self.sourceDescription = source
    }

    /// Loads a GGUF file or a safetensors checkpoint directory.
    public convenience init(path: String, threads: Int? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelLoadError.notAModel(path: path, detail: "no such file or directory")
        }
        let pool = threads.map { ThreadPool(threads: $0) } ?? .shared
        if isDirectory.boolValue {
            let ckpt = try SafetensorsCheckpoint(directory: path)
            let config = try LlamaConfig(hf: ckpt.config)
            let weights = try LlamaWeights(config: config, ropeLayout: .halfSplit) {
                ckpt.tensor(named: LlamaWeights.huggingFaceName($0))
            }
            self.init(config: config, weights: weights, pool: pool, source: path)
        } else {
            let gguf = try GGUFFile(path: path)
            let config = try LlamaConfig(gguf: gguf)
            let weights = try LlamaWeights(config: config, ropeLayout: .adjacentPairs, lookup: gguf.tensor(named:))
            self.init(config: config, weights: weights, pool: pool, source: path)
        }
    }

    /// A KV cache shaped for this model; its elements are f16 under llama.cpp numerics, else f32.
    public func makeCache(capacityTokens: Int = 65_536, pageSize: Int = 16,
                          elementType: KVElementType? = nil) throws(KVCacheError) -> KVCache {
        let type = elementType ?? (numerics.attention == .f16 ? .f16 : .f32)
        return try KVCache(geometry: KVGeometry(layers: config.layerCount, kvWidth: config.kvWidth, pageSize: pageSize,
                                                elementType: type),
                           capacityTokens: capacityTokens)
    }

    /// Scratch for one step, freed when the step ends.
    private struct Buffers {
        let x, h, q, k, v, attention, gate, up: UnsafeMutablePointer<Float>
        init(tokens t: Int, _ c: LlamaConfig) {
            x = .allocate(capacity: t * c.embeddingWidth)
            h = .allocate(capacity: t * c.embeddingWidth)
            q = .allocate(capacity: t * c.queryWidth)
            k = .allocate(capacity: t * c.kvWidth)
            v = .allocate(capacity: t * c.kvWidth)
            attention = .allocate(capacity: t * c.queryWidth)
            gate = .allocate(capacity: t * c.feedForwardWidth)
            up = .allocate(capacity: t * c.feedForwardWidth)
        }
        func free() { for p in [x, h, q, k, v, attention, gate, up] { p.deallocate() } }
    }

    /// Runs one forward step over the new tokens of every input sequence.
    public func step(_ inputs: [StepInput], cache: KVCache) throws -> [StepOutput] {
        let c = config
        // Where each new token lives: its sequence's block table after reserving, and its position.
        struct Row { let input: Int; let position: Int; let page: Int32; let slot: Int32 }
        var rows: [Row] = []
        var tables: [[Int32]] = []
        for input in inputs {
            guard !input.tokens.isEmpty else { throw ModelRunError.emptyInput(input.sequence.rawValue) }
            for t in input.tokens where t < 0 || Int(t) >= c.vocabularySize {
                throw ModelRunError.tokenOutOfRange(t, vocabularySize: c.vocabularySize)
            }
            let start = try cache.length(of: input.sequence)
            guard start + input.tokens.count <= c.contextLength else {
                throw ModelRunError.contextExceeded(needed: start + input.tokens.count, context: c.contextLength)
            }
        }
        let stepStart = MonotonicClock.seconds()
        cache.advanceStep()
        var reserved: [(SequenceID, Int)] = []
        var starts: [Int] = [], firstRow: [Int] = []
        do {
            for (i, input) in inputs.enumerated() {
                let start = try cache.length(of: input.sequence)
                firstRow.append(rows.count)
                let slots = try cache.reserve(input.sequence, tokens: input.tokens.count)
                reserved.append((input.sequence, start))
                starts.append(start)
                for (j, s) in slots.enumerated() { rows.append(Row(input: i, position: start + j, page: s.page, slot: s.slot)) }
                tables.append(try cache.blockTable(of: input.sequence))
            }
        } catch {
            // The pool ran out part way: give back what this step took, so every sequence is as before.
            for (s, start) in reserved { try? cache.truncate(s, to: start) }
            throw error
        }
        let tokens = inputs.flatMap(\.tokens)
        let n = tokens.count
        let b = Buffers(tokens: n, c)
        defer { b.free() }
        let e = c.embeddingWidth, kvw = c.kvWidth, qw = c.queryWidth, ff = c.feedForwardWidth

        // Embeddings.
        let embd = weights.tokenEmbedding
        for (r, t) in tokens.enumerated() {
            Dequantize.row(embd.type, embd.baseAddress + Int(t) * embd.rowBytes, b.x + r * e, count: e)
        }

        // RoPE angles depend only on each row's position: once per step, shared by all layers.
        let ropeTable = UnsafeMutablePointer<Float>.allocate(capacity: n * c.headDim)
        defer { ropeTable.deallocate() }
        for (r, row) in rows.enumerated() { rope.angles(position: row.position, into: ropeTable + r * c.headDim) }
        var plan = AttentionPlan(strategy: attentionStrategy, starts: starts, counts: inputs.map(\.tokens.count), tables: tables,
                                 firstRow: firstRow, pageSize: cache.geometry.pageSize, chunk: AttentionChunks.size,
                                 minimumSharedPrefix: minimumSharedPrefix)
        let positions = rows.map(\.position)

        for (l, layer) in weights.layers.enumerated() {
            // Attention block.
            layer.attentionNorm.withUnsafeBufferPointer { w in
                for r in 0..<n { VectorMath.rmsNorm(b.x + r * e, w.baseAddress!, b.h + r * e, count: e, epsilon: c.rmsEpsilon) }
            }
            MatMul.linear(b.h, rows: n, weights: [layer.query, layer.key, layer.value], [b.q, b.k, b.v], pool: pool,
                          quantizeActivations: numerics.quantizeActivations)
            for (r, row) in rows.enumerated() {
                rope.apply(b.q + r * qw, heads: c.headCount, table: ropeTable + r * c.headDim)
                rope.apply(b.k + r * kvw, heads: c.kvHeadCount, table: ropeTable + r * c.headDim)
                cache.write(layer: l, page: row.page, slot: Int(row.slot), key: b.k + r * kvw, value: b.v + r * kvw)
            }
            let attentionStart = MonotonicClock.seconds()
            attend(layer: l, plan: plan, positions: positions, q: b.q, out: b.attention, cache: cache)
            plan.profile.attentionSeconds += MonotonicClock.seconds() - attentionStart
            MatMul.linear(b.attention, rows: n, weight: layer.attentionOutput, b.h, pool: pool, quantizeActivations: numerics.quantizeActivations)
            for i in 0..<(n * e) { b.x[i] += b.h[i] }

            // Feed-forward block (SwiGLU).
            layer.feedForwardNorm.withUnsafeBufferPointer { w in
                for r in 0..<n { VectorMath.rmsNorm(b.x + r * e, w.baseAddress!, b.h + r * e, count: e, epsilon: c.rmsEpsilon) }
            }
            MatMul.linear(b.h, rows: n, weights: [layer.gate, layer.up], [b.gate, b.up], pool: pool,
                          quantizeActivations: numerics.quantizeActivations)
            for r in 0..<n { VectorMath.swiGLU(b.gate + r * ff, b.up + r * ff, count: ff) }
            MatMul.linear(b.gate, rows: n, weight: layer.down, b.h, pool: pool, quantizeActivations: numerics.quantizeActivations)
            for i in 0..<(n * e) { b.x[i] += b.h[i] }
        }

        // Output norm and LM head, only for the rows asked for.
        var outputs: [StepOutput] = []
        var first = 0
        for input in inputs {
            let count = input.tokens.count
            let wanted: Range<Int>
            switch input.outputs {
            case .none: wanted = 0..<0
            case .last: wanted = (count - 1)..<count
            case .all: wanted = 0..<count
            }
            var hidden = [Float](repeating: 0, count: wanted.count * e)
            var logits = [Float](repeating: 0, count: wanted.count * c.vocabularySize)
            if !wanted.isEmpty {
                hidden.withUnsafeMutableBufferPointer { hb in
                    weights.outputNorm.withUnsafeBufferPointer { w in
                        for (k, r) in wanted.enumerated() {
                            VectorMath.rmsNorm(b.x + (first + r) * e, w.baseAddress!, hb.baseAddress! + k * e, count: e, epsilon: c.rmsEpsilon)
                        }
                    }
                    logits.withUnsafeMutableBufferPointer { lb in
                        MatMul.linear(hb.baseAddress!, rows: wanted.count, weight: weights.output, lb.baseAddress!, pool: pool, quantizeActivations: numerics.quantizeActivations)
                    }
                }
            }
            outputs.append(StepOutput(sequence: input.sequence, rows: wanted.count, logits: logits, hidden: hidden,
                                      vocabularySize: c.vocabularySize))
            first += count
        }
        plan.profile.stepSeconds = MonotonicClock.seconds() - stepStart
        lastProfile = plan.profile
        return outputs
    }

    /// Attention of every new row: first over shared prefixes (each prefix chunk converted once for all
    /// of its group's queries), then each sequence over its own keys, continuing the same running
    /// softmax state. Work is split by chunks of query rows and by KV head.
    private func attend(layer l: Int, plan: AttentionPlan, positions: [Int], q: UnsafeMutablePointer<Float>,
                        out: UnsafeMutablePointer<Float>, cache: KVCache) {
        let c = config
        let hd = c.headDim, qw = c.queryWidth, group = c.groupSize, heads = c.headCount
        let scale = 1 / Float(hd).squareRoot()
        let precision = attentionPrecision
        let chunk = AttentionChunks.size
        let rowCount = positions.count
        // Running state per (row, head): max score, weight sum, unnormalized output.
        let stateM = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * heads)
        let stateL = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * heads)
        stateM.initialize(repeating: -.infinity, count: rowCount * heads)
        stateL.initialize(repeating: 0, count: rowCount * heads)
        out.initialize(repeating: 0, count: rowCount * qw)
        defer { stateM.deallocate(); stateL.deallocate() }

        struct Job { let unit: AttentionPlan.Unit; let rows: ArraySlice<Int>; let kvHead: Int }
        for units in [plan.prefixes, plan.own] where !units.isEmpty {
            var jobs: [Job] = []
            for unit in units {
                for lo in stride(from: 0, to: unit.rows.count, by: 64) {
                    let rows = unit.rows[lo..<min(lo + 64, unit.rows.count)]
                    for h in 0..<c.kvHeadCount { jobs.append(Job(unit: unit, rows: rows, kvHead: h)) }
                }
            }
            pool.parallelFor(jobs.count) { j in
                let job = jobs[j], unit = job.unit
                let last = unit.causal ? job.rows.map { positions[$0] }.max()! + 1 : unit.keys.upperBound
                let keys = unit.keys.lowerBound..<min(unit.keys.upperBound, last)
                let m = job.rows.count * group
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * chunk * hd + m * hd + chunk + 8)
                defer { scratch.deallocate() }
                let kb = scratch, vb = kb + chunk * hd, qb = vb + chunk * hd, sb = qb + m * hd
                // q meets the f16 keys at f16 precision, and weights meet V at f16 (llama.cpp's numerics).
                for (a, r) in job.rows.enumerated() {
                    for g in 0..<group {
                        let src = q + r * qw + (job.kvHead * group + g) * hd, dst = qb + (a * group + g) * hd
                        for i in 0..<hd { dst[i] = precision.round(src[i]) }
                    }
                }
                var start = keys.lowerBound / chunk * chunk
                while start < keys.upperBound {
                    let span = max(start, keys.lowerBound)..<min(start + chunk, keys.upperBound)
                    cache.gather(layer: l, table: unit.table, positions: span,
                                 columns: (job.kvHead * hd)..<((job.kvHead + 1) * hd), keys: kb, values: vb)
                    for (a, r) in job.rows.enumerated() {
                        let visible = unit.causal ? min(span.upperBound, positions[r] + 1) - span.lowerBound : span.count
                        guard visible > 0 else { continue }
                        for g in 0..<group {
                            let head = job.kvHead * group + g
                            OnlineAttention.accumulate(query: qb + (a * group + g) * hd, keys: kb, values: vb, count: visible,
                                                       headSize: hd, scale: scale, scores: sb, roundWeightsToHalf: precision == .f16,
                                                       m: &stateM[r * heads + head], l: &stateL[r * heads + head],
                                                       o: out + r * qw + head * hd)
                        }
                    }
                    start += chunk
                }
            }
        }
        for r in 0..<rowCount {
            for head in 0..<heads {
                let inverse = 1 / stateL[r * heads + head]
                let o = out + r * qw + head * hd
                for i in 0..<hd { o[i] *= inverse }
            }
        }
    }
}

/// Why a step could not run.
public enum ModelRunError: Error, Equatable, CustomStringConvertible {
    case emptyInput(Int)
    case tokenOutOfRange(Int32, vocabularySize: Int)
    case contextExceeded(needed: Int, context: Int)

    public var description: String {
        switch self {
        case .emptyInput(let s): return "sequence \(s) was given no tokens"
        case .tokenOutOfRange(let t, let v): return "token id \(t) is outside the vocabulary (0..<\(v))"
        case .contextExceeded(let n, let ctx): return "\(n) tokens exceed the model's context of \(ctx)"
        }
    }
}


/// Number format of the KV cache and attention products.
public enum AttentionPrecision: String, Sendable, CaseIterable {
    case f16, f32

    @inline(__always) func round(_ x: Float) -> Float {
        self == .f16 ? Float(Float16(x)) : x
    }
}

/// The rounding choices of a forward pass.
public struct Numerics: Sendable, Equatable {
    /// Quantize activations to 8 bits before Q4/Q5/Q8 matmuls (llama.cpp does; faster, slightly less exact).
    public var quantizeActivations: Bool
    /// Number format of cached K/V and the attention products.
    public var attention: AttentionPrecision

    public init(quantizeActivations: Bool, attention: AttentionPrecision) {
        self.quantizeActivations = quantizeActivations
        self.attention = attention
    }

    /// llama.cpp's CPU defaults: 8-bit activations, f16 KV cache.
    public static let llamaCpp = Numerics(quantizeActivations: true, attention: .f16)
    /// Float32 throughout (dequantized weights): the reference for other paths.
    public static let exact = Numerics(quantizeActivations: false, attention: .f32)
}
