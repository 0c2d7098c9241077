/// What a learned PRM head reads about one step, all free from the forward passes search already ran:
/// the final hidden state where the step's text ends, the hidden state right after its `=` (the model's
/// belief about the result it is about to write), and the step's token log-probabilities.
public struct StepFeatures: Sendable, Equatable {
    /// Hidden state after the step's last content token (before the delimiter or end of generation).
    public var end: [Float]
    /// Hidden state after the step's first `=`, where the model predicts the result; zeros without one.
    public var beforeResult: [Float]
    public var meanLogProbability: Float
    public var minLogProbability: Float
    /// Mean log-probability of the tokens after `=` (the result as written); 0 without one.
    public var resultLogProbability: Float

    public init(end: [Float], beforeResult: [Float], meanLogProbability: Float, minLogProbability: Float,
                resultLogProbability: Float) {
        self.end = end
        self.beforeResult = beforeResult
        self.meanLogProbability = meanLogProbability
        self.minLogProbability = minLogProbability
        self.resultLogProbability = resultLogProbability
    }

    /// One flat vector: end, beforeResult, then the three log-probabilities.
    public var vector: [Float] { end + beforeResult + [meanLogProbability, minLogProbability, resultLogProbability] }

    public static func dimension(width: Int) -> Int { 2 * width + 3 }
}
