/// What a learned PRM head reads about one step, all free from the forward passes search already ran:
/// the final hidden state where the step's text ends, the hidden state right after its `=` (the model's
/// belief about the result it is about to write), and the step's token log-probabilities. With feature
/// layers on the engine, each hidden state is the final one followed by those layers' outputs.
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

    /// The final-layer part of a vector captured with `extraLayers` feature layers beside the final hidden
    /// state (each of `width` floats): what a head on the final hidden state alone reads of the same step.
    public static func finalLayerOnly(_ v: [Float], width: Int, extraLayers: Int) -> [Float] {
        let block = width * (1 + extraLayers)
        return Array(v[0..<width]) + v[block..<(block + width)] + v[(2 * block)...]
    }
}

/// Follows one branch's current step as it is sampled and hands over its `StepFeatures` when the step ends.
/// The search loop only reports tokens and hidden states; what marks the result (the arithmetic `=`) is
/// this tracker's business, chosen by the scorer that reads the features.
public struct StepFeatureTracker: Sendable {
    /// The byte after which the model writes the step's result.
    public var marker: UInt8
    private var minLogProbability = 0.0
    private var sawMarker = false
    private var awaitingResult = false
    private var resultHidden: [Float]?
    private var resultLogProbability = 0.0
    private var resultTokens = 0

    public init(marker: UInt8 = UInt8(ascii: "=")) { self.marker = marker }

    /// Before a token is sampled: `hidden` is the state that produced the current logits.
    public mutating func willSample(hidden: [Float]?) {
        if awaitingResult {
            resultHidden = hidden
            awaitingResult = false
        }
    }

    /// A token was sampled into the step: its bytes and log-probability.
    public mutating func sampled(_ piece: [UInt8], logProbability lp: Double) {
        minLogProbability = min(minLogProbability, lp)
        if sawMarker {
            resultLogProbability += lp
            resultTokens += 1
        } else if piece.contains(marker) {
            sawMarker = true
            awaitingResult = true
        }
    }

    /// The step ended at hidden state `end`: its features, and a fresh start for the next step.
    public mutating func close(end: [Float]?, meanLogProbability: Double) -> StepFeatures? {
        defer { self = StepFeatureTracker(marker: marker) }
        guard let end else { return nil }
        return StepFeatures(end: end, beforeResult: resultHidden ?? [Float](repeating: 0, count: end.count),
                            meanLogProbability: Float(meanLogProbability), minLogProbability: Float(minLogProbability),
                            resultLogProbability: resultTokens > 0 ? Float(resultLogProbability / Double(resultTokens)) : 0)
    }
}
