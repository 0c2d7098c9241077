/// Several step scorers at once: each step scores the product of their scores, as if each were an
/// independent probability that the step is right. `head*checker` is the learned head with every step
/// whose arithmetic is wrong set to 0. The steps carry the features of the first factor that reads any.
public struct ProductScorer: StepScorer {
    public let factors: [any StepScorer]
    public var name: String { factors.map(\.name).joined(separator: "*") }

    public init(_ factors: [any StepScorer]) {
        precondition(!factors.isEmpty, "a product of no scorers")
        self.factors = factors
    }

    public func featureTracker() -> StepFeatureTracker? { factors.lazy.compactMap { $0.featureTracker() }.first }

    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        var product = [Double](repeating: 1, count: steps.count)
        for factor in factors {
            for (i, s) in factor.scores(steps, text: text, finished: finished).enumerated() { product[i] *= s }
        }
        return product
    }
}
