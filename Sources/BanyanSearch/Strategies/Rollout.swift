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
        var end: Solution.End?
        var tokenCount = 0

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

    /// Runs every branch to its end (end of generation or `maxTokens`), then frees its sequence.
    mutating func run(_ branches: inout [Branch]) throws {
        while branches.contains(where: { $0.end == nil }) {
            var pairs: [(SequenceID, Int32)] = []
            var live: [Int] = []
            for i in branches.indices where branches[i].end == nil {
                let token = branches[i].sampler.sample(branches[i].logits[...])
                if policy.endOfGeneration.contains(token) {
                    branches[i].closeStep()
                    branches[i].end = .endOfGeneration
                    continue
                }
                let piece = policy.bytes(of: token)
                branches[i].stepTokens.append(token)
                branches[i].stepBytes += piece
                branches[i].bytes += piece
                branches[i].stepLogProbability += Rollout.logProbability(of: token, in: branches[i].logits)
                branches[i].tokenCount += 1
                if branches[i].delimiter.append(piece) { branches[i].closeStep() }
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
        for b in branches { try policy.free(b.sequence) }
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
