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
    /// `count` sequences sharing `sequence`'s history (and its KV, for the real model).
    func fork(_ sequence: SequenceID, count: Int) throws -> [SequenceID]
    /// Appends one token to each sequence, all in one step; returns each one's next-token logits.
    func advance(_ pairs: [(SequenceID, Int32)]) throws -> [[Float]]
    func free(_ sequence: SequenceID) throws
    /// Physical KV bytes held now (0 where there is no cache).
    var kvBytes: Int { get }
}

/// The model and its paged KV cache as a search policy.
public final class ModelPolicy: SearchPolicy {
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let cache: KVCache
    private var pieces: [Int32: [UInt8]] = [:]

    public init(model: LlamaModel, tokenizer: Tokenizer, capacityTokens: Int) throws {
        self.model = model
        self.tokenizer = tokenizer
        cache = try model.makeCache(capacityTokens: capacityTokens)
    }

    public var endOfGeneration: Set<Int32> { tokenizer.endOfGeneration }

    public func bytes(of token: Int32) -> [UInt8] {
        if let b = pieces[token] { return b }
        let b = tokenizer.bytes(of: token, renderSpecial: false)
        pieces[token] = b
        return b
    }

    public func start(_ prompt: [Int32]) throws -> (SequenceID, [Float]) {
        let s = cache.createSequence()
        let out = try model.step([StepInput(sequence: s, tokens: prompt)], cache: cache)
        return (s, Array(out[0].logitsRow()))
    }

    public func fork(_ sequence: SequenceID, count: Int) throws -> [SequenceID] { try cache.fork(sequence, count: count) }

    public func advance(_ pairs: [(SequenceID, Int32)]) throws -> [[Float]] {
        try model.step(pairs.map { StepInput(sequence: $0.0, tokens: [$0.1]) }, cache: cache).map { Array($0.logitsRow()) }
    }

    public func free(_ sequence: SequenceID) throws { try cache.free(sequence) }

    public var kvBytes: Int { cache.physicalBytes }
}
