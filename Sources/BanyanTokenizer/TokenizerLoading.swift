import BanyanWeights
import Foundation

extension Tokenizer {
    /// Builds the tokenizer a GGUF file describes (`tokenizer.ggml.*` metadata).
    public init(gguf: GGUFFile) throws(TokenizerError) {
        guard let modelName = gguf["tokenizer.ggml.model"]?.string else { throw .missingMetadata("tokenizer.ggml.model") }
        guard let tokens = gguf["tokenizer.ggml.tokens"]?.array, tokens.elementType == .string else {
            throw .missingMetadata("tokenizer.ggml.tokens")
        }
        let texts = (0..<tokens.count).map(tokens.stringBytes(at:))
        var kinds = [TokenKind](repeating: .normal, count: texts.count)
        if let types = gguf["tokenizer.ggml.token_type"]?.array {
            // A short or mistyped array must not be read past its end (llama.cpp does not check this).
            let values = types.ints
            for i in 0..<min(values.count, kinds.count) { kinds[i] = TokenKind(rawValue: values[i]) ?? .normal }
        }
        var scores: [Float] = []
        if let s = gguf["tokenizer.ggml.scores"]?.array, s.count == texts.count { scores = s.floats }
        let vocabulary = Vocabulary(texts: texts, kinds: kinds, scores: scores)
        func id(_ key: String) -> TokenID? {
            guard let v = gguf["tokenizer.ggml." + key]?.int, v >= 0, v < texts.count else { return nil }
            return TokenID(v)
        }
        switch modelName {
        case "gpt2":
            let preName = gguf["tokenizer.ggml.pre"]?.string ?? "default"
            guard let pre = PreTokenizer(ggufName: preName) else { throw .unsupportedPreTokenizer(preName) }
            guard let mergeArray = gguf["tokenizer.ggml.merges"]?.array else { throw .missingMetadata("tokenizer.ggml.merges") }
            let merges = (0..<mergeArray.count).compactMap { i -> (left: [UInt8], right: [UInt8])? in
                Tokenizer.splitMerge(mergeArray.stringBytes(at: i))
            }
            try self.init(vocabulary: vocabulary, model: .byteLevelBPE(pre), merges: merges, bos: id("bos_token_id"),
                          eos: id("eos_token_id"), unknown: id("unknown_token_id"),
                          addBOS: gguf["tokenizer.ggml.add_bos_token"]?.bool ?? false,
                          extraEndOfGeneration: [id("eot_token_id"), id("eom_token_id")].compactMap { $0 })
        case "llama":
            try self.init(vocabulary: vocabulary,
                          model: .sentencePiece(addSpacePrefix: gguf["tokenizer.ggml.add_space_prefix"]?.bool ?? true),
                          bos: id("bos_token_id") ?? 1, eos: id("eos_token_id") ?? 2, unknown: id("unknown_token_id") ?? 0,
                          addBOS: gguf["tokenizer.ggml.add_bos_token"]?.bool ?? true,
                          extraEndOfGeneration: [id("eot_token_id")].compactMap { $0 })
        default:
            throw .unsupportedModel(modelName)
        }
    }

    /// "left right" → its two halves, split at the first space after position 0 (as llama.cpp).
    static func splitMerge(_ bytes: [UInt8]) -> (left: [UInt8], right: [UInt8])? {
        guard bytes.count > 2, let space = bytes.dropFirst().firstIndex(of: 0x20) else { return nil }
        return (Array(bytes[..<space]), Array(bytes[(space + 1)...]))
    }

