import Banyan
import BanyanSearch
import BanyanTestSupport
import Testing

@Suite(.serialized) struct RealModelSearchTests {
    static func model() throws -> LlamaModel { try TestModel.model() }
    static func loaded() throws -> LoadedTokenizer { try TestModel.tokenizer() }

    /// Forking the prompt's KV and prefilling it per sample must give the same solutions at the same
    /// seed (the engine is batch-independent), with the prompt prefilled once instead of N times.
    @Test func forkedBestOfNEqualsReprefillAtAFractionOfThePrefill() throws {
        let tok = try Self.loaded().tokenizer
        let prompt = tok.encode(MathPrompt().render(question: "What is 6 + 3 - 4?", template: try Self.loaded().chatTemplate!))
        var results: [SearchResult] = []
        for fork in [true, false] {
            let policy = ModelPolicy(engine: try Engine(model: try Self.model()), tokenizer: tok)
            let search = BestOfN(n: 4, sampling: SamplingParameters(temperature: 0.8, topK: 0, topP: 1, minP: 0, seed: 2),
                                 maxTokens: 40, delimiter: "\n", scorer: CheckerScorer(), aggregation: .min, fork: fork)
            results.append(try search.run(policy: policy, prompt: prompt))
            #expect(policy.cache.statistics.pagesUsed == 0, "every sequence freed")
        }
        let (forked, plain) = (results[0], results[1])
        #expect(forked.solutions == plain.solutions)
        #expect(forked.picks == plain.picks)
        #expect(forked.accounting.tokensPrefilled == prompt.count && plain.accounting.tokensPrefilled == 4 * prompt.count)
        #expect(forked.accounting.peakKVBytes < plain.accounting.peakKVBytes)
        // The model follows the prompt's format: calculation lines and an Answer line.
        #expect(forked.solutions.allSatisfy { $0.answer != nil && $0.steps.count >= 2 })
        // Each step records its least confident token: never above the step's mean, below it when the tokens differ.
        let steps = forked.solutions.flatMap(\.steps)
        #expect(steps.allSatisfy { s in s.minLogProbability.map { $0 <= s.meanLogProbability + 1e-12 && $0 < 0 } ?? false })
        #expect(steps.contains { $0.tokens.count > 1 && $0.minLogProbability! < $0.meanLogProbability - 1e-6 })
        print("search: answers \(forked.solutions.map { $0.answer ?? "-" }), scores \(forked.solutions.map(\.score)), "
              + "prefilled \(forked.accounting.tokensPrefilled) vs \(plain.accounting.tokensPrefilled)")
    }

    /// Problems batched together (their few-shot prefix prefilled once and forked, their samples sharing
    /// every step) give each problem the solutions it gets alone.
    @Test func batchedProblemsEqualEachAlone() throws {
        let tok = try Self.loaded().tokenizer
        let questions = ["What is 6 + 3 - 4?", "What is 9 - 5 + 2?", "What is 2 + 7 - 1?"]
        let prompts = try questions.map { tok.encode(MathPrompt().render(question: $0, template: try Self.loaded().chatTemplate!)) }
        let search = BestOfN(n: 2, sampling: SamplingParameters(temperature: 0.8, topK: 0, topP: 1, minP: 0, seed: 5),
                             maxTokens: 32, delimiter: "\n", scorer: CheckerScorer(), aggregation: .min)
        let policy = ModelPolicy(engine: try Engine(model: try Self.model()), tokenizer: tok)
        let batched = try search.run(policy: policy, problems: prompts.map { SearchProblem(prompt: $0, scorer: CheckerScorer()) })
        #expect(policy.cache.statistics.pagesUsed == 0, "every sequence freed")
        let total = batched.reduce(0) { $0 + $1.accounting.tokensPrefilled }
        #expect(total < prompts.reduce(0) { $0 + $1.count } / 2, "the shared prefix was prefilled once: \(total)")
        for (prompt, result) in zip(prompts, batched) {
            let alone = try search.run(policy: ModelPolicy(engine: try Engine(model: try Self.model()), tokenizer: tok),
                                       prompt: prompt)
            #expect(result.solutions == alone.solutions)
        }
    }

    /// Steps carry the policy's hidden states when a scorer asks for them, and a head trained on them
    /// scores search steps from those features with no extra forward pass.
    @Test func stepFeaturesFeedALearnedHead() throws {
        let tok = try Self.loaded().tokenizer
        let problems = try ProblemSet.load("arith:operands=3,digits=1,ops=+-,count=4,seed=3")
        let prompts = try problems.map { tok.encode(MathPrompt().render(question: $0.question, template: try Self.loaded().chatTemplate!)) }
        let sampling = SamplingParameters(temperature: 0.7, topK: 0, topP: 1, minP: 0, seed: 1)
        let examples = try PRMDataset.collect(
            policy: ModelPolicy(engine: try Engine(model: try Self.model()), tokenizer: tok),
            problems: problems, prompts: prompts, n: 4, sampling: sampling, maxTokens: 40, delimiter: "\n", batch: 4)
        let width = try Self.model().config.embeddingWidth
        #expect(examples.count >= 8)
        let rows = examples.flatMap(\.features)
        #expect(rows.allSatisfy { $0.count == StepFeatures.dimension(width: width) })
        // Calculation lines have an `=`: the state after it is captured (non-zero), and differs from the end state.
        #expect(rows.contains { r in r[width..<(2 * width)].contains { $0 != 0 } && Array(r[0..<width]) != Array(r[width..<(2 * width)]) })
        let y: [Float] = examples.flatMap { $0.exact.map { $0 ? 1 : 0 } }
        var settings = PRMTraining.Settings()
        settings.epochs = 50
        let head = PRMTraining.fit(rows, y, settings: settings)
        let policy = ModelPolicy(engine: try Engine(model: try Self.model()), tokenizer: tok)
        let r = try BestOfN(n: 4, sampling: sampling, maxTokens: 40, delimiter: "\n", scorer: HeadScorer(head: head), aggregation: .min)
            .run(policy: policy, prompt: prompts[0])
        let steps = r.solutions.flatMap(\.steps)
        #expect(steps.allSatisfy { $0.features != nil && $0.score > 0 && $0.score < 1 })
        #expect(steps.allSatisfy { abs($0.score - head.probability($0.features!)) < 1e-12 })
        #expect(Set(steps.map(\.score)).count > 1, "the head tells steps apart")
    }
}
