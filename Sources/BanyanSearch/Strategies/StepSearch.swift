import BanyanGeneration
import BanyanKV
import BanyanKernels

/// The settings beam search and DVTS share.
public struct StepSearchSettings: Sendable {
    /// Total budget: solutions completed (beam search) or subtrees × width (DVTS).
    public var n: Int
    /// Candidates per expansion (M).
    public var width: Int
    public var sampling: SamplingParameters
    public var maxTokens: Int
    public var delimiter: String
    public var scorer: any StepScorer
    public var aggregation: Aggregation
    /// Steps before every remaining branch is run to its end.
    public var maxDepth: Int
    public var fork: Bool

    public init(n: Int, width: Int, sampling: SamplingParameters, maxTokens: Int = 128, delimiter: String = "\n\n",
                scorer: any StepScorer, aggregation: Aggregation = .last, maxDepth: Int = 40, fork: Bool = true) {
        precondition(width >= 1 && n >= width && n % width == 0, "the budget must be a multiple of the width")
        self.n = n
        self.width = width
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.delimiter = delimiter
        self.scorer = scorer
        self.aggregation = aggregation
        self.maxDepth = max(1, maxDepth)
        self.fork = fork
    }

    func score(_ b: Rollout.Branch) -> Double { Rollout.solution(b, scorer: scorer, aggregation: aggregation).score }

    /// Indices of the `k` best-scored branches, best first (ties: the earlier branch).
    func best(_ branches: [Rollout.Branch], _ k: Int) -> [Int] {
        let scores = branches.map(score)
        return Array(branches.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k))
    }
}

/// Beam search with a PRM: N first steps are sampled from forks of the prompt; each round the N/M
/// best-scored unfinished beams are kept and each is forked M ways to sample its next step. Completed
/// beams leave the pool; at the end every completed beam is ranked and the best N are kept (not the
/// first N to finish, as the reference does).
public struct BeamSearch: Sendable {
    public var settings: StepSearchSettings
    public init(_ settings: StepSearchSettings) { self.settings = settings }

    public func run(policy: SearchPolicy, prompt: [Int32]) throws -> SearchResult {
        let c = settings, start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: c.maxTokens, accounting: SearchAccounting())
        var nextSeed = c.sampling.seed
        var active = try rollout.start(prompt, count: c.n, fork: c.fork, sampling: c.sampling, delimiter: c.delimiter,
                                       nextSeed: &nextSeed)
        var completed: [Rollout.Branch] = []
        for depth in 0..<c.maxDepth where !active.isEmpty {
            try rollout.run(&active, oneStep: depth < c.maxDepth - 1)
            for b in active where b.end != nil {
                completed.append(b)
                try policy.free(b.sequence)
            }
            active.removeAll { $0.end != nil }
            guard !active.isEmpty else { break }
            let kept = c.best(active, c.n / c.width)
            var next: [Rollout.Branch] = []
            for i in kept {
                next += try rollout.expand(active[i], count: c.width, prompt: prompt, fork: c.fork, sampling: c.sampling,
                                           nextSeed: &nextSeed)
            }
            for b in active { try policy.free(b.sequence) }
            active = next
        }
        for b in active { try policy.free(b.sequence) }
        let ranked = completed.indices.map { Rollout.solution(completed[$0], scorer: c.scorer, aggregation: c.aggregation) }
            .enumerated().sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            .prefix(c.n).map(\.element)
        rollout.accounting.seconds = MonotonicClock.seconds() - start
        return SearchResult(strategy: "beam", solutions: Array(ranked), picks: SearchResult.picks(Array(ranked), budgets: [ranked.count]),
                            accounting: rollout.accounting)
    }

}

/// Diverse verifier tree search: N/M independent subtrees, each greedy with respect to the PRM: every
/// step it samples M candidate steps on forks of its beam and keeps the best. No subtree can crowd out
/// another. One solution per subtree.
public struct DVTS: Sendable {
    public var settings: StepSearchSettings
    public init(_ settings: StepSearchSettings) { self.settings = settings }

    public func run(policy: SearchPolicy, prompt: [Int32]) throws -> SearchResult {
        let c = settings, start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: c.maxTokens, accounting: SearchAccounting())
        var nextSeed = c.sampling.seed
        let root = try rollout.prefill(prompt, sampling: c.sampling, delimiter: c.delimiter)
        let subtrees = c.n / c.width
        var beams: [Rollout.Branch?] = try policy.fork(root.sequence, count: subtrees).map { s in
            var b = root
            b.sequence = s
            return b
        }
        try policy.free(root.sequence)
        var done: [Rollout.Branch?] = Array(repeating: nil, count: subtrees)
        for depth in 0..<c.maxDepth where beams.contains(where: { $0 != nil }) {
            // Every live subtree's M candidates grow one step together, in one batch.
            var candidates: [Rollout.Branch] = [], owner: [Int] = []
            for t in 0..<subtrees {
                guard let b = beams[t] else { continue }
                candidates += try rollout.expand(b, count: c.width, prompt: prompt, fork: c.fork, sampling: c.sampling,
                                                 nextSeed: &nextSeed)
                owner += Array(repeating: t, count: c.width)
                try policy.free(b.sequence)
            }
            try rollout.run(&candidates, oneStep: depth < c.maxDepth - 1)
            for t in 0..<subtrees where beams[t] != nil {
                let mine = candidates.indices.filter { owner[$0] == t }
                let pick = mine[c.best(mine.map { candidates[$0] }, 1)[0]]
                for i in mine where i != pick { try policy.free(candidates[i].sequence) }
                if candidates[pick].end != nil {
                    try policy.free(candidates[pick].sequence)
                    done[t] = candidates[pick]
                    beams[t] = nil
                } else {
                    beams[t] = candidates[pick]
                }
            }
        }
        for b in beams.compactMap({ $0 }) { try policy.free(b.sequence) }
        let solutions = done.compactMap { $0 }.map { Rollout.solution($0, scorer: c.scorer, aggregation: c.aggregation) }
        rollout.accounting.seconds = MonotonicClock.seconds() - start
        return SearchResult(strategy: "dvts", solutions: solutions, picks: SearchResult.picks(solutions, budgets: [solutions.count]),
                            accounting: rollout.accounting)
    }
}
