import BanyanGeneration
import Foundation

/// A step scorer that also asks search to capture `StepFeatures`: it scores with `base` (the exact
/// chain checker, when collecting training data) and leaves the features on every step.
public struct FeatureCapture: StepScorer {
    public let base: any StepScorer
    public var name: String { base.name }
    public func featureTracker() -> StepFeatureTracker? { StepFeatureTracker() }
    public init(_ base: any StepScorer) { self.base = base }
    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        base.scores(steps, text: text, finished: finished)
    }
}

/// Sampled solutions with their step features and labels, for training and measuring PRM heads.
public struct PRMExample: Sendable {
    public var problem: Int
    /// Per step: the features, and the exact label (the chain checker's verdict).
    public var features: [[Float]]
    public var exact: [Bool]
    /// Whether the solution's final answer is right (the outcome label of every step).
    public var correct: Bool
    /// The arithmetic checker's verdict per step (each line adds up), a programmatic baseline.
    public var checker: [Bool]
    public var meanLogProbability: [Double]
    /// Per step: the fraction of rollouts continuing from the step's end that reach the right answer
    /// (Math-Shepherd's soft label; nil when not collected). The last step's is the solution's correctness.
    public var monteCarlo: [Double]?

    public init(problem: Int, features: [[Float]], exact: [Bool], correct: Bool, checker: [Bool], meanLogProbability: [Double],
                monteCarlo: [Double]? = nil) {
        self.problem = problem
        self.features = features
        self.exact = exact
        self.correct = correct
        self.checker = checker
        self.meanLogProbability = meanLogProbability
        self.monteCarlo = monteCarlo
    }
}

public enum PRMDataset {
    /// Samples `n` solutions per problem (Best-of-N over forked prompts, `batch` problems at a time) and
    /// labels every step; with `rollouts` > 0 also by Monte-Carlo rollouts (see `monteCarloLabels`).
    /// `progress` is called after each batch with (done, total).
    public static func collect(policy: @autoclosure () throws -> SearchPolicy, problems: [Problem], prompts: [[Int32]], n: Int,
                               sampling: SamplingParameters, maxTokens: Int, delimiter: String, batch: Int, rollouts: Int = 0,
                               rolloutCapacity: Int = 0, progress: (Int, Int) -> Void = { _, _ in }) throws -> [PRMExample] {
        var examples: [PRMExample] = []
        for first in stride(from: 0, to: problems.count, by: batch) {
            let range = first..<min(first + batch, problems.count)
            let search = BestOfN(n: n, sampling: sampling, maxTokens: maxTokens, delimiter: delimiter,
                                 scorer: FeatureCapture(CheckerScorer()), aggregation: .min)
            let results = try search.run(policy: policy(), problems: range.map {
                SearchProblem(prompt: prompts[$0], scorer: FeatureCapture(ChainCheckerScorer(question: problems[$0].question)))
            })
            var kept: [(problem: Int, solution: Solution)] = []
            for (p, result) in zip(range, results) {
                for s in result.solutions where s.steps.allSatisfy({ $0.features != nil }) && !s.steps.isEmpty {
                    let arithmetic = CheckerScorer().scores(s.steps, text: s.text, finished: true)
                    examples.append(PRMExample(problem: p, features: s.steps.map { $0.features!.vector }, exact: s.steps.map { $0.score > 0.5 },
                                               correct: s.isRight(expected: problems[p].answer),
                                               checker: arithmetic.map { $0 > 0.5 }, meanLogProbability: s.steps.map(\.meanLogProbability)))
                    kept.append((p, s))
                }
            }
            if rollouts > 0 {
                let labels = try monteCarloLabels(policy: try policy(), solutions: kept, problems: problems, prompts: prompts, rollouts: rollouts,
                                                  sampling: sampling, maxTokens: maxTokens, delimiter: delimiter, capacity: rolloutCapacity,
                                                  seed: sampling.seed &+ UInt64(first) &* 1_000_003)
                for (k, l) in labels.enumerated() { examples[examples.count - kept.count + k].monteCarlo = l }
            }
            progress(range.upperBound, problems.count)
        }
        return examples
    }
}

