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
///
/// With `vote: .weighted` each sample votes with its verifier score instead of 1, both in the stopping
/// rule and in the answer (the weighted pick): a sample the verifier rejects does not move the vote
/// towards settling. That is what lets the vote settle early on word problems, whose answers are spread
/// so thinly that one vote per sample rarely settles before N. When the score is the minimum or the
/// product of the step scores, a sample is also abandoned at the first step its verifier scores 0: its
/// vote would be 0 whatever followed, so the tokens after that step would buy nothing (`abandons`).
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
    /// One vote per sample, or each sample's (aggregated) score as its vote.
    public var vote: AdaptiveVote

    public init(n: Int, wave: Int = 4, confidence: Double = 0.95, sampling: SamplingParameters, maxTokens: Int = 128,
                delimiter: String = "\n\n", scorer: any StepScorer, aggregation: Aggregation = .last, vote: AdaptiveVote = .majority) {
        precondition(n >= 1 && wave >= 1 && confidence > 0 && confidence < 1, "n, wave ≥ 1 and confidence in (0, 1)")
        self.n = n
        self.wave = wave
        self.confidence = confidence
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.delimiter = delimiter
        self.scorer = scorer
        self.aggregation = aggregation
        self.vote = vote
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

    /// The same rule for real-valued votes (weighted by scores): P(p > ½) for p ~ Beta(w₁ + 1, w₂ + 1),
    /// that is I_{1/2}(w₂ + 1, w₁ + 1). Equal to `leaderProbability(leader:runnerUp:)` at whole votes.
    public static func leaderProbability(leader w1: Double, runnerUp w2: Double) -> Double {
        BetaFunction.regularized(0.5, w2 + 1, w1 + 1)
    }

    /// Whether the vote over these samples (answer, aggregated score) is settled. Unanswered samples do
    /// not vote; under `.weighted` a sample's vote is its score, a negative score counting as 0.
    public func settled(_ samples: [(answer: String?, score: Double)]) -> Bool {
        var votes: [String: Double] = [:]
        for sample in samples {
            guard let a = sample.answer else { continue }
            votes[AnswerEquivalence.key(a), default: 0] += vote == .weighted ? max(0, sample.score) : 1
        }
        let top = votes.values.sorted(by: >)
        guard let v1 = top.first else { return false }
        let v2 = top.count > 1 ? top[1] : 0
        let p = switch vote {
        case .majority: AdaptiveConsistency.leaderProbability(leader: Int(v1), runnerUp: Int(v2))
        case .weighted: AdaptiveConsistency.leaderProbability(leader: v1, runnerUp: v2)
        }
        return p >= confidence
    }

    public func run(policy: SearchPolicy, prompt: [Int32]) throws -> SearchResult {
        try run(policy: policy, problems: [SearchProblem(prompt: prompt, scorer: scorer)])[0]
    }

    /// Whether a sample is abandoned at its first step scored 0 (weighted vote, min or product aggregation).
    public var abandons: Bool { vote == .weighted && (aggregation == .min || aggregation == .prod) }

    /// Runs the wave's samples to their ends; when `abandons`, one step at a time, ending each sample at a
    /// step its problem's scorer scores 0 or less.
    private func sample(_ branches: inout [Rollout.Branch], rollout: inout Rollout, problems: [SearchProblem]) throws {
        guard abandons else { return try rollout.run(&branches) }
        while branches.contains(where: { $0.end == nil }) {
            try rollout.run(&branches, oneStep: true)
            for i in branches.indices where branches[i].end == nil && !branches[i].steps.isEmpty {
                let b = branches[i]
                let scores = problems[b.owner].scorer.scores(b.steps, text: String(decoding: b.bytes, as: UTF8.self), finished: false)
                if scores.contains(where: { $0 <= 0 }) { branches[i].end = .abandoned }
            }
        }
    }

    /// Several problems at once: each wave samples every unsettled problem together in one batch. The
    /// prompts are prefilled once and kept until their problem is settled.
    public func run(policy: SearchPolicy, problems: [SearchProblem]) throws -> [SearchResult] {
        let start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: maxTokens, scorers: problems.map(\.scorer))
        var roots: [Rollout.Branch?] = try rollout.prefill(problems.map(\.prompt), sampling: sampling, delimiter: delimiter)
        var seeds = Array(repeating: sampling.seed, count: problems.count)
        var used = Array(repeating: [Rollout.Branch](), count: problems.count)
        var votes = Array(repeating: [(answer: String?, score: Double)](), count: problems.count)
        while roots.contains(where: { $0 != nil }) {
            var branches: [Rollout.Branch] = []
            for p in problems.indices {
                guard let root = roots[p] else { continue }
                branches += try rollout.expand(root, count: min(wave, n - used[p].count), prompt: problems[p].prompt, fork: true,
                                               sampling: sampling, nextSeed: &seeds[p])
            }
            try sample(&branches, rollout: &rollout, problems: problems)
            for b in branches { try policy.free(b.sequence) }
            for p in problems.indices where roots[p] != nil {
                // Take this wave's samples one by one, in seed order, until the vote settles.
                var settledNow = false
                for b in branches where b.owner == p {
                    used[p].append(b)
                    let s = Rollout.solution(b, scorer: problems[p].scorer, aggregation: aggregation)
                    votes[p].append((s.answer, s.score))
                    settledNow = settled(votes[p])
                    if settledNow { break }
                }
                if used[p].count >= n || settledNow {
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

/// How `adaptive`'s samples vote.
public enum AdaptiveVote: String, Sendable, Codable, CaseIterable {
    /// One vote per answered sample; the answer is the majority.
    case majority
    /// Each sample votes with its verifier score (aggregated over its steps); the answer is the weighted pick.
    case weighted

    /// The selection rule whose pick is the answer.
    public var rule: Selection { self == .weighted ? .weighted : .majority }
}
