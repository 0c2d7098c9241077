import Banyan
import BanyanModel
import Testing

@Suite struct SamplerTests {
    @Test func topKEqualsTheHeadOfAStableSort() throws {
        var random = SeededRandom(seed: 9)
        for trial in 0..<50 {
            // Few distinct values, so ties are common.
            let n = 1 + Int(random.next() % 3000)
            let logits = (0..<n).map { _ in Float(Int(random.next() % 60)) / 4 - 7 }
            let k = 1 + Int(random.next() % 80)
            let sorted = Array(logits.indices).sorted { logits[$0] > logits[$1] }
            #expect(Sampler.topK(logits, min(k, n)) == Array(sorted.prefix(k)), "trial \(trial): n \(n), k \(k)")
        }
    }

    @Test func seededSamplingRepeatsAndGreedyPicksTheArgmax() throws {
        var random = SeededRandom(seed: 3)
        let logits = (0..<5000).map { _ in Float(random.next() % 1000) / 100 }
        var a = Sampler(SamplingParameters(temperature: 0.9, seed: 11)), b = Sampler(SamplingParameters(temperature: 0.9, seed: 11))
        let xs = (0..<64).map { _ in a.sample(logits[...]) }, ys = (0..<64).map { _ in b.sample(logits[...]) }
        #expect(xs == ys)
        #expect(Set(xs).count > 1, "sampling at temperature 0.9 does not always pick one token")
        #expect(xs.allSatisfy { Sampler.topK(logits, 40).contains(Int($0)) }, "only the top 40 are candidates")
        var greedy = Sampler(.greedy)
        #expect(Int(greedy.sample(logits[...])) == Sampler.argmax(logits))
    }
}
