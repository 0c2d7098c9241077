import Banyan
import BanyanSearch
import Testing

/// The auto table on hand-made training records: easy problems (high probe scores) are solved by Best-of-N,
/// hard ones only by beam search, so each bin gets its own choice.
@Suite struct ComputeOptimalTests {
    static func record(_ id: Int, strategy: String, scores: [Double], right: [String: [String: Bool]], answers given: [String]? = nil) -> String {
        let answers = (given ?? Array(repeating: "1", count: scores.count)).map { "\"\($0)\"" }.joined(separator: ",")
        let correct = right.map { rule, byBudget in
            "\"\(rule)\":{" + byBudget.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }.joined(separator: ",")
        return """
        {"id":"p\(id)","question":"q","expected":"1","strategy":"\(strategy)","answers":[\(answers)],"scores":\(scores),\
        "correct":{\(correct)},"coverage":true,"tokensPrefilled":10,"tokensDecoded":20,"forwardSteps":5,"peakKVBytes":0,"seconds":0.1}
        """
    }

    @Test func eachDifficultyBinGetsTheStrategyThatSolvedIt() throws {
        // Problems 0–3 easy (probe scores 1), 4–7 hard (probe scores 0).
        var bon: [String] = [], beam: [String] = []
        for i in 0..<8 {
            let easy = i < 4
            bon.append(Self.record(i, strategy: "best-of-n", scores: Array(repeating: easy ? 1 : 0, count: 8),
                                   right: ["weighted": ["1": easy, "2": easy, "4": easy, "8": easy], "majority": ["4": false, "8": easy]]))
            beam.append(Self.record(i, strategy: "beam", scores: [0, 0, 0, 0], right: ["weighted": ["4": !easy]]))
        }
        let table = ComputeOptimalTable.learn(
            bestOfN: try EvaluationRecord.read(bon.joined(separator: "\n"), source: "bon"),
            others: [(4, try EvaluationRecord.read(beam.joined(separator: "\n"), source: "beam"))],
            probe: 4, bins: 2, budgets: [2, 4, 8], prm: "checker", source: "test")
        #expect(table.edges == [0])
        let hard = try #require(table.choice(budget: 8, difficulty: 0)), easy = try #require(table.choice(budget: 8, difficulty: 1))
        #expect(hard.strategy == .beam && hard.n == 4 && hard.accuracy == 1)
        // Ties go to the smallest budget: one sample already solves the easy problems.
        #expect(easy.strategy == .bestOfN && easy.n == 1 && easy.select == .weighted && easy.accuracy == 1)
        // At budget 2 beam search (N=4) is not allowed: the hard bin falls back to what fits, solving nothing.
        #expect(table.choice(budget: 2, difficulty: 0)?.strategy == .bestOfN)
        #expect(table.choice(budget: 1, difficulty: 0) == nil, "no table row below the smallest budget")
        #expect(table.choice(budget: 100, difficulty: 0)?.strategy == .beam, "the largest row serves larger budgets")
        #expect(table.description.contains("beam N=4"))
    }

    /// Beam search keeps 1 in 4 candidates: it stays a candidate only when the scorer's Δ/σ on the Best-of-N
    /// samples supports that (exp((Δ/σ)²) ≥ 4). With a noisy scorer its wins on training problems are noise.
    @Test func beamSearchIsACandidateOnlyWhereTheScorerSeparatesEnough() throws {
        func table(right: [Double], wrong: [Double], cap: Bool = true) throws -> ComputeOptimalTable {
            var bon: [String] = [], beam: [String] = []
            for i in 0..<8 {
                // Samples 0 and 2 answer "1" (right), 1 and 3 answer "2" (wrong).
                bon.append(Self.record(i, strategy: "best-of-n", scores: [right[0], wrong[0], right[1], wrong[1]],
                                       right: ["weighted": ["1": false, "2": false, "4": false]], answers: ["1", "2", "1", "2"]))
                beam.append(Self.record(i, strategy: "beam", scores: [0, 0, 0, 0], right: ["weighted": ["4": true]]))
            }
            return ComputeOptimalTable.learn(
                bestOfN: try EvaluationRecord.read(bon.joined(separator: "\n"), source: "bon"),
                others: [(4, try EvaluationRecord.read(beam.joined(separator: "\n"), source: "beam"))],
                probe: 4, bins: 1, budgets: [4], prm: "head", source: "test", beamWidth: 4, capBySignal: cap)
        }
        // Right 0.55 ± 0.3, wrong 0.45 ± 0.3: Δ/σ = 1/3, exp(1/9) ≈ 1.1, so pruning 1 in 4 picks noise.
        let noisy = try table(right: [0.85, 0.25], wrong: [0.15, 0.75])
        let signal = try #require(noisy.signal)
        #expect(abs(signal.signalToNoise - 1.0 / 3) < 1e-9 && signal.usefulWidth == 1 && signal.rightSamples == 16)
        #expect(noisy.choice(budget: 4, difficulty: 0)?.strategy == .bestOfN)
        #expect(try table(right: [0.85, 0.25], wrong: [0.15, 0.75], cap: false).choice(budget: 4, difficulty: 0)?.strategy == .beam)
        // Right 0.85 ± 0.05, wrong 0.15 ± 0.05: Δ/σ = 14, clamped to 10; beam search stays and wins.
        let clean = try table(right: [0.9, 0.8], wrong: [0.1, 0.2])
        #expect(clean.signal?.signalToNoise == 10 && clean.choice(budget: 4, difficulty: 0)?.strategy == .beam)
        #expect(noisy.description.contains("Δ/σ 0.33: pruning pays up to 1 in 1"))
    }

    /// Particle filtering resamples all N in proportion to their scores instead of keeping 1 in M, so the
    /// signal cap that drops beam search leaves it a candidate, judged by what it solved.
    @Test func particlesStayACandidateUnderTheSignalCap() throws {
        var bon: [String] = [], beam: [String] = [], particles: [String] = []
        for i in 0..<8 {
            // A scorer with no separation (Δ/σ 1/3, as above); Best-of-N solves nothing, both others everything.
            bon.append(Self.record(i, strategy: "best-of-n", scores: [0.85, 0.15, 0.25, 0.75],
                                   right: ["weighted": ["1": false, "2": false, "4": false, "8": false]], answers: ["1", "2", "1", "2"]))
            beam.append(Self.record(i, strategy: "beam", scores: [0, 0, 0, 0], right: ["weighted": ["4": true]]))
            particles.append(Self.record(i, strategy: "particles", scores: [0, 0, 0, 0, 0, 0, 0, 0], right: ["weighted": ["8": true]]))
        }
        let table = ComputeOptimalTable.learn(
            bestOfN: try EvaluationRecord.read(bon.joined(separator: "\n"), source: "bon"),
            others: [(4, try EvaluationRecord.read(beam.joined(separator: "\n"), source: "beam")),
                     (8, try EvaluationRecord.read(particles.joined(separator: "\n"), source: "particles"))],
            probe: 4, bins: 1, budgets: [4, 8], prm: "head", source: "test")
        #expect(table.signal?.usefulWidth == 1)
        #expect(table.choice(budget: 4, difficulty: 0)?.strategy == .bestOfN, "beam search (N=4) is dropped by the cap")
        let eight = try #require(table.choice(budget: 8, difficulty: 0))
        #expect(eight.strategy == .particles && eight.n == 8 && eight.accuracy == 1)
        #expect(table.description.contains("particles N=8 (100% of 8)"))
    }
}
