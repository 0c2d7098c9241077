import Foundation

/// Compute-optimal strategy choice: a problem's difficulty is estimated from a few Best-of-N samples (the
/// mean of their solution scores under the PRM), and a table learned on training problems says which
/// strategy, budget and selection rule did best on training problems of that difficulty at each budget.
public struct ComputeOptimalTable: Sendable, Codable, Equatable {
    public struct Choice: Sendable, Codable, Equatable {
        /// best-of-n, beam, dvts or particles.
        public var strategy: SearchStrategy
        public var n: Int
        /// The selection rule whose pick is the answer.
        public var select: Selection
        /// Training accuracy of this choice in its difficulty bin, and the bin's problems.
        public var accuracy: Double
        public var problems: Int
    }

    /// Samples in the difficulty probe.
    public var probe: Int
    /// The PRM the scores came from (a table is only valid with the scorer it was learned with).
    public var prm: String
    /// Upper edges of the difficulty bins on the probe's mean score (ascending); bins = edges + 1.
    public var edges: [Double]
    /// Budget → the choice for each bin.
    public var choices: [String: [Choice]]
    /// Where the table was learned.
    public var source: String
    /// The scorer's signal-to-noise on the training samples and the widest pruning it supports (see
    /// `ScorerSignal`); absent in tables learned before it was measured.
    public var signal: ScorerSignal?

    public init(probe: Int, prm: String, edges: [Double], choices: [String: [Choice]], source: String, signal: ScorerSignal? = nil) {
        self.probe = probe
        self.prm = prm
        self.edges = edges
        self.choices = choices
        self.source = source
        self.signal = signal
    }

    public var budgets: [Int] { choices.keys.compactMap(Int.init).sorted() }

    /// The strategies a table can choose (greedy, auto and adaptive are no fixed-budget choice).
    public static let choosable: [SearchStrategy] = [.bestOfN, .beam, .dvts, .particles]

    /// The scorers banyan ships a table for: the arithmetic checker and the default model's PRM head, each
    /// learned on training chains.
    public static let shippedScorers = ["checker", "head"]

    /// The shipped table learned with `prm` (`auto-table.json` for the checker, `auto-table-head.json` for the
    /// head), if there is one.
    public static func shippedPath(prm: String) -> String? {
        guard shippedScorers.contains(prm) else { return nil }
        return Bundle.module.path(forResource: prm == "checker" ? "auto-table" : "auto-table-\(prm)", ofType: "json", inDirectory: "Resources")
    }

    /// Reads a table written by `banyan auto-table` (the one shipped for `prm` when `path` is nil), refusing
    /// one whose scorer differs from `prm` or that names a strategy or rule this version does not know.
    public static func load(path: String?, prm: String) throws(SearchConfigurationError) -> ComputeOptimalTable {
        if path == nil && !shippedScorers.contains(prm) { throw .noShippedAutoTable(prm: prm, shipped: shippedScorers) }
        guard let path = path ?? shippedPath(prm: prm) else { throw .noAutoTable }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        let table: ComputeOptimalTable
        do { table = try JSONDecoder().decode(ComputeOptimalTable.self, from: data) } catch {
            throw .badAutoTable(path: path, detail: String(describing: error))
        }
        guard table.prm == prm else { throw .autoTableScorer(path: path, learnedWith: table.prm, given: prm) }
        // Strategy and rule names were checked when decoding; greedy and auto are no choice to run.
        for choice in table.choices.values.joined() where !choosable.contains(choice.strategy) {
            throw .unknownStrategyInTable(path: path, strategy: choice.strategy.rawValue)
        }
        return table
    }

    /// Writes the table as JSON (what `load` reads).
    public func write(toFile path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// The bin of a probe's mean score: the first whose upper edge is at least the score.
    public func bin(_ difficulty: Double) -> Int { edges.firstIndex { difficulty <= $0 } ?? edges.count }

    /// The choice for a problem at `budget` (the table's largest budget not above it).
    public func choice(budget: Int, difficulty: Double) -> Choice? {
        guard let b = budgets.last(where: { $0 <= budget }), let row = choices[String(b)] else { return nil }
        return row[min(bin(difficulty), row.count - 1)]
    }

    /// The mean solution score of a probe: the difficulty estimate.
    public static func difficulty(_ scores: [Double]) -> Double { scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count) }

