import BanyanGeneration
import BanyanKernels
import Foundation

/// Particle filtering (Puri et al. 2025, arXiv 2502.01618): N partial solutions (particles) grow one
/// step at a time; after each step all N are resampled with replacement, each drawn with probability
/// proportional to score^(1/temperature) (the scorer's probability that the particle is on track,
/// sharpened or flattened). A particle drawn k times is forked k ways and each copy samples its own
/// next step; a particle not drawn is dropped. Unlike beam search nothing is cut by rank, so a weaker
/// but plausible particle keeps a chance, which matters when the scorer is noisy.
///
/// Finished particles stay in the population: they are drawn like the others and, when drawn, copied
/// as they are. The answer is the weighted vote of the N final particles (copies count).
public struct ParticleFilter: Sendable {
    public var settings: StepSearchSettings
    /// Resampling temperature: 1 draws in proportion to the score, lower is greedier, higher flatter.
    public var temperature: Double

    public init(_ settings: StepSearchSettings, temperature: Double = 1) {
        precondition(temperature > 0, "the resampling temperature must be positive")
        self.settings = settings
        self.temperature = temperature
    }

    /// Resampling weights: score^(1/T), normalized. Scores are clamped to [1e-6, 1], so a particle a 0/1
    /// checker rejects keeps a negligible weight, and a population that all scores 0 is drawn uniformly.
    public static func weights(_ scores: [Double], temperature: Double) -> [Double] {
        let logs = scores.map { Foundation.log(min(1, max(1e-6, $0))) / temperature }
        let top = logs.max() ?? 0
        let raw = logs.map { Foundation.exp($0 - top) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    /// `count` indices drawn by systematic resampling (one uniform offset, `count` evenly spaced
    /// pointers into the cumulative weights): the usual low-variance resampler of particle filters.
    /// Index i is drawn floor or ceil of count·w[i] times.
    public static func resample(_ weights: [Double], count: Int, random: inout SeededRandom) -> [Int] {
        let offset = Double(random.next() >> 11) / Double(1 << 53)
        var drawn: [Int] = [], cumulative = 0.0, i = 0
        for k in 0..<count {
            let pointer = (Double(k) + offset) / Double(count)
            while i < weights.count - 1 && cumulative + weights[i] <= pointer {
                cumulative += weights[i]
                i += 1
            }
            drawn.append(i)
        }
        return drawn
    }

    public func run(policy: SearchPolicy, prompt: [Int32]) throws -> SearchResult {
        try run(policy: policy, problems: [SearchProblem(prompt: prompt, scorer: settings.scorer)])[0]
    }

    /// Several problems at once: every problem's particles advance together in one batched step, and
    /// each problem resamples its own population.
    public func run(policy: SearchPolicy, problems: [SearchProblem]) throws -> [SearchResult] {
        let c = settings, start = MonotonicClock.seconds()
        var rollout = Rollout(policy: policy, maxTokens: c.maxTokens, scorers: problems.map(\.scorer))
        var seeds = Array(repeating: c.sampling.seed, count: problems.count)
        var resampling = problems.indices.map { SeededRandom(seed: c.sampling.seed &+ 0x5EED &+ UInt64($0)) }
        var active: [Rollout.Branch] = []
        let roots = try rollout.prefill(problems.map(\.prompt), sampling: c.sampling, delimiter: c.delimiter)
        for (p, problem) in problems.enumerated() {
            active += try rollout.start(roots[p], prompt: problem.prompt, count: c.n, fork: c.fork, sampling: c.sampling,
                                        nextSeed: &seeds[p])
        }
        // Finished particles, their sequences freed; they stay in their problem's population.
        var finished = Array(repeating: [Rollout.Branch](), count: problems.count)
        for depth in 0..<c.maxDepth where !active.isEmpty {
            try rollout.run(&active, oneStep: depth < c.maxDepth - 1)
            for b in active where b.end != nil { try policy.free(b.sequence) }
            try c.lookahead(&active, problems: problems, rollout: &rollout)
            var next: [Rollout.Branch] = []
            for p in problems.indices {
                let growing = active.filter { $0.owner == p }
                guard !growing.isEmpty else { continue }
                let population = growing + finished[p]
                let scores = c.scores(population, scorer: problems[p].scorer, rollout: &rollout)
                let drawn = ParticleFilter.resample(ParticleFilter.weights(scores, temperature: temperature), count: c.n,
                                                    random: &resampling[p])
                var copies = Array(repeating: 0, count: population.count)
                for i in drawn { copies[i] += 1 }
                var stillFinished: [Rollout.Branch] = []
                for (i, b) in population.enumerated() {
                    if b.end != nil {
                        stillFinished += Array(repeating: b, count: copies[i])
                        continue
                    }
                    rollout.mark(b, copies[i] > 0 ? .kept : .pruned)
                    if copies[i] > 0 {
                        next += try rollout.expand(b, count: copies[i], prompt: problems[p].prompt, fork: c.fork, sampling: c.sampling,
                                                   nextSeed: &seeds[p])
                    }
                    try policy.free(b.sequence)
                }
                finished[p] = stillFinished
            }
            active = next
        }
        // Particles still growing at the depth limit were run to their end by the last round.
        for b in active {
            if b.end == nil { try policy.free(b.sequence) }
            finished[b.owner].append(b)
        }
        let seconds = (MonotonicClock.seconds() - start) / Double(problems.count)
        return problems.indices.map { p in
            let solutions = rollout.finish(finished[p], scorer: problems[p].scorer, aggregation: c.aggregation)
            rollout.accounting[p].seconds = seconds
            return SearchResult(strategy: .particles, solutions: solutions,
                                picks: SearchResult.picks(solutions, budgets: [c.n]), accounting: rollout.accounting[p],
                                tree: rollout.trees[p])
        }
    }
}
