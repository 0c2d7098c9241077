import BanyanKV
import BanyanModel
import Foundation

/// Token-level beam search (what vLLM's `use_beam_search` does): `width` beams, each step every live
/// beam's most likely next tokens are scored by cumulative log-probability and the best `width` kept,
/// each a fork of its parent's sequence. A beam ends at an end-of-generation token or `maxTokens`;
/// finished beams are ranked by cumulative log-probability divided by length^`lengthPenalty`.
public struct TokenBeamSearch {
    public struct Beam: Sendable {
        public var tokens: [Int32]
        public var logProbability: Double
        public var endedByModel: Bool
        /// The ranking score: cumulative log-probability over length^lengthPenalty.
        public var score: Double
    }

    public var width: Int
    public var maxTokens: Int
    public var lengthPenalty: Double
    public var endOfGeneration: Set<Int32>

    public init(width: Int, maxTokens: Int, lengthPenalty: Double = 1, endOfGeneration: Set<Int32>) {
        self.width = width
        self.maxTokens = maxTokens
        self.lengthPenalty = lengthPenalty
        self.endOfGeneration = endOfGeneration
    }

    /// Searches from `prompt`'s sequence (already prefilled, `logits` its next-token logits; it is not
    /// freed). Returns the finished beams, best first. Every sequence it forks is freed before it returns.
    public func run(engine: Engine, from prompt: SequenceID, logits: [Float], shouldStop: () -> Bool = { false }) throws -> [Beam] {
        struct Live { var sequence: SequenceID; var logits: [Float]; var tokens: [Int32]; var logProbability: Double }
        var live = [Live(sequence: try engine.fork(prompt)[0], logits: logits, tokens: [], logProbability: 0)]
        var finished: [Beam] = []
        defer { for b in live { try? engine.free(b.sequence) } }
        func score(_ lp: Double, _ length: Int) -> Double { lp / pow(Double(max(length, 1)), lengthPenalty) }
        for step in 0..<maxTokens where !live.isEmpty && !shouldStop() {
            struct Candidate { var parent: Int; var token: Int32; var logProbability: Double }
            var candidates: [Candidate] = []
            for (i, b) in live.enumerated() {
                let lp = TokenBeamSearch.logSoftmax(b.logits)
                for t in TokenBeamSearch.top(lp, 2 * width) { candidates.append(Candidate(parent: i, token: Int32(t), logProbability: b.logProbability + Double(lp[t]))) }
            }
            candidates.sort { $0.logProbability != $1.logProbability ? $0.logProbability > $1.logProbability : ($0.parent, $0.token) < ($1.parent, $1.token) }
            var next: [Candidate] = []
            for c in candidates where next.count < width {
                if endOfGeneration.contains(c.token) {
                    let tokens = live[c.parent].tokens
                    finished.append(Beam(tokens: tokens, logProbability: c.logProbability, endedByModel: true,
                                         score: score(c.logProbability, tokens.count + 1)))
                } else {
                    next.append(c)
                }
            }
            // Stop when no live beam can beat the worst of `width` finished ones (scores only fall as beams grow, at penalty 1).
            if finished.count >= width, let best = next.first,
               score(best.logProbability, live[best.parent].tokens.count + 1) < finished.sorted(by: { $0.score > $1.score })[width - 1].score {
                next = []
            }
            var children: [Live] = []
            var uses = [Int](repeating: 0, count: live.count)
            for c in next { uses[c.parent] += 1 }
            var forks: [Int: [SequenceID]] = [:]
            for (i, n) in uses.enumerated() where n > 1 { forks[i] = try engine.fork(live[i].sequence, count: n - 1) }
            for c in next {
                let parent = live[c.parent]
                let sequence: SequenceID = uses[c.parent] > 1 && !(forks[c.parent]?.isEmpty ?? true) ? forks[c.parent]!.removeLast() : parent.sequence
                uses[c.parent] -= 1
                children.append(Live(sequence: sequence, logits: [], tokens: parent.tokens + [c.token], logProbability: c.logProbability))
            }
            for (i, b) in live.enumerated() where !children.contains(where: { $0.sequence == b.sequence }) { try engine.free(live[i].sequence) }
            live = children
            guard !live.isEmpty else { break }
            if step == maxTokens - 1 { break }
            let out = try engine.step(live.map { StepInput(sequence: $0.sequence, tokens: [$0.tokens.last!]) })
            for i in live.indices { live[i].logits = Array(out[i].logitsRow()) }
        }
        for b in live { finished.append(Beam(tokens: b.tokens, logProbability: b.logProbability, endedByModel: false, score: score(b.logProbability, b.tokens.count))) }
        return finished.sorted { $0.score != $1.score ? $0.score > $1.score : $0.tokens.lexicographicallyPrecedes($1.tokens) }
    }

    /// log softmax at temperature 1.
    public static func logSoftmax(_ logits: [Float]) -> [Float] {
        let top = logits.max() ?? 0
        var total = 0.0
        for l in logits { total += Double(Foundation.exp(l - top)) }
        let log = Float(Foundation.log(total))
        return logits.map { $0 - top - log }
    }

    /// Indices of the `k` largest values, largest first (ties: the smaller index).
    public static func top(_ values: [Float], _ k: Int) -> [Int] {
        var best: [Int] = []
        for i in values.indices {
            if best.count < k || values[i] > values[best.last!] {
                var j = best.count
                while j > 0 && values[best[j - 1]] < values[i] { j -= 1 }
                best.insert(i, at: j)
                if best.count > k { best.removeLast() }
            }
        }
        return best
    }
}
