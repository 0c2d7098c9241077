import Banyan
import BanyanSearch
import Testing

@Suite struct ParticleFilterTests {
    static let sampling = StepSearchTests.sampling

    func settings(_ n: Int) -> StepSearchSettings {
        StepSearchSettings(n: n, width: 1, sampling: Self.sampling, maxTokens: 64, scorer: CheckerScorer(), aggregation: .min)
    }

    @Test func systematicResamplingDrawsEachParticleFloorOrCeilOfItsShare() throws {
        var random = SeededRandom(seed: 9)
        for _ in 0..<50 {
            let weights = [0.5, 0.25, 0.125, 0.125, 0]
            let drawn = ParticleFilter.resample(weights, count: 8, random: &random)
            #expect(drawn.count == 8 && drawn == drawn.sorted())
            for (i, w) in weights.enumerated() {
                let k = drawn.filter { $0 == i }.count
                #expect(Double(k) >= (8 * w).rounded(.down) && Double(k) <= (8 * w).rounded(.up), "particle \(i): \(k) of 8 at weight \(w)")
            }
        }
    }

    @Test func weightsFollowTheScoreAndTheTemperature() throws {
        let w1 = ParticleFilter.weights([0.8, 0.2], temperature: 1)
        #expect(abs(w1[0] - 0.8) < 1e-12 && abs(w1[1] - 0.2) < 1e-12, "T = 1: in proportion to the score")
        let cold = ParticleFilter.weights([0.8, 0.2], temperature: 0.5)
        #expect(abs(cold[0] - 0.64 / 0.68) < 1e-12, "T = ½ squares the scores")
        let rejected = ParticleFilter.weights([0, 0], temperature: 1)
        #expect(rejected == [0.5, 0.5], "a population the checker rejects entirely is drawn uniformly")
        #expect(ParticleFilter.weights([1, 0], temperature: 1)[1] < 1e-5)
    }

    @Test func particlesLeaveTheWrongFirstLineAndKeepN() throws {
        let policy = TreePolicy(StepSearchTests.tree)
        let r = try ParticleFilter(settings(8)).run(policy: policy, prompt: StepSearchTests.prompt)
        #expect(r.strategy == .particles)
        #expect(r.solutions.count == 8, "N particles at the end, copies included")
        #expect(r.solutions.allSatisfy { $0.answer == "5" && $0.score == 1 }, "\(r.solutions.map(\.text))")
        #expect(r.answer(.weighted) == "5" && r.budget == 8)
        #expect(policy.states.isEmpty, "every sequence freed")
        let tree = try #require(r.tree)
        #expect(tree.nodes.filter { $0.depth == 1 && $0.status == .pruned }.allSatisfy { $0.score == 0 })
    }

    @Test func finishedParticlesStayInThePopulation() throws {
        // Both paths are right; a ends a step before b. Once a's particles have finished they are drawn
        // beside b's live ones (equal scores: each exactly once) and end among the solutions as they are.
        let tree: [String: [String]] = [
            "": ["a) 2 + 2 = 4\n\n", "b) 2 + 2 = 4\n\n"],
            "a) 2 + 2 = 4\n\n": ["Answer: 4"],
            "b) 2 + 2 = 4\n\n": ["4 + 0 = 4\n\n"],
            "b) 2 + 2 = 4\n\n4 + 0 = 4\n\n": ["Answer: 4"],
        ]
        let policy = TreePolicy(tree)
        let r = try ParticleFilter(settings(8)).run(policy: policy, prompt: StepSearchTests.prompt)
        #expect(r.solutions.count == 8 && r.solutions.allSatisfy { $0.answer == "4" && $0.score == 1 })
        let first = try #require(r.tree).nodes.filter { $0.depth == 1 }
        let aParticles = first.filter { $0.text.hasPrefix("a)") }.count
        #expect(aParticles > 0 && aParticles < 8, "the seed draws both first lines: \(first.map(\.text))")
        #expect(r.solutions.filter { $0.text.hasPrefix("a)") }.count == aParticles, "each finished particle kept once")
        #expect(policy.states.isEmpty)
    }

    @Test func batchedProblemsGetWhatTheyGetAlone() throws {
        let problems = [SearchProblem(prompt: StepSearchTests.prompt, scorer: CheckerScorer()),
                        SearchProblem(prompt: StepSearchTests.prompt, scorer: VerifierScorer(expected: "6"))]
        let batched = try ParticleFilter(settings(4)).run(policy: TreePolicy(StepSearchTests.tree), problems: problems)
        for (problem, result) in zip(problems, batched) {
            var alone = settings(4)
            alone.scorer = problem.scorer
            let single = try ParticleFilter(alone).run(policy: TreePolicy(StepSearchTests.tree), prompt: problem.prompt)
            #expect(result.solutions == single.solutions)
        }
        #expect(batched[1].answer(.weighted) == "6", "the verifier's problem resamples towards 6")
    }
}

