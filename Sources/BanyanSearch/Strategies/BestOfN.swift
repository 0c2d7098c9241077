import BanyanGeneration
import BanyanKernels
import Foundation

/// What a search returns: every solution, the answer each selection rule picks at every power-of-two
/// sub-budget (one run gives them all: the first k samples are a sample of k), and the accounting.
public struct SearchResult: Sendable, Codable {
    /// The strategy that produced the solutions.
    public var strategy: SearchStrategy
    /// What `auto` chose for this problem (nil for the other strategies).
    public var autoChoice: AutoChoice?
    public var solutions: [Solution]
    /// `picks[rule][k]`: the answer `rule` picks from the first k solutions, k = 1, 2, 4, … ≤ N.
    public var picks: [Selection: [Int: String]]
    public var accounting: SearchAccounting
    /// Every step the search sampled, with scores and fates.
    public var tree: SearchTree?

    /// The pick of `rule` at the search's whole budget (the largest budget picked at).
    public func answer(_ rule: Selection) -> String? { picks[rule]?[budget] }
    /// Why no rule has an answer, in words a user can act on, or nil when there is one.
    public var noAnswerReason: String? {
        guard picks.values.allSatisfy({ $0.values.isEmpty }) || solutions.allSatisfy({ $0.answer == nil }) else { return nil }
        if !solutions.isEmpty, solutions.allSatisfy({ $0.end == .abandoned }) {
            return "the verifier scored a step of every one of the \(solutions.count) samples 0, so each was abandoned there; "
                + "--vote majority answers by the plain vote"
        }
        return solutions.contains { $0.end == .maxTokens } ? "no sample stated an answer; some hit the token limit (raise --max-tokens)"
            : "no sample stated an answer"
    }
    /// The whole budget: N (auto may spend a budget larger than its chosen run's N).
    public var budget: Int { picks.values.compactMap { $0.keys.max() }.max() ?? solutions.count }

    /// How results name their strategy in files: `beam`, or `auto:beam@8` and `auto:best-of-n-weighted@4`.
    public var label: String {
        guard let c = autoChoice else { return strategy.rawValue }
        return "auto:\(c.strategy.rawValue)\(c.strategy == .bestOfN ? "-" + c.select.rawValue : "")@\(c.n)"
    }

    public init(strategy: SearchStrategy, solutions: [Solution], picks: [Selection: [Int: String]], accounting: SearchAccounting,
                tree: SearchTree? = nil) {
        self.strategy = strategy
        self.solutions = solutions
        self.picks = picks
        self.accounting = accounting
        self.tree = tree
    }
}

/// What `auto` chose for a problem: a strategy, its N and the rule whose pick is the answer.
public struct AutoChoice: Sendable, Codable, Equatable {
    public var strategy: SearchStrategy
    public var n: Int
    public var select: Selection
    public init(strategy: SearchStrategy, n: Int, select: Selection) {
        self.strategy = strategy
        self.n = n
        self.select = select
    }
}

/// One problem of a batched search: its prompt and the scorer that judges its steps (scorers such as the
/// chain checker or the verifier know the problem).
public struct SearchProblem: Sendable {
    public var prompt: [Int32]
    public var scorer: any StepScorer
    public init(prompt: [Int32], scorer: any StepScorer) {
        self.prompt = prompt
        self.scorer = scorer
    }
}

/// Best-of-N: N solutions sampled from forks of the prompt, scored step by step, then one answer chosen
/// by score (vanilla), summed score per answer (weighted) or vote (majority). Greedy is N = 1 at
/// temperature 0.
public struct BestOfN: Sendable {
    public var n: Int
    public var sampling: SamplingParameters
    public var maxTokens: Int
    public var delimiter: String
    public var scorer: any StepScorer
    public var aggregation: Aggregation
    /// Fork the prompt's sequence (true) or prefill the prompt again for every branch, as the reference
    /// implementation does (false): the same answers for the same seed, N times the prefill.
    public var fork: Bool
    /// The index of the first sample: samples `firstSample ..< firstSample + n` of the run from 0, so a
    /// run can continue one that drew the first samples (auto's probe) with the same seeds.
    public var firstSample: Int

    public init(n: Int, sampling: SamplingParameters, maxTokens: Int = 128, delimiter: String = "\n\n",
                scorer: any StepScorer, aggregation: Aggregation = .last, fork: Bool = true, firstSample: Int = 0) {
        self.n = n
        self.firstSample = firstSample
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.delimiter = delimiter
        self.scorer = scorer
        self.aggregation = aggregation
        self.fork = fork
    }

    public static func greedy(maxTokens: Int = 128, delimiter: String = "\n\n", scorer: any StepScorer) -> BestOfN {
        BestOfN(n: 1, sampling: .greedy, maxTokens: maxTokens, delimiter: delimiter, scorer: scorer)
    }

    public func run(policy: SearchPolicy, prompt: [Int32]) throws -> SearchResult {
        try run(policy: policy, problems: [SearchProblem(prompt: prompt, scorer: scorer)])[0]
    }

    /// Several problems at once: all their samples advance together in one batched step. Each problem's
    /// result is what it would be alone (same seeds; the engine's rows do not depend on the batch).
    public func run(policy: SearchPolicy, problems: [SearchProblem]) throws -> [SearchResult] {
        precondition(n >= 1, "Best-of-N needs n ≥ 1")
        let start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: maxTokens, scorers: problems.map(\.scorer))
        var branches: [Rollout.Branch] = []
        let roots = try rollout.prefill(problems.map(\.prompt), sampling: sampling, delimiter: delimiter)
        for (p, problem) in problems.enumerated() {
            // Branch i draws from its own generator (seed + i), so sub-budgets are prefixes of one run.
            var seed = sampling.seed &+ UInt64(firstSample)
            branches += try rollout.start(roots[p], prompt: problem.prompt, count: n, fork: fork, sampling: sampling, nextSeed: &seed)
        }
        try rollout.run(&branches)
        for b in branches { try policy.free(b.sequence) }
        let seconds = (MonotonicClock.seconds() - start) / Double(problems.count)
        return problems.indices.map { p in
            let solutions = rollout.finish(branches.filter { $0.owner == p }, scorer: problems[p].scorer, aggregation: aggregation)
            rollout.accounting[p].seconds = seconds
            return SearchResult(strategy: n == 1 && sampling.temperature == 0 ? .greedy : .bestOfN, solutions: solutions,
                                picks: SearchResult.picks(solutions, budgets: SearchResult.powersOfTwo(upTo: n)),
                                accounting: rollout.accounting[p], tree: rollout.trees[p])
        }
    }
}

extension SearchResult {
    /// 1, 2, 4, … ≤ n, and n itself.
    public static func powersOfTwo(upTo n: Int) -> [Int] {
        var ks: [Int] = [], k = 1
        while k <= n { ks.append(k); k *= 2 }
        if ks.last != n { ks.append(n) }
        return ks
    }

    /// Every rule's pick from the first k solutions, for each k.
    public static func picks(_ solutions: [Solution], budgets: [Int]) -> [Selection: [Int: String]] {
        var picks: [Selection: [Int: String]] = [:]
        for rule in Selection.allCases {
            for k in budgets { picks[rule, default: [:]][k] = rule.pick(solutions.prefix(k)) }
        }
        return picks
    }
}
