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
    /// Within-problem selection, what Best-of-N needs: over held-out problems, the fraction whose
    /// highest-scored solution is right, with solutions scored by their minimum step score and by their
    /// last (answer) step's score; `passAtN`, the fraction with any right solution, is the ceiling.
    public var topOneMin = 0.0
    public var topOneLast = 0.0
    public var passAtN = 0.0
    /// The same restricted to problems with both right and wrong solutions (where the choice matters;
    /// picking at random scores the fraction right among them).
    public var mixedProblems = 0
    public var topOneMinMixed = 0.0
    public var topOneLastMixed = 0.0
    public var randomMixed = 0.0

    public init(_ test: [PRMExample], stepScores: (PRMExample) -> [Double]) {
        var scores: [Double] = [], labels: [Bool] = [], solutionScores: [Double] = [], correct: [Bool] = []
        struct Candidate { let min: Double, last: Double, right: Bool }
        var byProblem: [Int: [Candidate]] = [:]
        for e in test {
            let s = stepScores(e)
            scores += s
            labels += e.exact
            solutionScores.append(s.min() ?? 0)
            correct.append(e.correct)
            byProblem[e.problem, default: []].append(Candidate(min: s.min() ?? 0, last: s.last ?? 0, right: e.correct))
        }
        var problems = 0.0, mixed = 0.0
        for candidates in byProblem.values where !candidates.isEmpty {
            // Ties go to the first candidate, as the selection rules do.
            func top(_ key: KeyPath<Candidate, Double>) -> Bool {
                var best = candidates[0]
                for c in candidates.dropFirst() where c[keyPath: key] > best[keyPath: key] { best = c }
                return best.right
            }
            let (minRight, lastRight) = (top(\.min), top(\.last))
            let rightCount = candidates.filter(\.right).count
            problems += 1
            topOneMin += minRight ? 1 : 0
            topOneLast += lastRight ? 1 : 0
            passAtN += rightCount > 0 ? 1 : 0
            if rightCount > 0 && rightCount < candidates.count {
                mixed += 1
                topOneMinMixed += minRight ? 1 : 0
                topOneLastMixed += lastRight ? 1 : 0
                randomMixed += Double(rightCount) / Double(candidates.count)
            }
        }
        if problems > 0 { (topOneMin, topOneLast, passAtN) = (topOneMin / problems, topOneLast / problems, passAtN / problems) }
        mixedProblems = Int(mixed)
        if mixed > 0 { (topOneMinMixed, topOneLastMixed, randomMixed) = (topOneMinMixed / mixed, topOneLastMixed / mixed, randomMixed / mixed) }
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
         "calibration": calibration.map { [$0.predicted, $0.observed, Double($0.count)] },
         "top1_min": topOneMin, "top1_last": topOneLast, "pass_at_n": passAtN, "mixed_problems": mixedProblems,
         "top1_min_mixed": topOneMinMixed, "top1_last_mixed": topOneLastMixed, "random_mixed": randomMixed]
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
    /// With a ranking weight: the head trained on those labels plus the within-problem pairwise loss
    /// (`PRMRanking`), Platt-calibrated, and its measurement.
    public var ranked: (labels: PRMLabelKind, head: PRMHead, measured: PRMMeasurement)?
    /// With features from extra layers: a head on `finalOnly.labels` fitted to the final layer's part of the
    /// same features, and its measurement (what the extra layers add, on the same samples).
    public var finalOnly: (labels: PRMLabelKind, measured: PRMMeasurement)?
    /// The same for the ranked head (with a ranking weight).
    public var rankedFinalOnly: PRMMeasurement?

    /// `layers`: the model's width and how many feature layers beside the final one the examples carry.
    public init(train: [PRMExample], test: [PRMExample], settings: PRMTraining.Settings, ranking: (labels: PRMLabelKind, weight: Float)? = nil,
                layers: (width: Int, extra: Int, labels: PRMLabelKind)? = nil, metadata: (PRMLabelKind) -> [String: String]) {
        self.train = train
        self.test = test
        let x = train.flatMap(\.features)
        if let layers, layers.extra > 0, let y = layers.labels.targets(train), !y.isEmpty {
            let cut = { (v: [Float]) in StepFeatures.finalLayerOnly(v, width: layers.width, extraLayers: layers.extra) }
            let head = PRMTraining.fit(x.map(cut), y, settings: settings)
            finalOnly = (layers.labels, PRMMeasurement(test) { e in e.features.map { head.probability(vector: cut($0)) } })
            if let ranking {
                let ranked = PRMRanking.fit(x.map(cut), y, pairs: PRMRanking.pairs(train), weight: ranking.weight, settings: settings)
                rankedFinalOnly = PRMMeasurement(test) { e in e.features.map { ranked.probability(vector: cut($0)) } }
            }
        }
        if let ranking, let y = ranking.labels.targets(train), !y.isEmpty {
            let head = PRMRanking.fit(x, y, pairs: PRMRanking.pairs(train), weight: ranking.weight, settings: settings,
                                      metadata: metadata(ranking.labels))
            ranked = (ranking.labels, head, PRMMeasurement(test, head: head))
        }
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
        if let ranked { report["ranked_\(ranked.labels.rawValue)_labels"] = ranked.measured.json }
        if let finalOnly { report["final_layer_only_\(finalOnly.labels.rawValue)_labels"] = finalOnly.measured.json }
        if let rankedFinalOnly, let ranked { report["final_layer_only_ranked_\(ranked.labels.rawValue)_labels"] = rankedFinalOnly.json }
        return report
    }

    /// The report as text, one line per scorer.
    public var lines: [String] {
        func line(_ name: String, _ m: PRMMeasurement) -> String {
            String(format: "%@: step AUROC %.3f, solution AUROC %.3f, calibration error %.3f; top-1 (min / last step) %.1f%% / %.1f%% of %d problems "
                   + "(pass@N %.1f%%); where the choice matters (%d problems): %.1f%% / %.1f%%, random %.1f%%", name, m.stepAUROC, m.solutionAUROC,
                   m.calibrationError, 100 * m.topOneMin, 100 * m.topOneLast, Set(test.map(\.problem)).count, 100 * m.passAtN,
                   m.mixedProblems, 100 * m.topOneMinMixed, 100 * m.topOneLastMixed, 100 * m.randomMixed)
        }
        var out = measured.sorted { $0.key.rawValue < $1.key.rawValue }.map { line("head on \($0.key.rawValue) labels", $0.value) }
        if let ranked { out.append(line("head on \(ranked.labels.rawValue) labels + within-problem ranking", ranked.measured)) }
        if let finalOnly { out.append(line("head on \(finalOnly.labels.rawValue) labels, final hidden state only", finalOnly.measured)) }
        if let rankedFinalOnly, let ranked {
            out.append(line("head on \(ranked.labels.rawValue) labels + within-problem ranking, final hidden state only", rankedFinalOnly))
        }
        if let monteCarlo { out.append(line("Monte-Carlo labels themselves", monteCarlo)) }
        out.append(line("likelihood (mean token probability)", likelihood))
        out.append(line("arithmetic checker (each line adds up)", checker))
        return out
    }
}