@Suite struct AdaptiveConsistencyTests {
    @Test func betaRuleMatchesTheBinomialSums() throws {
        // P(Binomial(v1 + v2 + 1, ½) ≤ v1).
        #expect(abs(AdaptiveConsistency.leaderProbability(leader: 4, runnerUp: 0) - 31.0 / 32) < 1e-12)
        #expect(abs(AdaptiveConsistency.leaderProbability(leader: 3, runnerUp: 0) - 15.0 / 16) < 1e-12)
        #expect(abs(AdaptiveConsistency.leaderProbability(leader: 2, runnerUp: 2) - 0.5) < 1e-12)
        #expect(abs(AdaptiveConsistency.leaderProbability(leader: 5, runnerUp: 1) - 120.0 / 128) < 1e-12)
        #expect(AdaptiveConsistency.leaderProbability(leader: 300, runnerUp: 10) <= 1)
    }

    @Test func weightedRuleIsTheBetaTailAtAnyVote() throws {
        // At whole votes it is the binomial sum above.
        for (v1, v2) in [(4, 0), (3, 0), (2, 2), (5, 1), (6, 1), (9, 4), (40, 31)] {
            let whole = AdaptiveConsistency.leaderProbability(leader: v1, runnerUp: v2)
            #expect(abs(AdaptiveConsistency.leaderProbability(leader: Double(v1), runnerUp: Double(v2)) - whole) < 1e-12, "\(v1) against \(v2)")
        }
        // Between whole votes, against SciPy 1.17's beta.sf(0.5, w1 + 1, w2 + 1) and beta.cdf.
        #expect(abs(AdaptiveConsistency.leaderProbability(leader: 1.5, runnerUp: 0.5) - 0.7122065907891938) < 1e-12)
        #expect(abs(AdaptiveConsistency.leaderProbability(leader: 3.5, runnerUp: 0) - 0.9558058261758408) < 1e-12)
        #expect(abs(BetaFunction.regularized(0.3, 2.5, 7.0) - 0.6412224629717214) < 1e-12)
        #expect(abs(BetaFunction.regularized(0.9, 30.2, 3.1) - 0.38376428386735284) < 1e-12)
        // No votes at all: an even chance, never settled.
        #expect(abs(AdaptiveConsistency.leaderProbability(leader: 0, runnerUp: 0) - 0.5) < 1e-15)
    }

    @Test func aWeightedVoteSettlesWhereTheCountDoesNot() throws {
        // Samples alternate between a right calculation and a wrong one (scored 0 by the checker, min over steps).
        let scripts = ["2 + 2 = 4\n\nAnswer: 4", "2 + 2 = 5\n\nAnswer: 5"]
        func run(_ vote: AdaptiveVote, aggregation: Aggregation = .min) throws -> (SearchResult, ScriptedPolicy) {
            let policy = ScriptedPolicy(scripts)
            let r = try AdaptiveConsistency(n: 16, wave: 4, confidence: 0.95, sampling: SamplingParameters(temperature: 0.8, seed: 3),
                                            maxTokens: 64, scorer: CheckerScorer(), aggregation: aggregation, vote: vote)
                .run(policy: policy, prompt: [1, 2, 3])
            return (r, policy)
        }
        let (majority, _) = try run(.majority)
        #expect(majority.solutions.count == 16, "8 against 8 never settles")
        #expect(majority.accounting.tokensDecoded == 16 * scripts[0].utf8.count)
        let (weighted, policy) = try run(.weighted)
        // Right samples are the 1st, 3rd, 5th and 7th; four votes of 1 against none give 31/32 ≥ 0.95.
        #expect(weighted.solutions.count == 7)
        #expect(weighted.answer(.weighted) == "4")
        // A wrong sample is abandoned at its first step (scored 0, so its minimum is 0 whatever follows): it
        // has no answer, and only that step's tokens were decoded. Two waves of 4 decoded 4 right samples and
        // 4 abandoned ones (the 8th past the stopping point).
        let abandoned = weighted.solutions.filter { $0.end == .abandoned }
        #expect(abandoned.count == 3 && abandoned.allSatisfy { $0.answer == nil && $0.score == 0 && $0.text == "2 + 2 = 5\n\n" })
        #expect(weighted.accounting.tokensDecoded == 4 * scripts[0].utf8.count + 4 * "2 + 2 = 5\n\n".utf8.count)
        #expect(policy.live.isEmpty, "abandoned samples are freed")
        // With the last step's score as the vote, a 0 can be outvoted later: nothing is abandoned.
        let (last, _) = try run(.weighted, aggregation: .last)
        #expect(!last.solutions.contains { $0.end == .abandoned })
        var c = SearchConfiguration(strategy: .adaptive)
        c.vote = .weighted
        #expect(c.rule == .weighted && SearchConfiguration(strategy: .adaptive).rule == .majority)
        #expect(weighted.noAnswerReason == nil)
        // Every sample wrong: all abandoned, no answer, and the result says why and what to change.
        let none = try AdaptiveConsistency(n: 4, wave: 2, confidence: 0.95, sampling: SamplingParameters(temperature: 0.8, seed: 3),
                                           maxTokens: 64, scorer: CheckerScorer(), aggregation: .min, vote: .weighted)
            .run(policy: ScriptedPolicy([scripts[1]]), prompt: [1, 2, 3])
        #expect(none.solutions.count == 4 && none.answer(.weighted) == nil)
        let reason = try #require(none.noAnswerReason)
        #expect(reason.contains("every one of the 4 samples") && reason.contains("--vote majority"))
        #expect(none.jsonObject(configuration: c)["no_answer_reason"] as? String == reason)
    }

