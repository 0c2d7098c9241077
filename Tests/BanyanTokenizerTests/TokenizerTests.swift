import BanyanGeneration
import BanyanTokenizer
import BanyanWeights
import BanyanTestSupport
import Foundation
import Testing

@Suite struct TokenizerTests {
    static func tokenizer() throws -> Tokenizer { try Tokenizer(gguf: try TestModel.gguf()) }

    struct Reference: Decodable { let text: String; let ids: [Int32] }

    @Test func matchesLlamaCppOnEveryReferenceString() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestModel.fixture("tokenizer_public.json")))
        let cases = try JSONDecoder().decode([Reference].self, from: data)
        #expect(cases.count >= 20)
        for c in cases {
            #expect(try TokenizerTests.tokenizer().encode(c.text) == c.ids, "\(c.text.debugDescription)")
            #expect(try TokenizerTests.tokenizer().decode(c.ids) == c.text)
        }
    }

    @Test func researchVectors() throws {
        let t = try TokenizerTests.tokenizer()
        #expect(t.encode("Hello world") == [19556, 905])
        #expect(t.encode(" Hello  world!") == [38699, 216, 905, 17])
        #expect(t.encode("The year 2025 has 365 days.") == [504, 713, 216, 34, 32, 34, 37, 553, 216, 35, 38, 37, 2009, 30])
        #expect(t.encode("I'm can't we'll they've") == [57, 5248, 416, 982, 392, 3060, 502, 3543])
        #expect(t.encode("<|im_start|>user\nWhat is 12+34?<|im_end|>\n<|im_start|>assistant\n")
                == [1, 4093, 198, 1780, 314, 216, 33, 34, 27, 35, 36, 47, 2, 198, 1, 520, 9531, 198])
        #expect(t.encode("héllo 日本語 🦙") == [88, 2756, 31394, 17097, 241, 115, 40993, 179, 120, 248, 15107, 116, 243])
        #expect(t.encode("  leading spaces\n\n\ttab") == [216, 2899, 5600, 1116, 197, 15999])
    }

    @Test func specialParsingCanBeTurnedOff() throws {
        let t = try TokenizerTests.tokenizer()
        let on = t.encode("<|im_start|>user")
        let off = t.encode("<|im_start|>user", parseSpecial: false)
        #expect(on.first == 1)
        #expect(!off.contains(1) && off.count > 3)
        #expect(t.decode(off) == "<|im_start|>user")
        #expect(t.addBOS == false && t.bos == 1 && t.eos == 2)
        #expect(t.endOfGeneration == [0, 2])
    }

    /// Control bytes the default model's byte-level vocabulary has no token for. llama.cpp drops them
    /// silently when encoding (there is no id to give them), so no tokenizer matching it can round-trip them.
    /// Likewise lead bytes 0xF1 and 0xF2 (planes 4–11, all unassigned) have no token, so the random
    /// strings draw supplementary characters from planes 1, 14, 15 and 16 only.
    static let bytesWithoutToken: Set<UInt32> = [0x04, 0x06, 0x13, 0x14, 0x16, 0x1D]

    @Test func bytesWithoutATokenAreDroppedLikeLlamaCpp() throws {
        let t = try TokenizerTests.tokenizer()
        for b in 0..<UInt32(0x80) {
            let ids = t.encode("a" + String(Unicode.Scalar(b)!) + "b")
            if TokenizerTests.bytesWithoutToken.contains(b) {
                #expect(t.decode(ids) == "ab")
            } else {
                #expect(t.decode(ids) == "a" + String(Unicode.Scalar(b)!) + "b")
            }
        }
    }

    @Test func tenThousandRandomStringsRoundTrip() throws {
        let t = try TokenizerTests.tokenizer()
        var rng = SeededRandom(seed: 42)
        // Pools that stress the pre-tokenizer and byte-level mapping.
        let pools: [[UInt32]] = [
            Array(0x20...0x7E), [0x09, 0x0A, 0x0D, 0x20, 0x20, 0x0B, 0x0C, 0x85, 0xA0, 0x2028, 0x3000],
            Array(0x00...0x1F).filter { !TokenizerTests.bytesWithoutToken.contains($0) }, [0x10FFFF, 0xE0001, 0xF0000],
            Array(0x300...0x36F), Array(0x4E00...0x4E80), Array(0x1F600...0x1F64F), [0x1F3FB, 0x200D, 0xFE0F, 0x1F469],
            Array(0xC0...0x17F), Array(0x660...0x669), Array(0x2160...0x2188), [0xFFFD, 0xFEFF, 0x10FFFF, 0xE000],
        ]
        var failures = 0
        for _ in 0..<10_000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                let pool = pools.randomElement(using: &rng)!
                s.append(Unicode.Scalar(pool.randomElement(using: &rng)!)!)
            }
            let text = String(s)
            if t.decode(t.encode(text)) != text {
                if failures < 5 { print("round trip failed: \(text.unicodeScalars.map { String($0.value, radix: 16) }) -> \(t.encode(text))") }
                failures += 1
            }
        }
        #expect(failures == 0)
        // A lone surrogate cannot live in a Swift String: decoding it yields U+FFFD, which round-trips.
        let lone = String(decoding: [0xED, 0xA0, 0x80] as [UInt8], as: UTF8.self)
        #expect(t.decode(t.encode(lone)) == lone)
    }

    @Test func streamingNeverSplitsACharacter() throws {
        let t = try TokenizerTests.tokenizer()
        let text = "héllo 日本語 🦙 done"
        var decoder = StreamingDecoder(tokenizer: t)
        var pieces: [String] = []
        for id in t.encode(text) { pieces.append(decoder.append(id)) }
        pieces.append(decoder.flush())
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") })
        #expect(pieces.contains(""), "the emoji's first bytes arrive in a token of their own and are held back")
    }

    @Test func chatMLTemplateOfTheDefaultModel() throws {
        let jinja = try #require(try TestModel.gguf()["tokenizer.chat_template"]?.string)
        let template = try #require(ChatTemplate(jinja: jinja))
        #expect(template == .chatML(defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        let prompt = template.render([.user("What is 7 + 5?")])
        #expect(prompt == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nWhat is 7 + 5?<|im_end|>\n<|im_start|>assistant\n")
        let partial = template.render([.system("S"), .user("Q"), .assistant("1 + 2 = 3\n\n")], addGenerationPrompt: false, continueFinalMessage: true)
        #expect(partial == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n1 + 2 = 3\n\n")
    }

    @Test func llama3Template() throws {
        let t = ChatTemplate(jinja: "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}")
        #expect(t == .llama3)
        #expect(t?.render([.user(" hi ")]) == "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }
}
