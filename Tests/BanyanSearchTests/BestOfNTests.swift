import Banyan
import BanyanSearch
import Testing

/// A scripted policy: one token per byte (256 = end of generation). Each sequence forked from the
/// prompt follows script number (fork order mod scripts): its next token has logit +50, every other
/// −50, so sampling at any temperature follows the script exactly. The right picks are known.
final class ScriptedPolicy: SearchPolicy {
    let scripts: [[UInt8]]
    var position: [SequenceID: Int] = [:]
    var script: [SequenceID: Int] = [:]
    var nextID = 0
    var forks = 0
    var prefills = 0
    var live = Set<SequenceID>()

    init(_ scripts: [String]) { self.scripts = scripts.map { Array($0.utf8) } }

    var endOfGeneration: Set<Int32> { [256] }
    func bytes(of token: Int32) -> [UInt8] { token < 256 ? [UInt8(token)] : [] }
    var kvBytes: Int { live.count * 100 }

    private func logits(_ s: SequenceID) -> [Float] {
        let text = scripts[script[s]!], p = position[s]!
        var l = [Float](repeating: -50, count: 257)
        l[p < text.count ? Int(text[p]) : 256] = 50
        return l
    }

    private func make(script k: Int) -> SequenceID {
        let s = SequenceID(rawValue: nextID)
        nextID += 1
        position[s] = 0
        script[s] = k
        live.insert(s)
        return s
    }

    func start(_ prompt: [Int32]) throws -> (SequenceID, [Float]) {
        // Without forking, each prefill starts the next script, as forking would.
        let s = make(script: prefills % scripts.count)
        prefills += 1
        return (s, logits(s))
    }

    func fork(_ sequence: SequenceID, count: Int) throws -> [SequenceID] {
        (0..<count).map { _ in
            defer { forks += 1 }
            return make(script: forks % scripts.count)
        }
    }

    func advance(_ pairs: [(SequenceID, Int32)]) throws -> [[Float]] {
        pairs.map { s, t in
            precondition(t == Int32(scripts[script[s]!][position[s]!]), "the policy was fed a token off its script")
            position[s]! += 1
            return logits(s)
        }
    }

    func free(_ sequence: SequenceID) throws { live.remove(sequence) }
}

@Suite struct BestOfNTests {
    // Two wrong solutions agree on 5 (one bad line), one right solution says 4.
    static let scripts = [
        "2 + 2 = 5\n\nAnswer: 5",
        "2 + 2 = 4\n\nAnswer: 4",
        "2 + 3 = 6\n\nAnswer: 5",
    ]

    func run(_ n: Int, scorer: any StepScorer = CheckerScorer(), aggregation: Aggregation = .min, fork: Bool = true) throws -> (SearchResult, ScriptedPolicy) {
        let policy = ScriptedPolicy(Self.scripts)
        let search = BestOfN(n: n, sampling: SamplingParameters(temperature: 0.8, seed: 3), maxTokens: 64, scorer: scorer,
                             aggregation: aggregation, fork: fork)
        return (try search.run(policy: policy, prompt: [1, 2, 3]), policy)
    }

    @Test func selectionRulesPickWhatTheyShould() throws {
        let (r, policy) = try run(3)
        #expect(r.solutions.map(\.answer) == ["5", "4", "5"])
        #expect(r.solutions.map(\.score) == [0, 1, 0], "the checker zeroes a wrong line (min aggregation)")
        #expect(r.answer(.majority) == "5", "the vote follows the two wrong solutions")
        #expect(r.answer(.vanilla) == "4", "the best-scored solution is the right one")
        #expect(r.answer(.weighted) == "4", "summed scores: 4 has 1, 5 has 0")
        // Sub-budgets are prefixes of the same run.
        #expect(r.picks[.majority]?[1] == "5" && r.picks[.vanilla]?[2] == "4" && r.picks[.majority]?[2] == "5")
        #expect(policy.live.isEmpty, "every sequence is freed")
    }

