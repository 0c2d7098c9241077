/// Splits text into pieces before BPE, as llama.cpp does for each `tokenizer.ggml.pre` variant.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2's pattern: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM: every `\p{N}` split off on its own, then the GPT-2 pattern.
    case smollm
    /// Llama 3: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`, `\p{N}{1,3}`, newlines kept with punctuation.
    case llama3 = "llama-bpe"

    /// Maps a GGUF `tokenizer.ggml.pre` name to the variant that implements it.
    public init?(ggufName: String) {
        switch ggufName {
        case "smollm": self = .smollm
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case "gpt-2", "gpt2", "default": self = .gpt2
        default: return nil
        }
    }

    /// Returns the pieces of `scalars` as ranges, in order, covering the whole input.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let text = ClassifiedText(scalars)
        switch self {
        case .gpt2:
            return PreTokenizer.gpt2Split(text, 0..<scalars.count)
        case .llama3:
            return PreTokenizer.llama3Split(text, 0..<scalars.count)
        case .smollm:
            var out: [Range<Int>] = []
            var start = 0
            for i in 0..<scalars.count where text.classes[i].contains(.number) {
                if start < i { out += PreTokenizer.gpt2Split(text, start..<i) }
                out.append(i..<(i + 1))
                start = i + 1
            }
            if start < scalars.count { out += PreTokenizer.gpt2Split(text, start..<scalars.count) }
            return out
        }
    }

    private static let apostrophe: UInt32 = 0x27

    /// llama.cpp's hand-written GPT-2 matcher (unicode_regex_split_custom_gpt2), over one fragment.
    static func gpt2Split(_ t: ClassifiedText, _ range: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let end = range.upperBound
        var pos = range.lowerBound
        var prev = pos
        func add(_ e: Int) { if e > prev { out.append(prev..<e) }; prev = e }
        while pos < end {
            let cpt = t.scalars[pos].value
            let flags = t.classes[pos]
            if cpt == apostrophe && pos + 1 < end {
                let n = t.scalars[pos + 1].value
                if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 {  // s t m d
                    pos += 2; add(pos); continue
                }
                if pos + 2 < end {
                    let nn = t.scalars[pos + 2].value
                    if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) {  // re ve ll
                        pos += 3; add(pos); continue
                    }
                }
            }
            var flags2 = cpt == 0x20 ? t.cls(pos + 1, end: end) : flags
            if flags2.contains(.letter) {
                if cpt == 0x20 { pos += 1 }
                while flags2.contains(.letter) { pos += 1; flags2 = t.cls(pos, end: end) }
                add(pos); continue
            }
            if flags2.contains(.number) {
                if cpt == 0x20 { pos += 1 }
                while flags2.contains(.number) { pos += 1; flags2 = t.cls(pos, end: end) }
                add(pos); continue
            }
            if flags2.isDisjoint(with: [.whitespace, .letter, .number]) && flags2.contains(.present) {
                if cpt == 0x20 { pos += 1 }
                while flags2.isDisjoint(with: [.whitespace, .letter, .number]) && flags2.contains(.present) {
                    pos += 1; flags2 = t.cls(pos, end: end)
                }
                add(pos); continue
            }
            var spaces = 0
            while t.cls(pos + spaces, end: end).contains(.whitespace) { spaces += 1 }
            if spaces > 1 && pos + spaces < end {
                pos += spaces - 1; add(pos); continue
            }
            if spaces > 0 {
                pos += spaces; add(pos); continue
            }
            pos += 1; add(pos)
        }
        return out
    }

    /// llama.cpp's hand-written Llama 3 matcher (unicode_regex_split_custom_llama3), over one fragment.
    static func llama3Split(_ t: ClassifiedText, _ range: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let end = range.upperBound
        var pos = range.lowerBound
        var prev = pos
        func add(_ e: Int) { if e > prev { out.append(prev..<e) }; prev = e }
        func lower(_ c: UInt32) -> UInt32 { (0x41...0x5A).contains(c) ? c + 32 : c }
        while pos < end {
            let cpt = t.scalars[pos].value
            let flags = t.classes[pos]
            if cpt == apostrophe && pos + 1 < end {
                let n = lower(t.scalars[pos + 1].value)
                if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 {
                    pos += 2; add(pos); continue
                }
                if pos + 2 < end {
                    let nn = lower(t.scalars[pos + 2].value)
                    if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) {
                        pos += 3; add(pos); continue
                    }
                }
            }
            if !(cpt == 0x0D || cpt == 0x0A || flags.contains(.number)) {
                if flags.contains(.letter) || t.cls(pos + 1, end: end).contains(.letter) {
                    pos += 1
                    while t.cls(pos, end: end).contains(.letter) { pos += 1 }
                    add(pos); continue
                }
            }
            if flags.contains(.number) {
                var ini = pos
                while t.cls(pos, end: end).contains(.number) {
                    pos += 1
                    if pos - ini >= 3 { add(pos); ini = pos }
                }
                add(pos); continue
            }
            var flags2 = cpt == 0x20 ? t.cls(pos + 1, end: end) : flags
            if flags2.isDisjoint(with: [.whitespace, .letter, .number]) && flags.contains(.present) {
                if cpt == 0x20 { pos += 1 }
                while flags2.isDisjoint(with: [.whitespace, .letter, .number]) && flags2.contains(.present) {
                    pos += 1; flags2 = t.cls(pos, end: end)
                }
                while let c = t.cp(pos, end: end), c == 0x0D || c == 0x0A { pos += 1 }
                add(pos); continue
            }
            var spaces = 0
            var lastNewlineEnd = 0
            while t.cls(pos + spaces, end: end).contains(.whitespace) {
                let c = t.scalars[pos + spaces].value
                if c == 0x0D || c == 0x0A { lastNewlineEnd = pos + spaces + 1 }
                spaces += 1
            }
            if lastNewlineEnd > 0 { pos = lastNewlineEnd; add(pos); continue }
            if spaces > 1 && pos + spaces < end { pos += spaces - 1; add(pos); continue }
            if spaces > 0 { pos += spaces; add(pos); continue }
            pos += 1; add(pos)
        }
        return out
    }
}
