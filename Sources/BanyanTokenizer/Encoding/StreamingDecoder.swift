/// Turns a stream of tokens into text without ever emitting half a UTF-8 character: bytes of an
/// incomplete sequence are held back until the tokens that complete it arrive.
public struct StreamingDecoder {
    public let tokenizer: Tokenizer
    public let renderSpecial: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Adds one token; returns the text that is now complete (possibly empty).
    public mutating func append(_ id: TokenID) -> String {
        pending += tokenizer.bytes(of: id, renderSpecial: renderSpecial)
        let complete = StreamingDecoder.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is still held back, with invalid bytes replaced (call at the end of a stream).
    public mutating func flush() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside an incomplete (but so far valid) UTF-8 sequence.
    static func completePrefixLength(_ b: [UInt8]) -> Int {
        var i = b.count - 1
        var continuation = 0
        while i >= 0 && continuation < 3 && b[i] & 0xC0 == 0x80 { i -= 1; continuation += 1 }
        guard i >= 0 else { return b.count > 3 ? b.count : 0 }
        let lead = b[i]
        let need = lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 1
        return need > continuation + 1 ? i : b.count
    }
}
