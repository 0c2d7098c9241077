/// SentencePiece-style BPE (`tokenizer.ggml.model = llama`): text with spaces written as "▁" starts as
/// one symbol per character; the adjacent pair whose concatenation is a token with the highest score
/// merges first (leftmost on ties). Characters that never form a token fall back to `<0xXX>` byte tokens.
struct SentencePieceEncoder: Sendable {
    let vocabulary: Vocabulary
    let byteTokens: [TokenID?]
    let unknown: TokenID?

    init(vocabulary: Vocabulary, unknown: TokenID?) {
        self.vocabulary = vocabulary
        self.unknown = unknown
        self.byteTokens = (0..<256).map { b in
            vocabulary.id(of: Array("<0x\(String(b, radix: 16, uppercase: true).leftPadded(2))>".utf8))
        }
    }

    static let spaceMark: [UInt8] = Array("▁".utf8)

    /// Encodes `text` (spaces already escaped to "▁").
    func encode(_ text: [UInt8], into out: inout [TokenID]) {
        // Split into UTF-8 characters.
        var symbols: [[UInt8]] = []
        var i = 0
        while i < text.count {
            let lead = text[i]
            let n = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 1
            let e = min(i + n, text.count)
            symbols.append(Array(text[i..<e]))
            i = e
        }
        while symbols.count > 1 {
            var bestScore = -Float.infinity
            var bestAt = -1
            for j in 0..<(symbols.count - 1) {
                if let id = vocabulary.id(of: symbols[j] + symbols[j + 1]) {
                    let score = Int(id) < vocabulary.scores.count ? vocabulary.scores[Int(id)] : 0
                    if bestAt < 0 || score > bestScore {
                        bestScore = score
                        bestAt = j
                    }
                }
            }
            if bestAt < 0 { break }
            symbols[bestAt] += symbols[bestAt + 1]
            symbols.remove(at: bestAt + 1)
        }
        for s in symbols {
            if let id = vocabulary.id(of: s) {
                out.append(id)
            } else {
                for b in s {
                    if let t = byteTokens[Int(b)] { out.append(t) } else if let u = unknown { out.append(u) }
                }
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
