import BanyanGeneration
import BanyanKV
import BanyanKernels
import Foundation

/// Samples many branches in lockstep over the policy's forked sequences: each round samples one token
/// per live branch and advances them all in one batched step, whatever problem they belong to. Steps
/// are cut in token space where the decoded bytes reach the delimiter. Each branch belongs to one
/// problem (its `owner`), which has its own accounting and search tree.
struct Rollout {
    struct Branch {
        var owner: Int
        var sequence: SequenceID
        var logits: [Float]
        var sampler: Sampler
        var delimiter: StepDelimiter
        var steps: [SolutionStep] = []
        /// The tree node of each closed step, parallel to `steps`.
        var nodes: [Int] = []
        var stepTokens: [Int32] = []
        var stepBytes: [UInt8] = []
        var stepLogProbability = 0.0
        var stepMinLogProbability = Double.infinity
        var bytes: [UInt8] = []
        /// Every token generated so far (what a re-prefill needs without forking).
        var tokens: [Int32] = []
        var end: Solution.End?
        var tokenCount = 0
        /// Set when a step has just ended (in one-step mode the branch waits for the search to go on).
        var stepEnded = false
        /// The node the next step hangs under, and the node of the step being sampled.
        var parentNode = SearchTree.root
        var openNode: Int?
        /// The score a look-ahead found for this branch (used instead of its own steps' score).
        var lookaheadScore: Double?
        /// What the problem's scorer tracks within the current step (nil when it reads no features).
        var features: StepFeatureTracker?
    }

    let policy: SearchPolicy
    let maxTokens: Int
    var accounting: [SearchAccounting]
    var trees: [SearchTree] = []
    /// Each problem's feature tracker (a learned PRM reads `StepFeatures`; nil for other scorers).
    let trackers: [StepFeatureTracker?]
    /// The scorer that judges each step on forks when it ends (when every problem uses one), and each problem's own.
    let judge: (any ForkingScorer)?
    let judges: [any ForkingScorer]

    /// A rollout for problems judged by `scorers` (one per problem).
    init(policy: SearchPolicy, maxTokens: Int, scorers: [any StepScorer]) {
        self.policy = policy
        self.maxTokens = maxTokens
        let problems = scorers.count
        trackers = scorers.map { $0.featureTracker() }
        judges = scorers.compactMap { $0 as? any ForkingScorer }
        judge = judges.count == scorers.count ? judges.first : nil
        accounting = Array(repeating: SearchAccounting(), count: problems)
        trees = Array(repeating: SearchTree(promptTokens: 0), count: problems)
    }

    /// Advances branches until each has ended (end of generation or `maxTokens`) or, with `oneStep`,
    /// has finished its current step. A branch's last token is always fed to the model, so its logits
    /// are ready for the next step. Sequences are not freed here.
    mutating func run(_ branches: inout [Branch], oneStep: Bool = false) throws {
        for i in branches.indices { branches[i].stepEnded = false }
        while branches.contains(where: { $0.end == nil && !$0.stepEnded }) {
            var pairs: [(SequenceID, Int32)] = []
            var live: [Int] = []
            var due: [(index: Int, pending: Int32?)] = []
            for i in branches.indices where branches[i].end == nil && !branches[i].stepEnded {
                let token = branches[i].sampler.sample(branches[i].logits[...])
                // The state that produced these logits: after the previous token.
                let hidden = branches[i].features != nil ? policy.hiddenState(of: branches[i].sequence) : nil
                branches[i].features?.willSample(hidden: hidden)
                if policy.endOfGeneration.contains(token) {
                    if closeStep(&branches[i], hidden: hidden) { due.append((i, nil)) }
                    branches[i].end = .endOfGeneration
                    continue
                }
                if branches[i].openNode == nil {
                    branches[i].openNode = trees[branches[i].owner].add(under: branches[i].parentNode)
                }
                let piece = policy.bytes(of: token)
                branches[i].stepTokens.append(token)
                branches[i].tokens.append(token)
                branches[i].stepBytes += piece
                branches[i].bytes += piece
                let lp = Rollout.logProbability(of: token, in: branches[i].logits)
                branches[i].stepLogProbability += lp
                branches[i].stepMinLogProbability = min(branches[i].stepMinLogProbability, lp)
                branches[i].features?.sampled(piece, logProbability: lp)
                branches[i].tokenCount += 1
                if branches[i].delimiter.append(piece) {
                    if closeStep(&branches[i], hidden: hidden) { due.append((i, token)) }
                    if oneStep { branches[i].stepEnded = true }
                }
                if branches[i].tokenCount >= maxTokens {
                    if closeStep(&branches[i], hidden: hidden) { due.append((i, token)) }
                    branches[i].end = .maxTokens
                    continue
                }
                pairs.append((branches[i].sequence, token))
                live.append(i)
            }
            if let judge, !due.isEmpty {
                // Steps that just ended are judged now, before their last token is fed (it goes in as `pending`).
                let verdicts = try judge.judge(due.map { d in
                    let b = branches[d.index]
                    return JudgeItem(sequence: b.sequence, pending: d.pending, steps: b.steps, problem: judges[b.owner])
                }, policy: policy)
                for ((i, _), v) in zip(due, verdicts) {
                    branches[i].steps[branches[i].steps.count - 1].judgement = v.score
                    accounting[branches[i].owner].scorerTokens += v.tokens
                }
            }
            guard !pairs.isEmpty else { break }
            let logits = try policy.advance(pairs)
            var fed: [Int: Int] = [:]
            for i in live { fed[branches[i].owner, default: 0] += 1 }
            for (owner, count) in fed {
                accounting[owner].forwardSteps += 1
                accounting[owner].tokensDecoded += count
                let held = policy.kvBytes(of: branches.filter { $0.owner == owner }.map(\.sequence))
                accounting[owner].peakKVBytes = max(accounting[owner].peakKVBytes, held)
            }
            for (k, i) in live.enumerated() { branches[i].logits = logits[k] }
        }
    }

