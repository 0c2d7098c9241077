/// A token id, as stored in model files (int32 everywhere in the GGUF world).
public typealias TokenID = Int32

/// How a token takes part in tokenization (GGUF `tokenizer.ggml.token_type` values).
public enum TokenKind: Int, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

    /// Tokens matched as whole units in raw text before BPE (when special parsing allows).
    var isSpecialCandidate: Bool { self == .control || self == .userDefined || self == .unknown }
}

/// The token table: each token's stored text (byte-exact), kind and optional score.
public struct Vocabulary: Sendable {
    public let texts: [[UInt8]]
    public let kinds: [TokenKind]
    /// SentencePiece merge scores (higher merges first); empty for byte-level BPE.
    public let scores: [Float]
    let idOfText: [[UInt8]: TokenID]

    public init(texts: [[UInt8]], kinds: [TokenKind], scores: [Float] = []) {
        self.texts = texts
        self.kinds = kinds
        self.scores = scores
        var index: [[UInt8]: TokenID] = [:]
        index.reserveCapacity(texts.count)
        // The first occurrence wins, as in llama.cpp's token_to_id.
        for (i, t) in texts.enumerated() where index[t] == nil { index[t] = TokenID(i) }
        self.idOfText = index
    }

    public var count: Int { texts.count }

    public func id(of text: [UInt8]) -> TokenID? { idOfText[text] }
    public func id(of text: String) -> TokenID? { idOfText[Array(text.utf8)] }

    public func kind(of id: TokenID) -> TokenKind {
        Int(id) < kinds.count ? kinds[Int(id)] : .normal
    }

    public func text(of id: TokenID) -> String { String(decoding: texts[Int(id)], as: UTF8.self) }
}
