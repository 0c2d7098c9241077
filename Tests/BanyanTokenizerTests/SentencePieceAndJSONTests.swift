import BanyanTokenizer
import BanyanWeights
import BanyanTestSupport
import Foundation
import Testing

@Suite struct SentencePieceAndJSONTests {
    /// A hand-built SentencePiece vocabulary: <unk>, <s>, </s>, 256 byte tokens, then pieces with scores.
    static func handBuilt() throws -> Tokenizer {
        var texts: [[UInt8]] = [Array("<unk>".utf8), Array("<s>".utf8), Array("</s>".utf8)]
        var kinds: [TokenKind] = [.unknown, .control, .control]
        var scores: [Float] = [0, 0, 0]
        for b in 0..<256 {
            texts.append(Array(String(format: "<0x%02X>", b).utf8)); kinds.append(.byte); scores.append(0)
        }
        for (piece, score) in [("▁", -1.0), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("w", -2), ("r", -2), ("d", -2),
                               ("he", -3), ("ll", -3), ("hell", -4), ("hello", -5), ("▁hello", -6), ("▁w", -7), ("or", -7), ("▁wor", -8)] as [(String, Float)] {
            texts.append(Array(piece.utf8)); kinds.append(.normal); scores.append(score)
        }
        return try Tokenizer(vocabulary: Vocabulary(texts: texts, kinds: kinds, scores: scores),
                             model: .sentencePiece(addSpacePrefix: true), bos: 1, eos: 2, unknown: 0, addBOS: true)
    }

    @Test func byteFallbackAndMerges() throws {
        let t = try SentencePieceAndJSONTests.handBuilt()
        let v = t.vocabulary
        let ids = t.encode("hello world é")
        // BOS, "▁hello", "▁wor", "l", "d", "▁", then é as its two UTF-8 bytes C3 A9 through byte tokens.
        let expected: [TokenID] = [1, v.id(of: "▁hello")!, v.id(of: "▁wor")!, v.id(of: "l")!, v.id(of: "d")!, v.id(of: "▁")!,
                                   v.id(of: "<0xC3>")!, v.id(of: "<0xA9>")!]
        #expect(ids == expected)
        #expect(t.decode(Array(ids.dropFirst())) == "hello world é")
        #expect(t.decode(ids, renderSpecial: false) == "hello world é")
        // Higher score merges first: "he"+"ll" would need "hell" (score -4), reached before "hello" (-5).
        #expect(t.encode("hell", addSpecial: false) == [v.id(of: "▁")!, v.id(of: "hell")!])
        #expect(t.encode("</s>x", addSpecial: false).first == 2)
    }

    @Test func tokenizerJSONMatchesTheGGUFTokenizer() throws {
        // Export the default model's vocabulary to an HF tokenizer.json and load it back through the JSON path.
        let gguf = try TestModel.gguf()
        let tokens = try #require(gguf["tokenizer.ggml.tokens"]?.array)
        let merges = try #require(gguf["tokenizer.ggml.merges"]?.array)
        var vocab: [String: Int] = [:]
        for i in 0..<tokens.count { vocab[tokens.string(at: i)] = i }
        let added = (0..<17).map { ["id": $0, "content": tokens.string(at: $0), "special": true] as [String: Any] }
        let json: [String: Any] = [
            "added_tokens": added,
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true],
                                                                     ["type": "ByteLevel", "add_prefix_space": false]]],
            "model": ["type": "BPE", "vocab": vocab, "merges": merges.strings],
        ]
        let dir = NSTemporaryDirectory() + "banyan-tok-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        let fromJSON = try Tokenizer(tokenizerJSON: dir + "/tokenizer.json")
        #expect(fromJSON.model == .byteLevelBPE(.smollm))
        let fromGGUF = try TokenizerTests.tokenizer()
        for text in ["Hello, world!", "12345 + 678 = 13023", "<|im_start|>user\nhi<|im_end|>", "héllo 日本語 🦙", "  a\n\n\tb  "] {
            #expect(fromJSON.encode(text) == fromGGUF.encode(text))
        }
    }
}