    /// Ends the step being sampled: it becomes a solution step and its tree node gets its content.
    /// Returns whether a step was closed (false when the step was empty).
    @discardableResult
    private mutating func closeStep(_ b: inout Branch, hidden: [Float]?) -> Bool {
        guard !b.stepTokens.isEmpty, let node = b.openNode else { return false }
        var step = SolutionStep(tokens: b.stepTokens, text: String(decoding: b.stepBytes, as: UTF8.self),
                                meanLogProbability: b.stepLogProbability / Double(b.stepTokens.count))
        step.minLogProbability = b.stepMinLogProbability
        step.features = b.features?.close(end: hidden, meanLogProbability: step.meanLogProbability)
        b.steps.append(step)
        b.nodes.append(node)
        // The step's last token is fed after this, at position `length`.
        let end = policy.length(of: b.sequence) + 1
        trees[b.owner][node].tokens = step.tokens
        trees[b.owner][node].text = step.text
        trees[b.owner][node].meanLogProbability = step.meanLogProbability
        trees[b.owner][node].minLogProbability = step.minLogProbability
        trees[b.owner][node].kvPages = policy.kvPages(of: b.sequence, positions: (end - step.tokens.count)..<end)
        b.parentNode = node
        b.openNode = nil
        b.stepTokens.removeAll()
        b.stepBytes.removeAll()
        b.stepLogProbability = 0
        b.stepMinLogProbability = .infinity
        return true
    }

    /// Every problem's prompt prefilled once (together, sharing what they have in common), as branches
    /// with no tokens yet, one per problem in order; starts their trees.
    mutating func prefill(_ prompts: [[Int32]], sampling: SamplingParameters, delimiter: String) throws -> [Branch] {
        let started = try policy.start(prompts)
        return prompts.indices.map { p in
            let (s, logits, computed) = started[p]
            trees[p] = SearchTree(promptTokens: prompts[p].count)
            trees[p][SearchTree.root].kvPages = policy.kvPages(of: s, positions: 0..<prompts[p].count)
            accounting[p].tokensPrefilled += computed
            accounting[p].forwardSteps += 1
            accounting[p].peakKVBytes = max(accounting[p].peakKVBytes, policy.kvBytes(of: [s]))
            return Branch(owner: p, sequence: s, logits: logits, sampler: Sampler(sampling), delimiter: StepDelimiter(delimiter),
                          features: trackers[p])
        }
    }

    /// `count` branches at the start of a solution from a prefilled prompt, seeded in order from
    /// `nextSeed`: forks of it, or, without forking, one prefill each (the first reuses the prefill itself).
    mutating func start(_ root: Branch, prompt: [Int32], count: Int, fork: Bool, sampling: SamplingParameters,
                        nextSeed: inout UInt64) throws -> [Branch] {
        var root = root
        if fork {
            defer { try? policy.free(root.sequence) }
            return try expand(root, count: count, prompt: prompt, fork: true, sampling: sampling, nextSeed: &nextSeed)
        }
        var p = sampling
        p.seed = nextSeed
        nextSeed &+= 1
        root.sampler = Sampler(p)
        return [root] + (try expand(root, count: count - 1, prompt: prompt, fork: false, sampling: sampling, nextSeed: &nextSeed))
    }

