import BanyanKV
import BanyanModel
import BanyanTokenizer

/// What search needs from a language model: sequences it can prefill, fork and advance together, one
/// token each per step, returning next-token logits. The real one runs the model over the paged KV
/// cache; tests use a scripted one whose right answers are known.
public protocol SearchPolicy: AnyObject {
    var endOfGeneration: Set<Int32> { get }
    /// The bytes a token stands for (steps are found in them, never by re-tokenizing).
    func bytes(of token: Int32) -> [UInt8]
    /// Prefills `prompt` as a new sequence; returns it and the logits for its next token.
    func start(_ prompt: [Int32]) throws -> (SequenceID, [Float])
    /// Prefills several prompts; for each, its sequence, next-token logits and the prompt tokens computed
    /// for it. With `sharePrefix` a policy may compute a prefix the prompts share once (counted on the first).
    func start(_ prompts: [[Int32]], sharePrefix: Bool) throws -> [(sequence: SequenceID, logits: [Float], computed: Int)]
    /// `count` sequences sharing `sequence`'s history (and its KV, for the real model).
    func fork(_ sequence: SequenceID, count: Int) throws -> [SequenceID]
    /// Appends one token to each sequence, all in one step; returns each one's next-token logits.
    func advance(_ pairs: [(SequenceID, Int32)]) throws -> [[Float]]
    /// Appends several tokens to each sequence, all in one step; returns each one's next-token logits.
    func extend(_ inputs: [(SequenceID, [Int32])]) throws -> [[Float]]
    func free(_ sequence: SequenceID) throws
    /// Physical KV bytes held now (0 where there is no cache).
    var kvBytes: Int { get }
    /// Physical KV bytes the given sequences hold together (shared pages counted once).
    func kvBytes(of sequences: [SequenceID]) -> Int
    /// Tokens in a sequence so far.
    func length(of sequence: SequenceID) -> Int
    /// The KV pages holding the given positions of a sequence (those written so far).
    func kvPages(of sequence: SequenceID, positions: Range<Int>) -> [Int32]
    /// The final hidden state after the sequence's last token (what produced its current logits), if kept.
    func hiddenState(of sequence: SequenceID) -> [Float]?
}

extension SearchPolicy {
    public func extend(_ inputs: [(SequenceID, [Int32])]) throws -> [[Float]] {
        try inputs.map { s, tokens in
            var last: [Float] = []
            for t in tokens { last = try advance([(s, t)])[0] }
            return last
        }
    }

    public func start(_ prompts: [[Int32]]) throws -> [(sequence: SequenceID, logits: [Float], computed: Int)] {
        try start(prompts, sharePrefix: true)
    }

    public func start(_ prompts: [[Int32]], sharePrefix: Bool) throws -> [(sequence: SequenceID, logits: [Float], computed: Int)] {
        try prompts.map { p in
            let (s, l) = try start(p)
            return (s, l, p.count)
        }
    }

    public func kvBytes(of sequences: [SequenceID]) -> Int { 0 }
    public func length(of sequence: SequenceID) -> Int { 0 }
    public func kvPages(of sequence: SequenceID, positions: Range<Int>) -> [Int32] { [] }
    public func hiddenState(of sequence: SequenceID) -> [Float]? { nil }
}

/// An engine (the model over its paged KV cache) as a search policy.
public final class ModelPolicy: SearchPolicy {
    public let engine: Engine
    public let tokenizer: Tokenizer
    private var pieces: [Int32: [UInt8]] = [:]
    /// Each live sequence's last final hidden state and feature layers' states, for PRM heads (576 floats per
    /// layer for the default model).
    private var hidden: [SequenceID: [Float]] = [:]
    /// The last step's outputs, kept so the next step refills their buffers.
    private var outputs: [StepOutput] = []

    public init(engine: Engine, tokenizer: Tokenizer) {
        self.engine = engine
        self.tokenizer = tokenizer
    }

    public var model: LlamaModel { engine.model }
    public var cache: KVCache { engine.cache }
    public var endOfGeneration: Set<Int32> { tokenizer.endOfGeneration }

    public func bytes(of token: Int32) -> [UInt8] {
        if let b = pieces[token] { return b }
        let b = tokenizer.bytes(of: token, renderSpecial: false)
        pieces[token] = b
        return b
    }