    /// Learns a table from evaluation runs on training problems. `bestOfN` is a Best-of-N run at the largest
    /// budget (its first `probe` samples are each problem's probe, and its picks at every smaller budget
    /// are the Best-of-N candidates); `others` are beam search, DVTS and particle-filter runs at their N.
    /// Problems are split into `bins` bins of equal size by difficulty; in each bin and at each budget B, the
    /// candidate with n ≤ B that was right most often wins (ties go to the smaller n, then to Best-of-N).
    ///
    /// Beam search and DVTS keep 1 in `beamWidth` candidates. With `capBySignal`, they are candidates only
    /// if the scorer's measured signal-to-noise supports that much pruning (`ScorerSignal.usefulWidth ≥
    /// beamWidth`, Dalal et al.): below it, their wins on the training problems are taken for noise. Particle
    /// filtering prunes nothing by a fixed width (it resamples all N in proportion to their scores), so it
    /// stays a candidate and is judged by its training accuracy alone.
    public static func learn(bestOfN: [EvaluationRecord], others: [(n: Int, records: [EvaluationRecord])], probe: Int, bins: Int, budgets: [Int],
                             prm: String, source: String, beamWidth: Int = 4, capBySignal: Bool = true) -> ComputeOptimalTable {
        let signal = ScorerSignal(bestOfN)
        let pruningTooWide = capBySignal && signal.measured && signal.usefulWidth < beamWidth
        let others = others.filter { run in !(pruningTooWide && [.beam, .dvts].contains(run.records.first.flatMap { SearchStrategy(rawValue: $0.strategy) })) }
        let difficulty = Dictionary(bestOfN.map { ($0.id, Self.difficulty(Array($0.scores.prefix(probe)))) }) { a, _ in a }
        // Bin edges at difficulty quantiles, merged where scores tie.
        let sorted = difficulty.values.sorted()
        var edges: [Double] = []
        for k in 1..<max(1, bins) where !sorted.isEmpty {
            let q = sorted[min(sorted.count - 1, k * sorted.count / bins - 1)]
            if edges.last != q && q < (sorted.last ?? 0) { edges.append(q) }
        }
        struct Candidate { var strategy: SearchStrategy; var n: Int; var select: Selection; var right: [String: Bool] }
        var candidates: [Candidate] = []
        for rule in [Selection.weighted, .majority, .conditional] {
            var byBudget: [Int: [String: Bool]] = [:]
            for r in bestOfN { for (k, ok) in r.correct[rule.rawValue] ?? [:] { if let n = Int(k) { byBudget[n, default: [:]][r.id] = ok } } }
            for (n, right) in byBudget { candidates.append(Candidate(strategy: .bestOfN, n: n, select: rule, right: right)) }
        }
        for (n, run) in others {
            guard let first = run.first, let strategy = SearchStrategy(rawValue: first.strategy) else { continue }
            guard Self.choosable.contains(strategy), strategy != .bestOfN else { continue }
            // DVTS picks among its N/M subtrees' solutions: the run's own largest pick budget.
            let right = Dictionary(run.map { ($0.id, $0.isCorrect(.weighted, budget: $0.budget)) }) { a, _ in a }
            candidates.append(Candidate(strategy: strategy, n: n, select: .weighted, right: right))
        }
        let table = ComputeOptimalTable(probe: probe, prm: prm, edges: edges, choices: [:], source: source, signal: signal)
        var choices: [String: [Choice]] = [:]
        for budget in budgets {
            var row: [Choice] = []
            for bin in 0...edges.count {
                let ids = difficulty.filter { table.bin($0.value) == bin }.map(\.key)
                var best: Choice?
                let order = candidates.filter { $0.n <= budget }
                    .sorted { ($0.n, $0.strategy == .bestOfN ? 0 : 1, $0.strategy.rawValue, $0.select.rawValue)
                        < ($1.n, $1.strategy == .bestOfN ? 0 : 1, $1.strategy.rawValue, $1.select.rawValue) }
                for c in order {
                    let known = ids.filter { c.right[$0] != nil }
                    guard known.count == ids.count, !ids.isEmpty else { continue }
                    let accuracy = Double(known.filter { c.right[$0]! }.count) / Double(ids.count)
                    if best == nil || accuracy > best!.accuracy {
                        best = Choice(strategy: c.strategy, n: c.n, select: c.select, accuracy: accuracy, problems: ids.count)
                    }
                }
                row.append(best ?? Choice(strategy: .bestOfN, n: budget, select: .weighted, accuracy: 0, problems: ids.count))
            }
            choices[String(budget)] = row
        }
        return ComputeOptimalTable(probe: probe, prm: prm, edges: edges, choices: choices, source: source, signal: signal)
    }