    /// Builds the tokenizer an HF `tokenizer.json` describes (BPE models: byte-level or SentencePiece-style
    /// with byte fallback).
    public init(tokenizerJSON path: String, addBOS: Bool? = nil) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = root["model"] as? [String: Any],
              let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.badTokenizerJSON(path: path, detail: "no model.vocab object")
        }
        guard (model["type"] as? String ?? "BPE") == "BPE" else {
            throw TokenizerError.unsupportedModel(model["type"] as? String ?? "?")
        }
        var entries: [(String, Int)] = vocab.compactMap { k, v in (v as? NSNumber).map { (k, $0.intValue) } }
        let added = (root["added_tokens"] as? [[String: Any]]) ?? []
        for a in added { if let c = a["content"] as? String, let i = (a["id"] as? NSNumber)?.intValue { entries.append((c, i)) } }
        let size = (entries.map(\.1).max() ?? -1) + 1
        var texts = [[UInt8]](repeating: [], count: size)
        var kinds = [TokenKind](repeating: .normal, count: size)
        for (t, i) in entries where i >= 0 { texts[i] = Array(t.utf8) }
        for a in added {
            guard let i = (a["id"] as? NSNumber)?.intValue, i >= 0, i < size else { continue }
            kinds[i] = (a["special"] as? Bool ?? false) ? .control : .userDefined
        }
        let rawMerges = (model["merges"] as? [Any]) ?? []
        let merges: [(left: [UInt8], right: [UInt8])] = rawMerges.compactMap { m in
            if let s = m as? String { return Tokenizer.splitMerge(Array(s.utf8)) }
            if let pair = m as? [String], pair.count == 2 { return (Array(pair[0].utf8), Array(pair[1].utf8)) }
            return nil
        }
        func specialID(_ key: String) -> TokenID? {
            // tokenizer.json does not say which token is BOS/EOS; a tokenizer_config.json beside it does.
            let configPath = (path as NSString).deletingLastPathComponent + "/tokenizer_config.json"
            guard let d = try? Data(contentsOf: URL(fileURLWithPath: configPath)),
                  let cfg = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else { return nil }
            let name = (cfg[key] as? String) ?? ((cfg[key] as? [String: Any])?["content"] as? String)
            return name.flatMap { n in entries.first { $0.0 == n }.map { TokenID($0.1) } }
        }
        let byteFallback = model["byte_fallback"] as? Bool ?? false
        if byteFallback {
            // SentencePiece-style BPE exported to tokenizer.json: merge ranks become scores.
            for i in 0..<size where texts[i].count == 6 && texts[i].starts(with: Array("<0x".utf8)) { kinds[i] = .byte }
            var scores = [Float](repeating: -1e9, count: size)
            let vocabulary0 = Vocabulary(texts: texts, kinds: kinds)
            for (rank, m) in merges.enumerated() {
                if let id = vocabulary0.id(of: m.left + m.right), scores[Int(id)] == -1e9 { scores[Int(id)] = -Float(rank) }
            }
            let vocabulary = Vocabulary(texts: texts, kinds: kinds, scores: scores)
            let unk = (model["unk_token"] as? String).flatMap { vocabulary.id(of: $0) }
            try self.init(vocabulary: vocabulary, model: .sentencePiece(addSpacePrefix: true), bos: specialID("bos_token"),
                          eos: specialID("eos_token"), unknown: unk, addBOS: addBOS ?? true)
        } else {
            let pre = Tokenizer.detectPreTokenizer(root["pre_tokenizer"])
            try self.init(vocabulary: Vocabulary(texts: texts, kinds: kinds), model: .byteLevelBPE(pre), merges: merges,
                          bos: specialID("bos_token"), eos: specialID("eos_token"), addBOS: addBOS ?? false)
        }
    }

    /// Recognizes the pre-tokenizer variant from tokenizer.json's `pre_tokenizer` object.
    static func detectPreTokenizer(_ any: Any?) -> PreTokenizer {
        guard let obj = any as? [String: Any] else { return .gpt2 }
        let parts = (obj["pretokenizers"] as? [[String: Any]]) ?? [obj]
        if parts.contains(where: { $0["type"] as? String == "Digits" && ($0["individual_digits"] as? Bool ?? false) }) { return .smollm }
        let text = "\(obj)"
        if text.contains("\\p{N}{1,3}") || text.contains("p{N}{1,3}") { return .llama3 }
        return .gpt2
    }
}
