/// What a search computed, counted as it ran.
public struct SearchAccounting: Sendable, Codable, Equatable {
    /// Prompt tokens put through the model (once when branches fork, once per branch without forking).
    public var tokensPrefilled = 0
    /// Tokens sampled and fed back one at a time.
    public var tokensDecoded = 0
    /// Tokens a scorer put through a model of its own (0 for the checker, likelihood and verifier).
    public var scorerTokens = 0
    /// Batched forward steps.
    public var forwardSteps = 0
    public var peakKVBytes = 0
    public var seconds = 0.0

    public init(tokensPrefilled: Int = 0, tokensDecoded: Int = 0, scorerTokens: Int = 0, forwardSteps: Int = 0, peakKVBytes: Int = 0,
                seconds: Double = 0) {
        self.tokensPrefilled = tokensPrefilled
        self.tokensDecoded = tokensDecoded
        self.scorerTokens = scorerTokens
        self.forwardSteps = forwardSteps
        self.peakKVBytes = peakKVBytes
        self.seconds = seconds
    }

    /// Adds the work of a search run before this one on the same problem: counts add, the peak is the larger.
    public mutating func add(_ other: SearchAccounting) {
        tokensPrefilled += other.tokensPrefilled
        tokensDecoded += other.tokensDecoded
        scorerTokens += other.scorerTokens
        forwardSteps += other.forwardSteps
        seconds += other.seconds
        peakKVBytes = max(peakKVBytes, other.peakKVBytes)
    }
}
