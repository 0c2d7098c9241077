/// Why a tokenizer could not be built.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case missingMetadata(String)
    case unsupportedModel(String)
    case unsupportedPreTokenizer(String)
    case badTokenizerJSON(path: String, detail: String)
    case invalidTokenID(TokenID, vocabularySize: Int)

    public var description: String {
        switch self {
        case .missingMetadata(let k): return "the model file has no tokenizer metadata '\(k)'"
        case .unsupportedModel(let m): return "tokenizer model '\(m)' is not supported (gpt2 byte-level BPE and llama SentencePiece are)"
        case .unsupportedPreTokenizer(let p):
            return "pre-tokenizer '\(p)' is not supported (supported: smollm, llama-bpe, gpt2)"
        case .badTokenizerJSON(let path, let d): return "\(path): \(d)"
        case .invalidTokenID(let id, let n): return "token id \(id) is outside the vocabulary (0..<\(n))"
        }
    }
}
