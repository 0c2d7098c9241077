import Banyan
import BanyanSearch
import BanyanTestSupport
import Foundation
import Testing

/// The README's library example, compiled and run on the real model, and the search entry point behind
/// the CLI (`Searcher`) with `auto`, whose table must refuse what it cannot run.
@Suite(.serialized) struct FrontDoorTests {
    @Test func readmeExampleRuns() throws {
        _ = try TestModel.path()  // fails with a clear message when the model cannot be had
        // The README's lines, as a user writes them:
        let lm = try LanguageModel.load()
        let reply = try lm.generate("Name three trees.", maxTokens: 32).text
        var streamed = ""
        try lm.stream("Tell me about banyan trees.", maxTokens: 16) { piece in streamed += piece; return true }
        let result = try lm.search("What is 6 + 3 - 4?", configuration: SearchConfiguration(strategy: .beam, n: 16))
        #expect(!reply.isEmpty && !streamed.isEmpty)
        #expect((1...16).contains(result.solutions.count) && result.strategy == .beam)
        let answer = try #require(result.answer(.weighted), "beam search found an answer")
        #expect(answer == Selection.weighted.pick(result.solutions), "the pick is the weighted vote over the ranked solutions")
        #expect(lm.engine.statistics.pagesUsed == 0, "every sequence of every call was freed")
    }

