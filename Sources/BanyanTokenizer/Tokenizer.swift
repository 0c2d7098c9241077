import Foundation

/// Text ⇄ token ids, matching llama.cpp id for id.
///
/// Encoding: special tokens are cut out of the text first (longest first), each remaining fragment is
/// pre-tokenized and then merged by BPE (byte-level) or SentencePiece rules.
public struct Tokenizer: Sendable {
    public enum Model: Sendable, Equatable {
        case byteLevelBPE(PreTokenizer)
        case sentencePiece(addSpacePrefix: Bool)
    }

    public let vocabulary: Vocabulary
    public let model: Model
    public let bos: TokenID?
    public let eos: TokenID?
    public let addBOS: Bool
    /// Tokens that end generation (EOS, `<|im_end|>`, `<|eot_id|>`, `<|endoftext|>` …).
    public let endOfGeneration: Set<TokenID>
    /// Special candidates, longest text first, for the partition before BPE.
    let specials: [(id: TokenID, text: [UInt8], kind: TokenKind)]
    let bpe: BytePairEncoder?
    let spm: SentencePieceEncoder?
    /// Each token's decoded bytes.
    let pieces: [[UInt8]]

    public init(vocabulary: Vocabulary, model: Model, merges: [(left: [UInt8], right: [UInt8])] = [],
                bos: TokenID?, eos: TokenID?, unknown: TokenID? = nil, addBOS: Bool,
                extraEndOfGeneration: [TokenID] = []) throws(TokenizerError) {
        self.vocabulary = vocabulary
        self.model = model
        self.bos = bos
        self.eos = eos
        self.addBOS = addBOS
        switch model {
        case .byteLevelBPE:
            bpe = try BytePairEncoder(vocabulary: vocabulary, merges: merges)
            spm = nil
            pieces = vocabulary.texts.map(ByteLevel.decode)
        case .sentencePiece:
            bpe = nil
            spm = SentencePieceEncoder(vocabulary: vocabulary, unknown: unknown)
            pieces = vocabulary.texts.enumerated().map { i, text in
                Tokenizer.sentencePiecePiece(text, kind: vocabulary.kinds.indices.contains(i) ? vocabulary.kinds[i] : .normal)
            }
        }
        specials = vocabulary.texts.enumerated()
            .filter { vocabulary.kind(of: TokenID($0.offset)).isSpecialCandidate && !$0.element.isEmpty }
            .map { (TokenID($0.offset), $0.element, vocabulary.kind(of: TokenID($0.offset))) }
            .sorted { $0.text.count != $1.text.count ? $0.text.count > $1.text.count : $0.id < $1.id }
        // Like llama.cpp, end-of-generation tokens are found by their text, plus EOS itself.
        var eog = Set(extraEndOfGeneration)
        if let eos { eog.insert(eos) }
        for name in ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "</s>"] {
            if let id = vocabulary.id(of: name), vocabulary.kind(of: id) == .control || vocabulary.kind(of: id) == .userDefined { eog.insert(id) }
        }
        endOfGeneration = eog
    }

    static func sentencePiecePiece(_ text: [UInt8], kind: TokenKind) -> [UInt8] {
        if kind == .byte, text.count == 6, text.starts(with: Array("<0x".utf8)),
           let b = UInt8(String(decoding: text[3..<5], as: UTF8.self), radix: 16) {
            return [b]
        }
        var out: [UInt8] = []
        var i = 0
        let mark = SentencePieceEncoder.spaceMark
        while i < text.count {
            if i + 3 <= text.count && Array(text[i..<(i + 3)]) == mark { out.append(0x20); i += 3 } else { out.append(text[i]); i += 1 }
        }
        return out
    }

    // MARK: encoding

    /// Token ids for `text`. `parseSpecial` matches control tokens such as `<|im_start|>` as single
    /// tokens (llama.cpp's default); `addSpecial` adds BOS when the model asks for it.
    public func encode(_ text: String, parseSpecial: Bool = true, addSpecial: Bool = true) -> [TokenID] {
        var out: [TokenID] = []
        if addSpecial, addBOS, let bos { out.append(bos) }
        var prevSpecial = true
        for fragment in partition(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
                prevSpecial = true
            case .text(let bytes):
                encodeFragment(bytes, prevSpecial: prevSpecial, into: &out)
                prevSpecial = false
            }
        }
        return out
    }

    enum Fragment { case text(ArraySlice<UInt8>), token(TokenID) }

    /// Cuts special tokens out of the text, longest candidates first, as llama.cpp's tokenizer_st_partition.
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = [.text(bytes[...])]
        for special in specials {
            if !parseSpecial && special.kind != .userDefined { continue }
            var next: [Fragment] = []
            for f in fragments {
                guard case .text(var rest) = f else { next.append(f); continue }
                while let at = Tokenizer.firstIndex(of: special.text, in: rest) {
                    if at > rest.startIndex { next.append(.text(rest[rest.startIndex..<at])) }
                    next.append(.token(special.id))
                    rest = rest[(at + special.text.count)...]
                }
                if !rest.isEmpty { next.append(.text(rest)) }
            }
            fragments = next
        }
        return fragments
    }

    /// Start of the first occurrence of `needle` in `hay`: memchr to the first byte, then compare.
    static func firstIndex(of needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, needle.count <= hay.count else { return nil }
        return hay.withUnsafeBufferPointer { buf -> Int? in
            let base = buf.baseAddress!
            var i = 0
            let last = buf.count - needle.count
            while i <= last {
                guard let hit = memchr(base + i, Int32(first), last - i + 1) else { return nil }
                let j = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + j, needle, needle.count) == 0 { return hay.startIndex + j }
                i = j + 1
            }
            return nil
        }
    }

    private func encodeFragment(_ bytes: ArraySlice<UInt8>, prevSpecial: Bool, into out: inout [TokenID]) {
        switch model {
        case .byteLevelBPE(let pre):
            // Fragments are whole UTF-8 text, so each scalar's byte offset maps pieces back to bytes.
            let text = String(decoding: bytes, as: UTF8.self)
            var scalars: [Unicode.Scalar] = []
            var offsets: [Int] = [0]
            scalars.reserveCapacity(bytes.count)
            offsets.reserveCapacity(bytes.count + 1)
            var utf8: [UInt8] = []
            utf8.reserveCapacity(bytes.count)
            for s in text.unicodeScalars {
                scalars.append(s)
                utf8 += UTF8.encode(s)!
                offsets.append(utf8.count)
            }
            // Text repeats its words: each distinct piece is merged once per call.
            var cache: [ArraySlice<UInt8>: [TokenID]] = [:]
            for piece in pre.split(scalars) {
                let bytes = utf8[offsets[piece.lowerBound]..<offsets[piece.upperBound]]
                if let hit = cache[bytes] { out += hit; continue }
                var ids: [TokenID] = []
                bpe!.encode(bytes, into: &ids)
                if bytes.count <= 64 { cache[bytes] = ids }
                out += ids
            }
        case .sentencePiece(let addSpacePrefix):
            var text: [UInt8] = addSpacePrefix && prevSpecial ? [0x20] : []
            text += bytes
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.count + 8)
            for b in text { if b == 0x20 { escaped += SentencePieceEncoder.spaceMark } else { escaped.append(b) } }
            spm!.encode(escaped, into: &out)
        }
    }

    // MARK: decoding

    /// The bytes token `id` stands for. Control tokens render as their text only when `renderSpecial`.
    public func bytes(of id: TokenID, renderSpecial: Bool = true) -> [UInt8] {
        guard id >= 0, Int(id) < pieces.count else { return [] }
        let kind = vocabulary.kind(of: id)
        if kind == .control || kind == .unknown || kind == .unused {
            return renderSpecial ? vocabulary.texts[Int(id)] : []
        }
        if kind == .userDefined { return vocabulary.texts[Int(id)] }
        return pieces[Int(id)]
    }

    /// Text of a token sequence. Incomplete UTF-8 at the end becomes U+FFFD; stream with `StreamingDecoder`.
    public func decode(_ ids: [TokenID], renderSpecial: Bool = true) -> String {
        var out: [UInt8] = []
        // SentencePiece models add a space before the text when encoding; the first text token's is removed.
        var stripSpace: Bool = { if case .sentencePiece(true) = model { return true } else { return false } }()
        for id in ids {
            var piece = bytes(of: id, renderSpecial: renderSpecial)
            if stripSpace && vocabulary.kind(of: id) == .normal {
                if piece.first == 0x20 { piece.removeFirst() }
                stripSpace = false
            }
            out += piece
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Checks that every id is in the vocabulary.
    public func validate(_ ids: [TokenID]) throws(TokenizerError) {
        for id in ids where id < 0 || Int(id) >= vocabulary.count {
            throw .invalidTokenID(id, vocabularySize: vocabulary.count)
        }
    }
}
