import BanyanTokenizer
import Foundation

/// Generated tokens as text for a reader: whole characters only, and stop strings honoured. A tail that
/// could still grow into a stop string is held back until it cannot; the stop string itself and what
/// follows it are never shown.
public struct TextStream {
    /// The text so far (up to the stop string, once one appeared).
    public private(set) var text = ""
    /// Whether a stop string ended the text.
    public private(set) var stopped = false
    private var shown = 0
    private var decoder: StreamingDecoder
    public let stopStrings: [String]

    public init(tokenizer: Tokenizer, stopStrings: [String] = []) {
        decoder = StreamingDecoder(tokenizer: tokenizer)
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
    }

    /// Adds a token; returns the text that became safe to show (possibly empty).
    public mutating func append(_ token: Int32) -> String {
        guard !stopped else { return "" }
        text += decoder.append(token)
        if let stop = stopStrings.compactMap({ s in text.range(of: s).map { $0.lowerBound } }).min() {
            text = String(text[..<stop])
            stopped = true
            return take(text.count)
        }
        let holdBack = stopStrings.map { TextStream.overlap(text, $0) }.max() ?? 0
        return take(text.count - holdBack)
    }

    /// The end of generation: whatever was held back (no stop string can complete any more).
    public mutating func finish() -> String {
        guard !stopped else { return "" }
        text += decoder.flush()
        return take(text.count)
    }

    private mutating func take(_ ready: Int) -> String {
        guard ready > shown else { return "" }
        let piece = String(text.dropFirst(shown).prefix(ready - shown))
        shown = ready
        return piece
    }

    /// Length of the longest suffix of `text` that is a proper prefix of `stop`.
    static func overlap(_ text: String, _ stop: String) -> Int {
        var n = min(text.count, stop.count - 1)
        while n > 0 {
            if text.hasSuffix(stop.prefix(n)) { return n }
            n -= 1
        }
        return 0
    }
}
