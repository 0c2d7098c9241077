import BanyanGeneration
import BanyanKV
import BanyanKernels
import Foundation

/// Samples many branches in lockstep over the policy's forked sequences: each round samples one token
/// per live branch and advances them all in one batched step. Steps are cut in token space where the
/// decoded bytes reach the delimiter.
struct Rollout {
    struct Branch {
        var sequence: SequenceID
        var logits: [Float]
        var sampler: Sampler
        var delimiter: StepDelimiter
        var steps: [SolutionStep] = []
        var stepTokens: [Int32] = []
        var stepBytes: [UInt8] = []
        var stepLogProbability = 0.0
        var bytes: [UInt8] = []
        /// Every token generated so far (what a re-prefill needs without forking).
        var tokens: [Int32] = []
        var end: Solution.End?
        var tokenCount = 0
        /// Set when a step has just ended (in one-step mode the branch waits for the search to go on).
        var stepEnded = false

        mutating func closeStep() {
            guard !stepTokens.isEmpty else { return }
            steps.append(SolutionStep(tokens: stepTokens, text: String(decoding: stepBytes, as: UTF8.self),
                                      meanLogProbability: stepLogProbability / Double(stepTokens.count)))
            stepTokens.removeAll()
            stepBytes.removeAll()
            stepLogProbability = 0
        }
    }

    let policy: SearchPolicy
    let maxTokens: Int
    var accounting: SearchAccounting

    /// Advances branches until each has ended (end of generation or `maxTokens`) or, with `oneStep`,
    /// has finished its current step. A branch's last token is always fed to the model, so its logits
    /// are ready for the next step. Sequences are not freed here.
    mutating func run(_ branches: inout [Branch], oneStep: Bool = false) throws {
        for i in branches.indices { branches[i].stepEnded = false }
        while branches.contains(where: { $0.end == nil && !$0.stepEnded }) {
            var pairs: [(SequenceID, Int32)] = []
            var live: [Int] = []
            for i in branches.indices where branches[i].end == nil && !branches[i].stepEnded {
                let token = branches[i].sampler.sample(branches[i].logits[...])
                if policy.endOfGeneration.contains(token) {
                    branches[i].closeStep()
                    branches[i].end = .endOfGeneration
                    continue
                }
                let piece = policy.bytes(of: token)
                branches[i].stepTokens.append(token)
                branches[i].tokens.append(token)
                branches[i].stepBytes += piece
                branches[i].bytes += piece
                branches[i].stepLogProbability += Rollout.logProbability(of: token, in: branches[i].logits)
                branches[i].tokenCount += 1
                if branches[i].delimiter.append(piece) {
                    branches[i].closeStep()
                    if oneStep { branches[i].stepEnded = true }
                }
                if branches[i].tokenCount >= maxTokens {
                    branches[i].closeStep()
                    branches[i].end = .maxTokens
                    continue
                }
                pairs.append((branches[i].sequence, token))
                live.append(i)
            }
            guard !pairs.isEmpty else { break }
            let logits = try policy.advance(pairs)
            accounting.forwardSteps += 1
            accounting.tokensDecoded += pairs.count
            accounting.peakKVBytes = max(accounting.peakKVBytes, policy.kvBytes)
            for (k, i) in live.enumerated() { branches[i].logits = logits[k] }
        }
    }

    /// The prompt prefilled once, as a branch with no tokens yet.
    mutating func prefill(_ prompt: [Int32], sampling: SamplingParameters, delimiter: String) throws -> Branch {
        let (s, logits) = try policy.start(prompt)
        accounting.tokensPrefilled += prompt.count
        accounting.forwardSteps += 1
        accounting.peakKVBytes = max(accounting.peakKVBytes, policy.kvBytes)
        return Branch(sequence: s, logits: logits, sampler: Sampler(sampling), delimiter: StepDelimiter(delimiter))
    }

    /// `count` branches at the start of a solution, seeded in order from `nextSeed`: forks of one prefill
    /// of the prompt, or, without forking, one prefill each (the first reuses the prefill itself).
    mutating func start(_ prompt: [Int32], count: Int, fork: Bool, sampling: SamplingParameters, delimiter: String,
                        nextSeed: inout UInt64) throws -> [Branch] {
        var root = try prefill(prompt, sampling: sampling, delimiter: delimiter)
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
                accounting.tokensPrefilled += prompt.count + b.tokens.count
                accounting.forwardSteps += 1
            }
        }
        accounting.peakKVBytes = max(accounting.peakKVBytes, policy.kvBytes)
        return starts.map { s in
            var child = b
            (child.sequence, child.logits) = s
            var p = sampling
            p.seed = nextSeed
            nextSeed &+= 1
            child.sampler = Sampler(p)
            child.delimiter.reset()
            return child
        }
    }

    /// A finished branch as a solution, its steps scored and aggregated.
    static func solution(_ b: Branch, scorer: any StepScorer, aggregation: Aggregation) -> Solution {
        let text = String(decoding: b.bytes, as: UTF8.self)
        var steps = b.steps
        let scores = scorer.scores(steps, text: text, finished: b.end == .endOfGeneration)
        for i in steps.indices { steps[i].score = scores[i] }
        return Solution(steps: steps, text: text, answer: AnswerExtraction.extract(text), score: aggregation.apply(scores),
                        end: b.end ?? .maxTokens)
    }

    /// log softmax(logits)[token] at temperature 1.
    static func logProbability(of token: Int32, in logits: [Float]) -> Double {
        var top = -Float.infinity
        for l in logits where l > top { top = l }
        var total = 0.0
        for l in logits { total += Foundation.exp(Double(l - top)) }
        return Double(logits[Int(token)] - top) - Foundation.log(total)
    }
}
