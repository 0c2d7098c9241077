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
    /// Greedy steps rolled out on a fork of each candidate before it is scored (0: none). The candidate
    /// is judged by the score of its continuation; the rollout is then discarded.
    public var lookahead: Int
    /// Beam search keeps distinct partial solutions before repeats.
    public var filterDuplicates: Bool

    public init(n: Int, width: Int, sampling: SamplingParameters, maxTokens: Int = 128, delimiter: String = "\n\n",
                scorer: any StepScorer, aggregation: Aggregation = .last, maxDepth: Int = 40, fork: Bool = true,
                lookahead: Int = 0, filterDuplicates: Bool = true) {
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
        self.lookahead = max(0, lookahead)
        self.filterDuplicates = filterDuplicates
    }

    /// Each branch's score (its look-ahead's, if it had one), written into the search tree too.
    func scores(_ branches: [Rollout.Branch], scorer: any StepScorer, rollout: inout Rollout) -> [Double] {
        branches.map { b in
            let own = rollout.solution(b, scorer: scorer, aggregation: aggregation).score
            return b.lookaheadScore ?? own
        }
    }

    /// Indices of the `k` best scores, best first (ties: the earlier branch). With `distinct`, among equal
    /// scores a branch whose text repeats an earlier one's comes after the distinct ones, so identical
    /// samples do not fill the beam while different ones score as well (a lower score still loses).
    public static func best(_ scores: [Double], _ k: Int, distinct texts: [[UInt8]]? = nil) -> [Int] {
        var repeated = [Bool](repeating: false, count: scores.count)
        if let texts {
            var seen = Set<[UInt8]>()
            for i in scores.indices.sorted(by: { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }) {
                repeated[i] = !seen.insert(texts[i]).inserted
            }
        }
        return Array(scores.indices.sorted {
            if scores[$0] != scores[$1] { return scores[$0] > scores[$1] }
            if repeated[$0] != repeated[$1] { return !repeated[$0] }
            return $0 < $1
        }.prefix(k))
    }

    /// Look-ahead for the unfinished branches, if configured.
    func lookahead(_ branches: inout [Rollout.Branch], problems: [SearchProblem], rollout: inout Rollout) throws {
        guard lookahead > 0 else { return }
        let aggregation = aggregation
        try rollout.lookahead(&branches, steps: lookahead, prompt: { problems[$0].prompt }, fork: fork,
                              scorer: { problems[$0].scorer }, aggregation: aggregation)
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
        try run(policy: policy, problems: [SearchProblem(prompt: prompt, scorer: settings.scorer)])[0]
    }

    /// Several problems at once: every problem's beams advance together in one batched step; each
    /// problem's result is what it would be alone.
    public func run(policy: SearchPolicy, problems: [SearchProblem]) throws -> [SearchResult] {
        let c = settings, start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: c.maxTokens, scorers: problems.map(\.scorer))
        var seeds = Array(repeating: c.sampling.seed, count: problems.count)
        var active: [Rollout.Branch] = []
        let roots = try rollout.prefill(problems.map(\.prompt), sampling: c.sampling, delimiter: c.delimiter)
        for (p, problem) in problems.enumerated() {
            active += try rollout.start(roots[p], prompt: problem.prompt, count: c.n, fork: c.fork, sampling: c.sampling,
                                        nextSeed: &seeds[p])
        }
        var completed = Array(repeating: [Rollout.Branch](), count: problems.count)
        for depth in 0..<c.maxDepth where !active.isEmpty {
            try rollout.run(&active, oneStep: depth < c.maxDepth - 1)
            for b in active where b.end != nil {
                completed[b.owner].append(b)
                try policy.free(b.sequence)
            }
            active.removeAll { $0.end != nil }
            guard !active.isEmpty else { break }
            try c.lookahead(&active, problems: problems, rollout: &rollout)
            var next: [Rollout.Branch] = []
            for p in problems.indices {
                let mine = active.filter { $0.owner == p }
                guard !mine.isEmpty else { continue }
                let kept = StepSearchSettings.best(c.scores(mine, scorer: problems[p].scorer, rollout: &rollout), c.n / c.width,
                                                   distinct: c.filterDuplicates ? mine.map(\.bytes) : nil)
                for (i, b) in mine.enumerated() { rollout.mark(b, kept.contains(i) ? .kept : .pruned) }
                for i in kept {
                    next += try rollout.expand(mine[i], count: c.width, prompt: problems[p].prompt, fork: c.fork,
                                               sampling: c.sampling, nextSeed: &seeds[p])
                }
            }
            for b in active { try policy.free(b.sequence) }
            active = next
        }
        for b in active { try policy.free(b.sequence) }
        let seconds = (MonotonicClock.seconds() - start) / Double(problems.count)
        return problems.indices.map { p in
            let solutions = rollout.finish(completed[p], scorer: problems[p].scorer, aggregation: c.aggregation)
            let ranked = solutions.enumerated()
                .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
                .prefix(c.n).map(\.element)
            rollout.accounting[p].seconds = seconds
            return SearchResult(strategy: .beam, solutions: ranked, picks: SearchResult.picks(ranked, budgets: [ranked.count]),
                                accounting: rollout.accounting[p], tree: rollout.trees[p])
        }
    }
}

