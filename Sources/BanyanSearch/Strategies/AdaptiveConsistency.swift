import BanyanGeneration
import BanyanKernels
import Foundation

/// Self-consistency that stops sampling a problem once its vote is settled (Adaptive-Consistency,
/// Aggarwal et al. 2023, arXiv 2305.11860; ESC, Li et al. 2024): samples come in waves; after each
/// sample the stopping rule looks at the two most-voted answers, and sampling ends at the first sample
/// where it holds, or at N. The answer is the majority of the samples drawn.
///
/// Sample i of a problem draws from seed + i, as in Best-of-N, so the samples are the first samples of
/// Best-of-N with the same seed: a paired comparison with majority@N on the same problems.
public struct AdaptiveConsistency: Sendable {
    /// At most this many samples per problem.
    public var n: Int
    /// Samples per problem per wave (a wave runs in one batch; samples past the stopping point in a wave
    /// are decoded but not used, and counted).
    public var wave: Int
    /// The stopping rule's confidence (Adaptive-Consistency's Beta rule): stop when the posterior
    /// probability that the leading answer beats the runner-up is at least this.
    public var confidence: Double
    public var sampling: SamplingParameters
    public var maxTokens: Int
    public var delimiter: String
    public var scorer: any StepScorer
    public var aggregation: Aggregation

    public init(n: Int, wave: Int = 4, confidence: Double = 0.95, sampling: SamplingParameters, maxTokens: Int = 128,
                delimiter: String = "\n\n", scorer: any StepScorer, aggregation: Aggregation = .last) {
        precondition(n >= 1 && wave >= 1 && confidence > 0 && confidence < 1, "n, wave ≥ 1 and confidence in (0, 1)")
        self.n = n
        self.wave = wave
        self.confidence = confidence
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.delimiter = delimiter
        self.scorer = scorer
        self.aggregation = aggregation
    }

    /// Adaptive-Consistency's Beta stopping rule: with v₁ and v₂ votes for the two leading answers and a
    /// uniform prior, p ~ Beta(v₁ + 1, v₂ + 1) is the leader's share of the two; stop when
    /// P(p > ½) ≥ confidence. That probability is P(Binomial(v₁ + v₂ + 1, ½) ≤ v₁), computed exactly.
    /// Four agreeing votes give 0.969; three give 0.938.
    public static func leaderProbability(leader v1: Int, runnerUp v2: Int) -> Double {
        let trials = v1 + v2 + 1
        // Σ_{j ≤ v1} C(trials, j) / 2^trials, in logs to stay finite for large counts.
        var total = 0.0, logC = 0.0
        for j in 0...v1 {
            if j > 0 { logC += Foundation.log(Double(trials - j + 1)) - Foundation.log(Double(j)) }
            total += Foundation.exp(logC - Double(trials) * Foundation.log(2))
        }
        return min(1, total)
    }

    /// Whether the vote over these answers is settled (unanswered samples do not vote).
    public func settled(_ answers: [String?]) -> Bool {
        var votes: [String: Int] = [:]
        for a in answers.compactMap({ $0 }) { votes[AnswerEquivalence.key(a), default: 0] += 1 }
        let top = votes.values.sorted(by: >)
        guard let v1 = top.first else { return false }
        return AdaptiveConsistency.leaderProbability(leader: v1, runnerUp: top.count > 1 ? top[1] : 0) >= confidence
    }

    public func run(policy: SearchPolicy, prompt: [Int32]) throws -> SearchResult {
        try run(policy: policy, problems: [SearchProblem(prompt: prompt, scorer: scorer)])[0]
    }

    /// Several problems at once: each wave samples every unsettled problem together in one batch. The
    /// prompts are prefilled once and kept until their problem is settled.
    public func run(policy: SearchPolicy, problems: [SearchProblem]) throws -> [SearchResult] {
        let start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: maxTokens, scorers: problems.map(\.scorer))
        var roots: [Rollout.Branch?] = try rollout.prefill(problems.map(\.prompt), sampling: sampling, delimiter: delimiter)
        var seeds = Array(repeating: sampling.seed, count: problems.count)
        var used = Array(repeating: [Rollout.Branch](), count: problems.count)
        while roots.contains(where: { $0 != nil }) {
            var branches: [Rollout.Branch] = []
            for p in problems.indices {
                guard let root = roots[p] else { continue }
                branches += try rollout.expand(root, count: min(wave, n - used[p].count), prompt: problems[p].prompt, fork: true,
                                               sampling: sampling, nextSeed: &seeds[p])
            }
            try rollout.run(&branches)
            for b in branches { try policy.free(b.sequence) }
            for p in problems.indices where roots[p] != nil {
                // Take this wave's samples one by one, in seed order, until the vote settles.
                for b in branches where b.owner == p {
                    used[p].append(b)
                    if settled(used[p].map { Rollout.solution($0, scorer: problems[p].scorer, aggregation: aggregation).answer }) { break }
                }
                if used[p].count >= n || settled(used[p].map { Rollout.solution($0, scorer: problems[p].scorer, aggregation: aggregation).answer }) {
                    try policy.free(roots[p]!.sequence)
                    roots[p] = nil
                }
            }
        }
        let seconds = (MonotonicClock.seconds() - start) / Double(problems.count)
        return problems.indices.map { p in
            let solutions = rollout.finish(used[p], scorer: problems[p].scorer, aggregation: aggregation)
            rollout.accounting[p].seconds = seconds
            // Every rule picks from the samples drawn; the result stands for the budget N.
            let picks = SearchResult.picks(solutions, budgets: [solutions.count]).mapValues { byBudget in
                byBudget.values.first.map { [n: $0] } ?? [:]
            }
            return SearchResult(strategy: .adaptive, solutions: solutions, picks: picks, accounting: rollout.accounting[p],
                                tree: rollout.trees[p])
        }
    }
}