extension PRMDataset {
    /// Math-Shepherd's labels: from the end of every step but the last, `rollouts` continuations are sampled
    /// (each step's prefix is prefilled once, as the prompt plus the solution's own tokens so far, sharing the
    /// few-shot prompt, and its rollouts fork it); the label is the fraction that reach the right answer. The
    /// last step is labelled by the solution's own correctness. Prefixes go in chunks that fit `capacity`, the
    /// tokens `policy` holds.
    public static func monteCarloLabels(policy: SearchPolicy, solutions: [(problem: Int, solution: Solution)], problems: [Problem],
                                        prompts: [[Int32]], rollouts: Int, sampling: SamplingParameters, maxTokens: Int,
                                        delimiter: String, capacity: Int, seed: UInt64) throws -> [[Double]] {
        struct Prefix { var solution: Int; var step: Int; var tokens: [Int32]; var problem: Int }
        var labels = solutions.map { p, s in
            Array(repeating: 0.0, count: s.steps.count - 1) + [s.isRight(expected: problems[p].answer) ? 1 : 0]
        }
        var prefixes: [Prefix] = []
        for (i, (p, s)) in solutions.enumerated() {
            var tokens = prompts[p]
            for j in 0..<(s.steps.count - 1) {
                tokens += s.steps[j].tokens
                prefixes.append(Prefix(solution: i, step: j, tokens: tokens, problem: p))
            }
        }
        let longest = prefixes.map(\.tokens.count).max() ?? 0
        // Pages round each sequence up and every rollout copies its prefix's last page: twice the raw count.
        let perPrefix = 2 * (longest + rollouts * (maxTokens + 32) + 64)
        let chunk = max(1, capacity > 0 ? capacity / perPrefix : 64)
        var settings = sampling
        for start in stride(from: 0, to: prefixes.count, by: chunk) {
            let part = Array(prefixes[start..<min(start + chunk, prefixes.count)])
            settings.seed = seed &+ UInt64(start) &* 7919
            let search = BestOfN(n: rollouts, sampling: settings, maxTokens: maxTokens, delimiter: delimiter, scorer: CheckerScorer(),
                                 aggregation: .min)
            let results = try search.run(policy: policy, problems: part.map { SearchProblem(prompt: $0.tokens, scorer: CheckerScorer()) })
            for (x, r) in zip(part, results) {
                let right = r.solutions.filter { $0.isRight(expected: problems[x.problem].answer) }.count
                labels[x.solution][x.step] = Double(right) / Double(max(1, r.solutions.count))
            }
        }
        return labels
    }

    private struct Meta: Codable {
        var problem: Int, exact: [Bool], correct: Bool, checker: [Bool], meanLogProbability: [Double], width: Int
        var monteCarlo: [Double]?
    }

    /// Saves examples: a JSON line of labels per example, then every feature as little-endian Float32.
    public static func save(_ examples: [PRMExample], to path: String) throws {
        let metas = examples.map {
            Meta(problem: $0.problem, exact: $0.exact, correct: $0.correct, checker: $0.checker,
                 meanLogProbability: $0.meanLogProbability, width: $0.features.first?.count ?? 0, monteCarlo: $0.monteCarlo)
        }
        var data = try JSONEncoder().encode(metas)
        data.append(0x0A)
        for e in examples { for row in e.features { row.withUnsafeBytes { data.append(contentsOf: $0) } } }
        try data.write(to: URL(fileURLWithPath: path))
    }

    public static func load(from path: String) throws -> [PRMExample] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let newline = data.firstIndex(of: 0x0A) else { throw ProblemSetError.unreadable(path: path, reason: "not a PRM example file") }
        let metas = try JSONDecoder().decode([Meta].self, from: data[..<newline])
        var offset = newline + 1
        return try metas.map { m in
            var rows: [[Float]] = []
            for _ in m.exact {
                guard offset + 4 * m.width <= data.count else { throw ProblemSetError.unreadable(path: path, reason: "truncated") }
                rows.append(data[offset..<(offset + 4 * m.width)].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
                offset += 4 * m.width
            }
            return PRMExample(problem: m.problem, features: rows, exact: m.exact, correct: m.correct, checker: m.checker,
                              meanLogProbability: m.meanLogProbability, monteCarlo: m.monteCarlo)
        }
    }
}
