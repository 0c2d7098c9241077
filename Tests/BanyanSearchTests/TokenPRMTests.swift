import Banyan
import BanyanSearch
import BanyanTestSupport
import Testing

/// The default model stands in as the second model (no PRM checkpoint can be fetched): its scores mean
/// little, but what is computed, and that forking gives the scores a re-encode gives, is what is tested.
@Suite(.serialized) struct TokenPRMTests {
    static let question = "What is 6 + 3 - 4?"
    /// Two branches sharing a first step, a third that differs from the start, and one branch again.
    static let requests: [[(question: String, steps: [String])]] = [
        [(question, ["6 + 3 = 9\n"]), (question, ["6 + 3 = 8\n"])],
        [(question, ["6 + 3 = 9\n", "9 - 4 = 5\n"]), (question, ["6 + 3 = 9\n", "9 - 4 = 4\n"]), (question, ["6 + 3 = 8\n", "8 - 4 = 4\n"])],
        [(question, ["6 + 3 = 9\n", "9 - 4 = 5\n", "Answer: 5"]), (question, ["6 + 3 = 9\n"])],
    ]

    func prm(_ format: TokenPRMFormat, reencode: Bool, maxLive: Int = 64) throws -> TokenPRM {
        let tok = try RealModelSearchTests.loaded().tokenizer
        let policy = ModelPolicy(engine: try Engine(model: try RealModelSearchTests.model()), tokenizer: tok)
        return try TokenPRM(policy: policy, tokenizer: tok, format: format, reencode: reencode, maxLive: maxLive)
    }

    func formats() throws -> [TokenPRMFormat] {
        [try TokenPRMFormat.rlhflow(template: try RealModelSearchTests.loaded().chatTemplate!), .mathShepherd]
    }

    @Test func forkedScoresEqualReencodedScoresAtAFractionOfTheTokens() throws {
        for format in try formats() {
            let forked = try prm(format, reencode: false), baseline = try prm(format, reencode: true)
            for batch in Self.requests {
                let a = try forked.score(batch), b = try baseline.score(batch)
                for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 1e-3, "\(format.name): \(x.score) vs \(y.score)") }
                #expect(a.allSatisfy { (0...1).contains($0.score) })
            }
            let f = forked.statistics, r = baseline.statistics
            #expect(f.stepsScored == 6 && f.repeats == 1, "\(f)")
            // Forked: each new step computes its own segment (the first brings the question); nothing more.
            #expect(f.tokensComputed <= f.stepTokens, "\(f)")
            #expect(r.tokensComputed == r.reencodeTokens && f.reencodeTokens == r.reencodeTokens)
            #expect(f.tokensComputed * 2 < r.tokensComputed, "\(format.name): \(f.tokensComputed) vs \(r.tokensComputed)")
            print("token PRM \(format.name): forked \(f.tokensComputed) tokens for \(f.stepsScored) steps, re-encode \(r.tokensComputed)")
        }
    }

    /// With room for one held sequence, a step whose parent was freed recomputes from the longest prefix still
    /// held (or from the start): the same score, more tokens.
    @Test func evictedHistoriesAreRecomputed() throws {
        let format = TokenPRMFormat.mathShepherd
        let small = try prm(format, reencode: false, maxLive: 1), roomy = try prm(format, reencode: false)
        // The last batch continues a branch left out of the batch before (its sequences freed by then).
        for batch in Self.requests + [[(Self.question, ["6 + 3 = 8\n", "8 - 4 = 4\n", "Answer: 4"])]] {
            for (x, y) in zip(try small.score(batch), try roomy.score(batch)) { #expect(abs(x.score - y.score) < 1e-3) }
        }
        #expect(small.liveSequences <= 3)
        #expect(small.statistics.tokensComputed > roomy.statistics.tokensComputed)
    }

    /// Labels that are one token are required, and the RLHFlow format comes from the PRM's own chat template.
    @Test func formatsAndLabels() throws {
        let rlhflow = try TokenPRMFormat.rlhflow(template: try RealModelSearchTests.loaded().chatTemplate!)
        #expect(rlhflow.probe.hasSuffix("<|im_start|>assistant\n") && rlhflow.between.hasPrefix("<|im_end|>"), "\(rlhflow)")
        var same = TokenPRMFormat.mathShepherd
        same.bad = "+"
        #expect(throws: TokenPRMError.label("+")) { try prm(same, reencode: false) }
    }

    /// In a search, every step is judged by the PRM when it ends, and its tokens are counted as scorer tokens.
    @Test func searchWithATokenPRM() throws {
        let tok = try RealModelSearchTests.loaded().tokenizer
        let token = try prm(.mathShepherd, reencode: false)
        let prompt = tok.encode(MathPrompt().render(question: Self.question, template: try RealModelSearchTests.loaded().chatTemplate!))
        let policy = ModelPolicy(engine: try Engine(model: try RealModelSearchTests.model()), tokenizer: tok)
        let scorer = TokenPRMScorer(question: Self.question, prm: token)
        let settings = StepSearchSettings(n: 4, width: 2, sampling: SamplingParameters(temperature: 0.7, topK: 0, topP: 1, minP: 0, seed: 1),
                                          maxTokens: 40, scorer: scorer, aggregation: .last)
        let r = try DVTS(settings).run(policy: policy, prompt: prompt)
        #expect(r.solutions.flatMap(\.steps).allSatisfy { $0.judgement != nil })
        #expect(r.accounting.scorerTokens == token.statistics.tokensComputed && token.statistics.stepsScored > 0)
        #expect(token.statistics.tokensComputed < token.statistics.reencodeTokens)
    }
}