    /// The table as aligned text, one line per budget.
    public var description: String {
        var lines = ["difficulty probe: \(probe) Best-of-N samples, mean solution score (\(prm)); learned on \(source)"]
        if let signal { lines.append(signal.description) }
        let f = { (x: Double) in String(format: "%.2f", x) }
        let names = (0...edges.count).map { i -> String in
            if edges.isEmpty { return "any score" }
            if i == 0 { return "score ≤ \(f(edges[0]))" }
            return i < edges.count ? "\(f(edges[i - 1])) < score ≤ \(f(edges[i]))" : "score > \(f(edges[i - 1]))"
        }
        lines.append("budget | " + names.joined(separator: " | "))
        for b in budgets {
            let row = choices[String(b)]!.map { c in
                String(format: "%@%@ N=%d (%.0f%% of %d)", c.strategy.rawValue, c.strategy == .bestOfN ? " \(c.select.rawValue)" : "", c.n, 100 * c.accuracy, c.problems)
            }
            lines.append("\(b) | " + row.joined(separator: " | "))
        }
        return lines.joined(separator: "\n")
    }
}

/// How well a scorer separates right from wrong solutions, as a signal-to-noise ratio: the gap between the
/// mean scores of right and wrong samples over the pooled standard deviation, Δ/σ. Dalal et al. show the
/// widest useful pruning (keeping 1 of k candidates) grows like exp((Δ/σ)²): below it, pruning picks the
/// scorer's noise. Measured on Best-of-N training samples.
public struct ScorerSignal: Sendable, Codable, Equatable, CustomStringConvertible {
    public var rightSamples: Int
    public var wrongSamples: Int
    public var meanRight: Double
    public var meanWrong: Double
    /// Δ/σ.
    public var signalToNoise: Double
    /// ⌊exp((Δ/σ)²)⌋ (1 when the scorer does not separate at all).
    public var usefulWidth: Int

    public init(rightSamples: Int, wrongSamples: Int, meanRight: Double, meanWrong: Double, signalToNoise: Double) {
        (self.rightSamples, self.wrongSamples, self.meanRight, self.meanWrong) = (rightSamples, wrongSamples, meanRight, meanWrong)
        self.signalToNoise = signalToNoise
        usefulWidth = signalToNoise > 0 ? Int(Foundation.exp(min(signalToNoise * signalToNoise, 20))) : 1
    }

    /// From every answered sample of `records`, right or wrong against its problem's expected answer.
    public init(_ records: [EvaluationRecord]) {
        var right: [Double] = [], wrong: [Double] = []
        for r in records {
            for (answer, score) in zip(r.answers, r.scores) {
                if let answer, AnswerEquivalence.equivalent(answer, r.expected) { right.append(score) } else { wrong.append(score) }
            }
        }
        func moments(_ x: [Double]) -> (mean: Double, variance: Double) {
            guard !x.isEmpty else { return (0, 0) }
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count))
        }
        let (r, w) = (moments(right), moments(wrong))
        let sd = ((r.variance + w.variance) / 2).squareRoot()
        // Δ/σ within ±10 (a scorer that separates without noise is as good as ±10, and JSON has no ∞).
        let ratio = right.isEmpty || wrong.isEmpty ? 0 : sd == 0 ? (r.mean > w.mean ? 10 : r.mean < w.mean ? -10 : 0) : (r.mean - w.mean) / sd
        self.init(rightSamples: right.count, wrongSamples: wrong.count, meanRight: r.mean, meanWrong: w.mean,
                  signalToNoise: max(-10, min(10, ratio)))
    }

    /// Both right and wrong samples were seen (else nothing is known about the scorer's separation).
    public var measured: Bool { rightSamples > 0 && wrongSamples > 0 }

    public var description: String {
        guard measured else { return "scorer signal: not measured (the samples were all right or all wrong)" }
        return String(format: "scorer signal: right samples score %.3f, wrong %.3f (%d / %d samples), Δ/σ %.2f: pruning pays up to 1 in %d",
               meanRight, meanWrong, rightSamples, wrongSamples, signalToNoise, usefulWidth)
    }
}