    @Test func stepsAreCutAtBlankLinesAndScoredPerStep() throws {
        let (r, _) = try run(2)
        #expect(r.solutions[0].steps.map(\.text) == ["2 + 2 = 5\n\n", "Answer: 5"])
        #expect(r.solutions[0].steps.map(\.score) == [0, 1])
        #expect(r.solutions[1].steps.map(\.score) == [1, 1])
        #expect(r.solutions.allSatisfy { $0.end == .endOfGeneration })
        #expect(r.solutions[0].steps[0].meanLogProbability > -1e-6, "the scripted tokens are certain")
    }

    @Test func aggregationRules() throws {
        #expect(Aggregation.last.apply([0.2, 0.9]) == 0.9)
        #expect(Aggregation.min.apply([0.2, 0.9]) == 0.2)
        #expect(abs(Aggregation.prod.apply([0.5, 0.5]) - 0.25) < 1e-12)
        #expect(abs(Aggregation.mean.apply([0.2, 0.6]) - 0.4) < 1e-12)
    }

    @Test func weightedFallsBackToTheVoteOnEqualWeights() throws {
        func solution(_ answer: String, _ score: Double) -> Solution {
            Solution(steps: [], text: "Answer: \(answer)", answer: answer, score: score, end: .endOfGeneration)
        }
        // Every sample failed the checker: the weights tie at 0, so the vote decides, not the first sample.
        #expect(Selection.weighted.pick([solution("4", 0), solution("5", 0), solution("5", 0)]) == "5")
        // Unequal weights still win over votes.
        #expect(Selection.weighted.pick([solution("4", 1), solution("5", 0.4), solution("5", 0.4)]) == "4")
        #expect(Selection.vanilla.pick([solution("4", 0), solution("5", 0), solution("5", 0)]) == "4")
    }

    /// Conditional majority: the weighted pick only where its answer holds enough of the summed score.
    @Test func conditionalMajorityTrustsOnlyAConfidentVerifier() throws {
        func solution(_ answer: String, _ score: Double) -> Solution {
            Solution(steps: [], text: "Answer: \(answer)", answer: answer, score: score, end: .endOfGeneration)
        }
        #expect(Selection.confidentShare == 0.5)
        // "5" holds 0.9 of 1.2 (75%): the verifier is followed against three votes for "3".
        let confident = [solution("3", 0.1), solution("3", 0.1), solution("3", 0.1), solution("5", 0.9)]
        #expect(Selection.weighted.pick(confident) == "5" && Selection.majority.pick(confident) == "3")
        #expect(Selection.conditional.pick(confident) == "5")
        // "5" is still the heaviest answer, but with 0.4 of 0.9 (44%) among three: the vote decides.
        let unsure = [solution("3", 0.1), solution("3", 0.1), solution("3", 0.1), solution("5", 0.4), solution("7", 0.2)]
        #expect(Selection.weighted.pick(unsure) == "5")
        #expect(Selection.conditional.pick(unsure) == "3")
        // No score at all: the vote.
        #expect(Selection.conditional.pick([solution("4", 0), solution("5", 0), solution("5", 0)]) == "5")
        #expect(Selection.conditional.pick([Solution]()) == nil)
    }

    @Test func verifierScoresTheFinalAnswer() throws {
        let (r, _) = try run(3, scorer: VerifierScorer(expected: "4"), aggregation: .last)
        #expect(r.solutions.map(\.score) == [0, 1, 0])
        #expect(r.answer(.vanilla) == "4" && r.answer(.weighted) == "4" && r.answer(.majority) == "5")
    }

    @Test func withoutForkingTheSameAnswersForNTimesThePrefill() throws {
        let (forked, _) = try run(3)
        let (plain, policy) = try run(3, fork: false)
        #expect(plain.solutions == forked.solutions)
        #expect(forked.accounting.tokensPrefilled == 3 && plain.accounting.tokensPrefilled == 9)
        #expect(policy.prefills == 3)
        #expect(forked.accounting.tokensDecoded == plain.accounting.tokensDecoded)
    }

    @Test func maxTokensCutsASolution() throws {
        let policy = ScriptedPolicy(["1 + 1 = 2\n\n1 + 2 = 3\n\nAnswer: 3"])
        let r = try BestOfN(n: 1, sampling: .greedy, maxTokens: 5, scorer: LikelihoodScorer()).run(policy: policy, prompt: [1])
        #expect(r.solutions[0].end == .maxTokens && r.solutions[0].text == "1 + 1")
        #expect(r.strategy == .greedy)
    }
}