    /// `auto` with the shipped table: a probe per problem, then the table's choice; its strategy is named in
    /// the result, and every rule's pick stands at the whole budget.
    @Test func autoRunsTheShippedTable() throws {
        let lm = try LanguageModel(model: TestModel.model(), tokenizer: TestModel.tokenizer(), path: TestModel.path())
        var c = SearchConfiguration()
        c.strategy = .auto
        c.budget = 8
        c.maxTokens = 48
        let searcher = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: c)
        let results = try searcher.run([SearchQuestion("What is 6 + 3 - 4?"), SearchQuestion("What is 9 - 5 + 2?")])
        for r in results {
            #expect(r.label.hasPrefix("auto:") && r.autoChoice != nil, "the choice is named: \(r.label)")
            #expect(Selection.allCases.allSatisfy { r.picks[$0]?.keys.contains(8) ?? false }, "picks at the budget: \(r.picks)")
            #expect(r.accounting.tokensDecoded > 0)
        }
        #expect(lm.engine.statistics.pagesUsed == 0)
    }

    /// The shipped head reads layers 10 and 20 beside the final hidden state; `--prm head` asks the engine for
    /// them, scores every step from them, and `auto` runs with the table learned on this head's scores.
    @Test func shippedHeadScoresFromItsLayersAndAutoRunsWithIt() throws {
        let lm = try LanguageModel(model: TestModel.model(), tokenizer: TestModel.tokenizer(), path: TestModel.path())
        let head = try PRMHeads.load(nil, model: lm.engine.model)
        #expect(head.featureLayers == [10, 20], "the shipped head is the three-layer one")
        #expect(head.dimension == StepFeatures.dimension(width: 3 * 576), "three hidden states of 576 at two places, 3 log-probabilities")
        var c = SearchConfiguration()
        c.prm = .head(path: nil)
        c.n = 4
        c.maxTokens = 48
        let searcher = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: c)
        let result = try #require(try searcher.run([SearchQuestion("What is 7 - 2 + 4?")]).first)
        let steps = result.solutions.flatMap(\.steps)
        #expect(!steps.isEmpty && steps.allSatisfy { $0.score > 0 && $0.score < 1 }, "\(steps.map(\.score))")
        c.strategy = .auto
        c.budget = 4
        let auto = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: c)
        let autoResult = try #require(try auto.run([SearchQuestion("What is 7 - 2 + 4?")]).first)
        #expect(autoResult.label.hasPrefix("auto:") && autoResult.autoChoice != nil, "\(autoResult.label)")
        #expect(lm.engine.statistics.pagesUsed == 0)
    }

    /// The probe's samples vote: a Best-of-N choice of n keeps the probe's 4 samples and draws only the
    /// other n − 4, so auto gives Best-of-N@n's solutions, answer and decoded tokens exactly.
    @Test func autoKeepsTheProbeSamplesInABestOfNChoice() throws {
        let lm = try LanguageModel(model: TestModel.model(), tokenizer: TestModel.tokenizer(), path: TestModel.path())
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-auto-bon-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        {"probe":4,"prm":"checker","edges":[],"source":"test","choices":{"8":[\
        {"strategy":"best-of-n","n":8,"select":"weighted","accuracy":1,"problems":1}]}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var c = SearchConfiguration()
        c.strategy = .auto
        c.budget = 8
        c.maxTokens = 48
        c.autoTable = path
        let question = SearchQuestion("What is 7 - 2 + 4?")
        let auto = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: c).run(question)
        c = SearchConfiguration()
        c.strategy = .bestOfN
        c.n = 8
        c.maxTokens = 48
        let bon = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: c).run(question)
        #expect(auto.autoChoice == AutoChoice(strategy: .bestOfN, n: 8, select: .weighted))
        #expect(auto.solutions.map(\.text) == bon.solutions.map(\.text), "the same 8 samples, the probe's 4 first")
        #expect(auto.solutions.map(\.score) == bon.solutions.map(\.score))
        #expect(auto.answer(.weighted) == bon.answer(.weighted))
        #expect(auto.accounting.tokensDecoded == bon.accounting.tokensDecoded, "no sample is drawn twice")
        #expect(lm.engine.statistics.pagesUsed == 0)
    }

    /// A particle-filter choice runs particles at the chosen N on the problem: the same solutions and answer as
    /// `--strategy particles --n N` alone, and the probe's tokens counted beside the run's.
    @Test func autoRunsAParticleChoiceAsParticlesWouldAlone() throws {
        let lm = try LanguageModel(model: TestModel.model(), tokenizer: TestModel.tokenizer(), path: TestModel.path())
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-auto-particles-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        {"probe":4,"prm":"checker","edges":[],"source":"test","choices":{"8":[\
        {"strategy":"particles","n":8,"select":"weighted","accuracy":1,"problems":1}]}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let question = SearchQuestion("What is 7 - 2 + 4?")
        func run(_ strategy: SearchStrategy, n: Int) throws -> SearchResult {
            var c = SearchConfiguration()
            c.strategy = strategy
            c.n = n
            c.maxTokens = 48
            if strategy == .auto { (c.budget, c.autoTable) = (n, path) }
            return try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: c).run(question)
        }
        let auto = try run(.auto, n: 8), particles = try run(.particles, n: 8), probe = try run(.bestOfN, n: 4)
        #expect(auto.autoChoice == AutoChoice(strategy: .particles, n: 8, select: .weighted))
        #expect(auto.solutions.map(\.text) == particles.solutions.map(\.text))
        #expect(auto.answer(.weighted) == particles.answer(.weighted) && auto.answer(.weighted) != nil)
        #expect(auto.accounting.tokensDecoded == particles.accounting.tokensDecoded + probe.accounting.tokensDecoded)
        #expect(lm.engine.statistics.pagesUsed == 0)
    }

    @Test func autoTablesAreCheckedBeforeAnythingRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-auto-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func table(strategy: String, select: String = "weighted", prm: String = "checker") throws -> String {
            let path = dir.appendingPathComponent("\(strategy)-\(select)-\(prm).json").path
            let json = """
            {"probe":4,"prm":"\(prm)","edges":[0.5],"source":"test","choices":{"8":[\
            {"strategy":"\(strategy)","n":8,"select":"\(select)","accuracy":0.5,"problems":4},\
            {"strategy":"best-of-n","n":4,"select":"weighted","accuracy":0.5,"problems":4}]}}
            """
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        #expect(throws: SearchConfigurationError.self) { try ComputeOptimalTable.load(path: try table(strategy: "mcts"), prm: "checker") }
        #expect(throws: SearchConfigurationError.self) { try ComputeOptimalTable.load(path: try table(strategy: "beam", select: "best"), prm: "checker") }
        #expect(throws: SearchConfigurationError.self) { try ComputeOptimalTable.load(path: try table(strategy: "beam"), prm: "head") }
        let good = try ComputeOptimalTable.load(path: try table(strategy: "dvts"), prm: "checker")
        #expect(good.choice(budget: 8, difficulty: 0)?.strategy == .dvts)
        #expect(try ComputeOptimalTable.load(path: try table(strategy: "particles"), prm: "checker").choice(budget: 8, difficulty: 0)?.strategy == .particles)
        #expect(throws: SearchConfigurationError.self) { try ComputeOptimalTable.load(path: try table(strategy: "adaptive"), prm: "checker") }
        let shipped = try ComputeOptimalTable.load(path: nil, prm: "checker")
        #expect(!shipped.budgets.isEmpty, "the shipped table loads")
        #expect(throws: SearchConfigurationError.noShippedAutoTable(prm: "likelihood", shipped: ["checker", "head"])) {
            try ComputeOptimalTable.load(path: nil, prm: "likelihood")
        }
        let checkerTable = try #require(ComputeOptimalTable.shippedPath(prm: "checker"))
        #expect(throws: SearchConfigurationError.autoTableScorer(path: checkerTable, learnedWith: "checker", given: "head")) {
            try ComputeOptimalTable.load(path: checkerTable, prm: "head")
        }
        let headTable = try ComputeOptimalTable.load(path: nil, prm: "head")
        #expect(headTable.prm == "head" && !headTable.budgets.isEmpty, "a table learned with the head is shipped")
    }

    @Test func prmSpecsParseAndPrintBack() throws {
        for text in ["likelihood", "checker", "chain", "verifier", "head", "head:/tmp/h.safetensors", "self", "token:default",
                     "token:m.gguf,format=math-shepherd,reencode", "token:m.gguf,good= +,probe=\\nOK?"] {
            #expect(try PRMSpec(parsing: text).description == text, "\(text) round-trips")
        }
        #expect(try PRMSpec(parsing: "token:m.gguf,format=shepherd") == .token(path: "m.gguf", settings: try TokenPRMSettings(parsing: ["format=math-shepherd"])))
        for bad in ["", "head:", "token:", "token:m.gguf,colour=red", "token:m.gguf,format=xml", "token:m.gguf,good", "oracle"] {
            #expect(throws: SearchConfigurationError.self, "\(bad) is refused") { try PRMSpec(parsing: bad) }
        }
        #expect(PRMSpec.chain.isOracle && PRMSpec.verifier.isOracle && !PRMSpec.checker.isOracle && !PRMSpec.head(path: nil).isOracle)
    }

    @Test func productsOfScorersParseAndMultiplyStepScores() throws {
        let spec = try PRMSpec(parsing: "head*checker")
        #expect(spec == .product([.head(path: nil), .checker]) && spec.description == "head*checker")
        #expect(spec.headPath == .some(nil) && spec.uses(.checker) && !spec.uses(.provenance) && !spec.isOracle)
        #expect(try PRMSpec(parsing: "checker*head:/tmp/h.safetensors").headPath == .some("/tmp/h.safetensors"))
        #expect(try PRMSpec(parsing: "provenance*verifier").isOracle, "a product with an oracle is an oracle")
        #expect(PRMSpec.checker.headPath == nil)
        for bad in ["head*", "*checker", "head**checker", "head*self", "head*token:default", "head*head:/tmp/h.safetensors", "head*oracle"] {
            #expect(throws: SearchConfigurationError.self, "\(bad) is refused") { try PRMSpec(parsing: bad) }
        }
        // Steps the model wrote: the checker zeroes the wrong line, likelihood scales every line.
        let steps = ["3 + 4 = 7\n", "7 - 2 = 4\n", "Answer: 4"].map { SolutionStep(tokens: [1, 2], text: $0, meanLogProbability: -0.5) }
        let product = ProductScorer([LikelihoodScorer(), CheckerScorer()])
        #expect(product.name == "likelihood*checker")
        let p = exp(-0.5)
        #expect(product.scores(steps, text: "", finished: true) == [p, 0, p])
        #expect(product.featureTracker() == nil && ProductScorer([CheckerScorer(), HeadScorer(head: PRMHead(mean: [0], invStd: [1], weight: [1], bias: 0))]).featureTracker() != nil,
                "a product captures hidden states when a factor reads them")
    }

    @Test func configurationsAreValidatedWithTheFlagToChange() throws {
        var c = SearchConfiguration()
        try c.validate()
        c.strategy = .beam
        c.n = 6
        #expect(throws: SearchConfigurationError.outOfRange("--n", "must be a multiple of --beam-width (4) and at least as large")) { try c.validate() }
        c = SearchConfiguration()
        c.strategy = .auto
        #expect(throws: SearchConfigurationError.self, "auto needs a budget") { try c.validate() }
        c = SearchConfiguration()
        c.lookahead = 2
        #expect(throws: SearchConfigurationError.self, "look-ahead is for beam and dvts") { try c.validate() }
        c = SearchConfiguration()
        c.budget = 8
        #expect(throws: SearchConfigurationError.self, "a budget is for auto") { try c.validate() }
        c = SearchConfiguration()
        c.vote = .weighted
        #expect(throws: SearchConfigurationError.outOfRange("--vote", "applies to --strategy adaptive; other strategies choose with --select")) {
            try c.validate()
        }
        c.strategy = .adaptive
        try c.validate()
    }

    @Test func shardsPartitionAndMergeRefusesDuplicates() throws {
        let ids = (0..<10).map { "p\($0)" }
        let parts = try (0..<4).map { try Shard(parsing: "\($0)/4").select(ids) }
        #expect(parts.flatMap { $0 }.sorted() == ids.sorted() && parts.map(\.count) == [3, 3, 2, 2])
        for bad in ["4/4", "-1/4", "1", "a/b", "0/0"] { #expect(throws: EvaluationError.self) { try Shard(parsing: bad) } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-merge-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.jsonl").path, b = dir.appendingPathComponent("b.jsonl").path
        try ComputeOptimalTests.record(1, strategy: "best-of-n", scores: [1], right: ["weighted": ["1": true]]).write(toFile: a, atomically: true, encoding: .utf8)
        try ComputeOptimalTests.record(2, strategy: "best-of-n", scores: [0], right: ["weighted": ["1": false]]).write(toFile: b, atomically: true, encoding: .utf8)
        #expect(try EvaluationRecord.merge(files: [a, b]).map(\.id) == ["p1", "p2"])
        #expect(throws: EvaluationError.duplicate(id: "p1", files: [a, a])) { try EvaluationRecord.merge(files: [a, b, a]) }
    }
}