    /// `count` copies of a branch, each with its own sampler (seeds taken in order from `nextSeed`), ready
    /// to grow a new step: forks of its sequence, or, without forking, new sequences that prefill the
    /// prompt and everything generated again (as the reference implementation does every step).
    mutating func expand(_ b: Branch, count: Int, prompt: [Int32], fork: Bool, sampling: SamplingParameters,
                         nextSeed: inout UInt64) throws -> [Branch] {
        var starts: [(SequenceID, [Float])] = []
        if fork {
            starts = try policy.fork(b.sequence, count: count).map { ($0, b.logits) }
        } else {
            for _ in 0..<count {
                starts.append(try policy.start(prompt + b.tokens))
                accounting[b.owner].tokensPrefilled += prompt.count + b.tokens.count
                accounting[b.owner].forwardSteps += 1
            }
        }
        return starts.map { s in
            var child = b
            (child.sequence, child.logits) = s
            var p = sampling
            p.seed = nextSeed
            nextSeed &+= 1
            child.sampler = Sampler(p)
            child.delimiter.reset()
            child.lookaheadScore = nil
            return child
        }
    }

    /// Look-ahead: for each unfinished branch, `steps` more greedy steps on a fork (a re-prefill without
    /// forking), scored as the branch's continuation; the branch keeps that score and the rollouts are
    /// discarded. Their nodes stay in the tree, marked as look-ahead.
    mutating func lookahead(_ branches: inout [Branch], steps: Int, prompt: (Int) -> [Int32], fork: Bool,
                            scorer: (Int) -> any StepScorer, aggregation: Aggregation) throws {
        guard steps > 0 else { return }
        let open = branches.indices.filter { branches[$0].end == nil }
        var probes: [Branch] = []
        var unusedSeed: UInt64 = 0
        for i in open {
            probes += try expand(branches[i], count: 1, prompt: prompt(branches[i].owner), fork: fork, sampling: .greedy,
                                 nextSeed: &unusedSeed)
        }
        for _ in 0..<steps where probes.contains(where: { $0.end == nil }) {
            try run(&probes, oneStep: true)
        }
        for (i, probe) in zip(open, probes) {
            branches[i].lookaheadScore = solution(probe, scorer: scorer(probe.owner), aggregation: aggregation).score
            for node in probe.nodes.dropFirst(branches[i].nodes.count) { trees[probe.owner][node].status = .lookahead }
            if let node = probe.openNode { trees[probe.owner][node].status = .lookahead }
            try policy.free(probe.sequence)
        }
    }

    /// A finished branch as a solution, its steps scored and aggregated; the scores go into its tree.
    mutating func solution(_ b: Branch, scorer: any StepScorer, aggregation: Aggregation) -> Solution {
        let s = Rollout.solution(b, scorer: scorer, aggregation: aggregation)
        for (node, step) in zip(b.nodes, s.steps) { trees[b.owner][node].score = step.score }
        return s
    }

    /// Marks a branch's newest step (the node the search judged it by).
    mutating func mark(_ b: Branch, _ status: SearchTree.Status) {
        guard let node = b.nodes.last else { return }
        trees[b.owner][node].status = status
    }

    /// Finished branches of one problem as solutions, scored and aggregated, their last steps marked
    /// completed (with their answers) in the tree.
    mutating func finish(_ branches: [Branch], scorer: any StepScorer, aggregation: Aggregation) -> [Solution] {
        branches.map { b in
            let s = solution(b, scorer: scorer, aggregation: aggregation)
            if let node = b.nodes.last {
                trees[b.owner][node].status = b.end == .abandoned ? .pruned : .completed
                trees[b.owner][node].answer = s.answer
            }
            return s
        }
    }

    /// A finished branch as a solution, its steps scored and aggregated.
    static func solution(_ b: Branch, scorer: any StepScorer, aggregation: Aggregation) -> Solution {
        let text = String(decoding: b.bytes, as: UTF8.self)
        var steps = b.steps
        let scores = scorer.scores(steps, text: text, finished: b.end == .endOfGeneration)
        for i in steps.indices { steps[i].score = scores[i] }
        let answer = b.end == .abandoned ? nil : AnswerExtraction.extract(text)
        return Solution(steps: steps, text: text, answer: answer, score: aggregation.apply(scores), end: b.end ?? .maxTokens)
    }

    /// log softmax(logits)[token] at temperature 1.
    static func logProbability(of token: Int32, in logits: [Float]) -> Double {
        var top = -Float.infinity
        for l in logits where l > top { top = l }
        // Float exps summed in Double: exact enough for a mean log-probability, half the cost.
        var total = 0.0
        for l in logits { total += Double(Foundation.exp(l - top)) }
        return Double(logits[Int(token)] - top) - Foundation.log(total)
    }
}
