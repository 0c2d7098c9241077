/// Finds where a step ends in a stream of tokens, without re-tokenizing: a step ends with the token
/// that completes the delimiter ("\n\n" by default, or "\n" for one-calculation-per-line formats),
/// even when the delimiter sits inside a larger token (" 5.\n\n") or is split across two ("\n" "\n").
public struct StepDelimiter: Sendable, Equatable {
    public let delimiter: [UInt8]
    /// The last bytes seen, enough to find a delimiter that straddles tokens.
    private var tail: [UInt8] = []

    public init(_ delimiter: String = "\n\n") {
        precondition(!delimiter.isEmpty, "a step delimiter cannot be empty")
        self.delimiter = Array(delimiter.utf8)
    }

    /// Feeds one token's bytes; true when the step ends with this token. The search then keeps this
    /// token in the step: any text after the delimiter inside the same token stays with it.
    public mutating func append(_ bytes: [UInt8]) -> Bool {
        let window = tail + bytes
        let found = window.count >= delimiter.count && (0...(window.count - delimiter.count)).contains { i in
            // Only matches that end inside this token's bytes are new.
            i + delimiter.count > tail.count && window[i..<(i + delimiter.count)].elementsEqual(delimiter)
        }
        tail = Array(window.suffix(delimiter.count - 1))
        if found { tail.removeAll() }
        return found
    }

    /// Starts a new step.
    public mutating func reset() { tail.removeAll() }
}
