import Foundation

/// Which labels a PRM head learns from.
public enum PRMLabelKind: String, Sendable, CaseIterable, Codable {
    /// The chain checker's verdict on each step (exact process labels).
    case exact
    /// The solution's final correctness on every step (OVM).
    case outcome
    /// The fraction of Monte-Carlo rollouts from the step's end that reach the right answer (Math-Shepherd).
    case mc = "mc"

    /// Each training step's target under this kind (nil for `mc` without rollout labels).
    public func targets(_ examples: [PRMExample]) -> [Float]? {
        if self == .mc && !examples.allSatisfy({ $0.monteCarlo != nil }) { return nil }
        return examples.flatMap { e -> [Float] in
            switch self {
            case .exact: return e.exact.map { $0 ? 1 : 0 }
            case .outcome: return e.exact.map { _ in e.correct ? 1 : 0 }
            case .mc: return e.monteCarlo!.map(Float.init)
            }
        }
    }
}

/// How well step scores track the truth on held-out solutions: step AUROC against the exact labels,
/// solution AUROC of the min-aggregated score against final correctness, and calibration.
public struct PRMMeasurement: Sendable {
    public var stepAUROC: Double
    public var solutionAUROC: Double
    public var calibrationError: Double
    /// (mean predicted, fraction right, count) per probability bin.
    public var calibration: [(predicted: Double, observed: Double, count: Int)]

    public init(_ test: [PRMExample], stepScores: (PRMExample) -> [Double]) {
        var scores: [Double] = [], labels: [Bool] = [], solutionScores: [Double] = [], correct: [Bool] = []
        for e in test {
            let s = stepScores(e)
            scores += s
            labels += e.exact
            solutionScores.append(s.min() ?? 0)
            correct.append(e.correct)
        }
        let c = PRMTraining.calibration(scores, labels)
        stepAUROC = PRMTraining.auroc(scores, labels) ?? .nan
        solutionAUROC = PRMTraining.auroc(solutionScores, correct) ?? .nan
        calibrationError = c.error
        calibration = c.bins
    }

    /// A head's probabilities on each held-out step.
    public init(_ test: [PRMExample], head: PRMHead) {
        self.init(test) { e in e.features.map { head.probability(vector: $0) } }
    }

    /// The JSON report's fields.
    public var json: [String: Any] {
        ["step_auroc": stepAUROC, "solution_auroc": solutionAUROC, "calibration_error": calibrationError,
         "calibration": calibration.map { [$0.predicted, $0.observed, Double($0.count)] }]
    }
}

/// A head trained on each kind of label the examples carry, each measured on the held-out examples beside
/// two baselines that need no training (mean token probability, the arithmetic checker) and, when the
/// examples have them, the Monte-Carlo labels themselves: what `banyan train-prm` reports.
public struct PRMComparison {
    public var heads: [PRMLabelKind: PRMHead] = [:]
    public var measured: [PRMLabelKind: PRMMeasurement] = [:]
    public var trainSeconds: [PRMLabelKind: Double] = [:]
    public let likelihood: PRMMeasurement
    public let checker: PRMMeasurement
    public let monteCarlo: PRMMeasurement?
    public let train: [PRMExample]
    public let test: [PRMExample]

    public init(train: [PRMExample], test: [PRMExample], settings: PRMTraining.Settings, metadata: (PRMLabelKind) -> [String: String]) {
        self.train = train
        self.test = test
        let x = train.flatMap(\.features)
        for kind in PRMLabelKind.allCases {
            guard let y = kind.targets(train), !y.isEmpty else { continue }
            let t0 = Date()
            let head = PRMTraining.fit(x, y, settings: settings, metadata: metadata(kind))
            heads[kind] = head
            measured[kind] = PRMMeasurement(test, head: head)
            trainSeconds[kind] = Date().timeIntervalSince(t0)
        }
        likelihood = PRMMeasurement(test) { e in e.meanLogProbability.map { Foundation.exp($0) } }
        checker = PRMMeasurement(test) { e in e.checker.map { $0 ? 1 : 0 } }
        monteCarlo = !test.isEmpty && test.allSatisfy({ $0.monteCarlo != nil }) ? PRMMeasurement(test) { $0.monteCarlo! } : nil
    }

    /// The JSON report's fields.
    public var jsonObject: [String: Any] {
        let steps = train.reduce(0) { $0 + $1.features.count }
        var report: [String: Any] = ["train_solutions": train.count, "train_steps": steps, "heldout_solutions": test.count,
                                     "heldout_steps": test.reduce(0) { $0 + $1.features.count },
                                     "step_label_positive_rate": Double(train.flatMap(\.exact).filter { $0 }.count) / Double(max(1, steps)),
                                     "likelihood": likelihood.json, "arithmetic_checker": checker.json]
        for (kind, m) in measured { report["\(kind.rawValue)_labels"] = m.json.merging(["train_seconds": trainSeconds[kind] ?? 0]) { a, _ in a } }
        if let monteCarlo { report["monte_carlo_labels"] = monteCarlo.json }
        return report
    }
}