/// Diverse verifier tree search: N/M independent subtrees, each greedy with respect to the PRM: every
/// step it samples M candidate steps on forks of its beam and keeps the best. No subtree can crowd out
/// another. One solution per subtree.
public struct DVTS: Sendable {
    public var settings: StepSearchSettings
    public init(_ settings: StepSearchSettings) { self.settings = settings }

    public func run(policy: SearchPolicy, prompt: [Int32]) throws -> SearchResult {
        try run(policy: policy, problems: [SearchProblem(prompt: prompt, scorer: settings.scorer)])[0]
    }

    /// Several problems at once, all subtrees of all problems growing together.
    public func run(policy: SearchPolicy, problems: [SearchProblem]) throws -> [SearchResult] {
        let c = settings, start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: c.maxTokens, scorers: problems.map(\.scorer))
        var seeds = Array(repeating: c.sampling.seed, count: problems.count)
        let subtrees = c.n / c.width
        // Slot p * subtrees + t holds subtree t of problem p.
        var beams: [Rollout.Branch?] = []
        for root in try rollout.prefill(problems.map(\.prompt), sampling: c.sampling, delimiter: c.delimiter) {
            beams += try policy.fork(root.sequence, count: subtrees).map { s in
                var b = root
                b.sequence = s
                return b
            }
            try policy.free(root.sequence)
        }
        var done: [Rollout.Branch?] = Array(repeating: nil, count: beams.count)
        for depth in 0..<c.maxDepth where beams.contains(where: { $0 != nil }) {
            // Every live subtree's M candidates grow one step together, in one batch.
            var candidates: [Rollout.Branch] = [], slotOf: [Int] = []
            for slot in beams.indices {
                guard let b = beams[slot] else { continue }
                candidates += try rollout.expand(b, count: c.width, prompt: problems[b.owner].prompt, fork: c.fork,
                                                 sampling: c.sampling, nextSeed: &seeds[b.owner])
                slotOf += Array(repeating: slot, count: c.width)
                try policy.free(b.sequence)
            }
            try rollout.run(&candidates, oneStep: depth < c.maxDepth - 1)
            try c.lookahead(&candidates, problems: problems, rollout: &rollout)
            for slot in beams.indices where beams[slot] != nil {
                let mine = candidates.indices.filter { slotOf[$0] == slot }
                let owner = candidates[mine[0]].owner
                let scores = c.scores(mine.map { candidates[$0] }, scorer: problems[owner].scorer, rollout: &rollout)
                let pick = mine[StepSearchSettings.best(scores, 1)[0]]
                for i in mine where i != pick {
                    rollout.mark(candidates[i], .pruned)
                    try policy.free(candidates[i].sequence)
                }
                if candidates[pick].end != nil {
                    try policy.free(candidates[pick].sequence)
                    done[slot] = candidates[pick]
                    beams[slot] = nil
                } else {
                    rollout.mark(candidates[pick], .kept)
                    beams[slot] = candidates[pick]
                }
            }
        }
        for b in beams.compactMap({ $0 }) { try policy.free(b.sequence) }
        let seconds = (MonotonicClock.seconds() - start) / Double(problems.count)
        return problems.indices.map { p in
            let solutions = rollout.finish(done[(p * subtrees)..<((p + 1) * subtrees)].compactMap { $0 }, scorer: problems[p].scorer,
                                           aggregation: c.aggregation)
            rollout.accounting[p].seconds = seconds
            return SearchResult(strategy: .dvts, solutions: solutions, picks: SearchResult.picks(solutions, budgets: [solutions.count]),
                                accounting: rollout.accounting[p], tree: rollout.trees[p])
        }
    }
}