    func adaptive(_ n: Int, wave: Int, scripts: [String]) throws -> (SearchResult, ScriptedPolicy) {
        let policy = ScriptedPolicy(scripts)
        let a = AdaptiveConsistency(n: n, wave: wave, confidence: 0.95, sampling: SamplingParameters(temperature: 0.8, seed: 3),
                                    maxTokens: 64, scorer: CheckerScorer())
        return (try a.run(policy: policy, prompt: [1, 2, 3]), policy)
    }

    @Test func unanimousSamplesStopAtFour() throws {
        let (r, policy) = try adaptive(16, wave: 2, scripts: ["2 + 2 = 4\n\nAnswer: 4"])
        #expect(r.strategy == .adaptive)
        #expect(r.solutions.count == 4, "four agreeing votes settle the vote at 0.95")
        #expect(r.answer(.majority) == "4" && r.budget == 16)
        #expect(policy.live.isEmpty)
    }

    @Test func aSplitVoteRunsToN() throws {
        let (r, _) = try adaptive(8, wave: 4, scripts: ["Answer: 4", "Answer: 5"])
        #expect(r.solutions.count == 8, "4 against 4 never settles")
    }

    @Test func samplesAreBestOfNsFirstSamples() throws {
        let scripts = ["Answer: 4", "Answer: 4", "Answer: 5", "Answer: 4", "Answer: 4", "Answer: 4", "Answer: 4", "Answer: 4"]
        let (r, _) = try adaptive(16, wave: 3, scripts: scripts)
        let bon = try BestOfN(n: 16, sampling: SamplingParameters(temperature: 0.8, seed: 3), maxTokens: 64, scorer: CheckerScorer())
            .run(policy: ScriptedPolicy(scripts), prompt: [1, 2, 3])
        #expect(r.solutions.map(\.text) == bon.solutions.prefix(r.solutions.count).map(\.text))
        // 4,4,5 | 4,4,4: the vote settles at the sixth sample (5 against 1: P = 120/128 < 0.95? no: 0.9375), so
        // it needs the seventh: 6 against 1 gives P(Bin(8, ½) ≤ 6) = 247/256 = 0.965.
        #expect(r.solutions.count == 7)
        // The wave decoded 9 samples; the accounting counts the two past the stopping point too.
        #expect(r.accounting.tokensDecoded == 9 * "Answer: 4".utf8.count)
    }
}

@Suite struct ProvenanceScorerTests {
    static let question = "Sara had 21 quarters in her bank. Her dad gave her 49 quarters. How many quarters does she have now?"

    func scores(_ lines: [String], question: String = Self.question) -> [Double] {
        ProvenanceScorer(question: question).scores(lines.map { SolutionStep(tokens: [1], text: $0, meanLogProbability: 0) },
                                                    text: lines.joined(), finished: true)
    }

    @Test func rightNumbersRightSum() {
        #expect(scores(["21 + 49 = 70\n", "Answer: 70"]) == [1, 1])
    }

    @Test func aRightSumOfAnInventedNumberFails() {
        // The arithmetic checker passes both lines; the 25 comes from nowhere ("quarters" is not a number here).
        #expect(CheckerScorer().scores([SolutionStep(tokens: [1], text: "21 + 25 = 46\n", meanLogProbability: 0)], text: "", finished: true) == [1])
        // Its answer is computed, but from one of the question's numbers only: half.
        #expect(scores(["21 + 25 = 46\n", "Answer: 46"]) == [0, 0.5])
    }

    @Test func earlierResultsMayBeUsed() {
        #expect(scores(["21 + 49 = 70\n", "70 * 2 = 140\n", "Answer: 140"], question: "Sara had 21 coins and got 49 more. She doubled them.") == [1, 1, 1])
    }

    @Test func anAnswerNoLineComputedFails() {
        #expect(scores(["21 + 49 = 70\n", "Answer: 72"]) == [1, 0])
    }

    @Test func copyingAQuestionNumberIsHalfRight() {
        #expect(scores(["Answer: 49"]) == [0.5], "a story needs two of its numbers")
    }

    @Test func wrongArithmeticFails() {
        #expect(scores(["21 + 49 = 60\n", "Answer: 60"]) == [0, 1])
    }

    @Test func numberWordsAndCommasCount() {
        #expect(ProvenanceScorer.numbers(in: "A dozen eggs cost 1,200 cents; five boxes") == [1200, 12, 5])
        #expect(scores(["12 * 5 = 60\n", "Answer: 60"], question: "A dozen eggs in each of five boxes. How many eggs?") == [1, 1])
    }
}
