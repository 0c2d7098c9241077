import BanyanModel
import Foundation

/// How the next token is chosen from logits. Processors reshape the logits, then a token is drawn.
public struct SamplingParameters: Sendable, Equatable, Codable {
    /// 0 picks the most likely token (greedy).
    public var temperature: Float = 0.8
    /// Keep only the k most likely tokens (0 = all).
    public var topK: Int = 40
    /// Keep the smallest set of tokens whose probability reaches p (1 = all).
    public var topP: Float = 0.95
    /// Drop tokens less likely than minP × the most likely one (0 = none).
    public var minP: Float = 0.05
    /// Divide positive (multiply negative) logits of recently seen tokens by this (1 = off).
    public var repetitionPenalty: Float = 1.0
    /// How many recent tokens the repetition penalty looks at.
    public var repetitionWindow: Int = 64
    public var seed: UInt64 = 0

    public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
                repetitionPenalty: Float = 1.0, repetitionWindow: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0)
}

/// A seeded generator (SplitMix64): the same seed gives the same run. Samplers, benchmarks and
/// the seeded tests all draw from it.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Picks tokens from logits according to `SamplingParameters`, carrying its own random state.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var random: SeededRandom

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SeededRandom(seed: parameters.seed)
    }

    /// Index of the largest logit (first on ties, as llama.cpp's greedy sampler).
    public static func argmax(_ logits: some Collection<Float>) -> Int {
        var best = -Float.infinity, at = 0
        for (i, v) in logits.enumerated() where v > best { best = v; at = i }
        return at
    }

    /// Indices of the k largest values, largest first (ties: lower index first), in one pass that keeps
    /// a sorted buffer of k: a full sort of a 49,152-entry vocabulary per token cost more than a step.
    public static func topK(_ l: [Float], _ k: Int) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in l.indices {
            let v = l[i]
            if best.count == k, v <= l[best[k - 1]] { continue }
            // Insert after every entry ≥ v, so equal values keep index order.
            var lo = 0, hi = best.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if l[best[mid]] >= v { lo = mid + 1 } else { hi = mid }
            }
            best.insert(i, at: lo)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// Chooses the next token; `history` feeds the repetition penalty.
    public mutating func sample(_ logits: ArraySlice<Float>, history: [Int32] = []) -> Int32 {
        var l = Array(logits)
        let p = parameters
        if p.repetitionPenalty != 1 {
            for t in Set(history.suffix(p.repetitionWindow)) where Int(t) < l.count {
                let v = l[Int(t)]
                l[Int(t)] = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty
            }
        }
        if p.temperature <= 0 { return Int32(Sampler.argmax(l)) }
        if p.topK <= 0 && p.topP >= 1 { return sampleUnsorted(l) }
        // Candidates sorted by logit, cut by top-k first (cheap), then softmax at temperature.
        let k = p.topK > 0 ? min(p.topK, l.count) : l.count
        let order = k < l.count ? Sampler.topK(l, k) : Array(l.indices).sorted { l[$0] > l[$1] }
        let top = l[order[0]]
        var probs = order.map { Foundation.exp((l[$0] - top) / p.temperature) }
        var total = probs.reduce(0, +)
        if p.minP > 0 {
            let cut = p.minP * probs[0]
            let keep = probs.prefix { $0 >= cut }.count
            probs.removeLast(probs.count - max(keep, 1))
            total = probs.reduce(0, +)
        }
        if p.topP < 1 {
            var cumulative: Float = 0
            var keep = 0
            for q in probs {
                cumulative += q / total
                keep += 1
                if cumulative >= p.topP { break }
            }
            probs.removeLast(probs.count - keep)
            total = probs.reduce(0, +)
        }
        let u = Float(Double(random.next() >> 11) / Double(1 << 53)) * total
        var acc: Float = 0
        for (i, q) in probs.enumerated() {
            acc += q
            if u < acc { return Int32(order[i]) }
        }
        return Int32(order[probs.count - 1])
    }

    /// Sampling with no top-k or top-p cut needs no order: one pass of exp over the vocabulary, min-p
    /// relative to the top token (whose weight is 1), then the draw in index order. Sorting all 49,152
    /// logits per token took a fifth of a batched search's time.
    private mutating func sampleUnsorted(_ l: [Float]) -> Int32 {
        let p = parameters
        let top = l[Sampler.argmax(l)]
        var weights = [Float](repeating: 0, count: l.count)
        var total: Float = 0
        for i in l.indices {
            let w = Foundation.exp((l[i] - top) / p.temperature)
            if w >= p.minP {
                weights[i] = w
                total += w
            }
        }
        let u = Float(Double(random.next() >> 11) / Double(1 << 53)) * total
        var acc: Float = 0, last = 0
        for i in weights.indices where weights[i] > 0 {
            acc += weights[i]
            last = i
            if u < acc { return Int32(i) }
        }
        return Int32(last)
    }
}