    public func start(_ prompt: [Int32]) throws -> (SequenceID, [Float]) {
        let s = engine.createSequence()
        do {
            let out = try engine.step([StepInput(sequence: s, tokens: prompt)])
            hidden[s] = features(out[0])
            return (s, Array(out[0].logitsRow()))
        } catch {
            try? engine.free(s)
            throw error
        }
    }

    /// The prompts' common prefix (the few-shot examples, in a batch of problems) is prefilled once and
    /// forked (with `sharePrefix`); every prompt's own suffix then goes through one batched step.
    public func start(_ prompts: [[Int32]], sharePrefix: Bool) throws -> [(sequence: SequenceID, logits: [Float], computed: Int)] {
        guard prompts.count > 1 else { return try prompts.map { p in let (s, l) = try start(p); return (s, l, p.count) } }
        var shared = prompts[0].count
        for p in prompts.dropFirst() { shared = min(shared, zip(prompts[0], p).prefix { $0 == $1 }.count) }
        shared = sharePrefix ? min(shared, prompts.map(\.count).min()! - 1) : 0  // every prompt keeps a token of its own
        var sequences: [SequenceID]
        if shared > 0 {
            let root = engine.createSequence()
            defer { try? engine.free(root) }
            _ = try engine.step([StepInput(sequence: root, tokens: Array(prompts[0][..<shared]))])
            sequences = try engine.fork(root, count: prompts.count)
        } else {
            sequences = prompts.map { _ in engine.createSequence() }
        }
        let out: [StepOutput]
        do {
            out = try engine.step(zip(sequences, prompts).map { StepInput(sequence: $0, tokens: Array($1[shared...])) })
        } catch {
            for s in sequences { try? engine.free(s) }
            throw error
        }
        for (s, o) in zip(sequences, out) { hidden[s] = features(o) }
        return prompts.indices.map { i in (sequences[i], Array(out[i].logitsRow()), prompts[i].count - shared + (i == 0 ? shared : 0)) }
    }

    public func fork(_ sequence: SequenceID, count: Int) throws -> [SequenceID] {
        let children = try engine.fork(sequence, count: count)
        for c in children { hidden[c] = hidden[sequence] }
        return children
    }

    public func advance(_ pairs: [(SequenceID, Int32)]) throws -> [[Float]] {
        try extend(pairs.map { ($0.0, [$0.1]) })
    }

    public func extend(_ inputs: [(SequenceID, [Int32])]) throws -> [[Float]] {
        try engine.step(inputs.map { StepInput(sequence: $0.0, tokens: $0.1) }, into: &outputs)
        for o in outputs { hidden[o.sequence] = features(o) }
        return outputs.map { Array($0.logitsRow()) }
    }

    public func free(_ sequence: SequenceID) throws {
        try engine.free(sequence)
        hidden[sequence] = nil
    }

    public func hiddenState(of sequence: SequenceID) -> [Float]? { hidden[sequence] }

    /// What a PRM head reads of a step's last row: the final hidden state, then the engine's feature layers.
    private func features(_ o: StepOutput) -> [Float] {
        guard o.rows > 0 else { return [] }
        let e = engine.config.embeddingWidth, perRow = o.layerHidden.count / o.rows
        let last = Array(o.hidden[((o.rows - 1) * e)...])
        return perRow == 0 ? last : last + o.layerHidden[((o.rows - 1) * perRow)...]
    }

    public var kvBytes: Int { engine.physicalKVBytes }

    public func kvBytes(of sequences: [SequenceID]) -> Int {
        var pages = Set<Int32>()
        for s in sequences { pages.formUnion((try? cache.blockTable(of: s)) ?? []) }
        return pages.count * cache.geometry.pageBytes
    }

    public func length(of sequence: SequenceID) -> Int { (try? engine.length(of: sequence)) ?? 0 }

    public func kvPages(of sequence: SequenceID, positions: Range<Int>) -> [Int32] {
        guard let table = try? cache.blockTable(of: sequence), !positions.isEmpty else { return [] }
        let size = cache.geometry.pageSize
        let pages = (positions.lowerBound / size)...((positions.upperBound - 1) / size)
        return pages.filter { $0 < table.count }.map { table[$0] }
    }
}
