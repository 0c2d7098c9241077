import BanyanGeneration
import BanyanKV
import BanyanModel
import BanyanTokenizer
import Foundation

/// A question to search, with its right answer when known (the `verifier` scorer needs it).
public struct SearchQuestion: Sendable, Equatable {
    public var question: String
    public var expected: String?
    public init(_ question: String, expected: String? = nil) {
        self.question = question
        self.expected = expected
    }
}

/// Runs a `SearchConfiguration` over batches of questions on one engine: the one entry point behind
/// `banyan search`, `banyan eval` and the front door. It loads what the scorer needs once
/// (a PRM head, a token PRM model with its own engine, the auto table) and reuses it for every batch.
public final class Searcher {
    public let configuration: SearchConfiguration
    public let policy: ModelPolicy
    public let template: ChatTemplate
    let head: PRMHead?
    /// The token PRM (`--prm token:…`) with its own engine, if the configuration names one.
    public let tokenPRM: TokenPRM?
    let autoTable: ComputeOptimalTable?
    let operationCues: OperationCues?

    /// `threads` sizes the token PRM's thread pool (nil: all cores, shared).
    public init(engine: Engine, tokenizer: LoadedTokenizer, configuration: SearchConfiguration, threads: Int? = nil,
                status: (String) -> Void = { _ in }) throws {
        try configuration.validate()
        guard let template = tokenizer.chatTemplate else { throw SearchConfigurationError.noChatTemplate }
        self.configuration = configuration
        self.template = template
        policy = ModelPolicy(engine: engine, tokenizer: tokenizer.tokenizer)
        if let path = configuration.prm.headPath { head = try PRMHeads.load(path, model: engine.model) } else { head = nil }
        if let head { try engine.setFeatureLayers(head.featureLayers) }
        if case .token(let path, let settings) = configuration.prm {
            tokenPRM = try Searcher.loadTokenPRM(path: path, settings: settings, width: configuration.width, threads: threads, status: status)
        } else {
            tokenPRM = nil
        }
        operationCues = configuration.prm.uses(.operations) ? try OperationCues.shipped() : nil
        autoTable = configuration.strategy == .auto ? try ComputeOptimalTable.load(path: configuration.autoTable, prm: configuration.prm.description) : nil
    }

    /// Searches every question, all in one batch over the engine's cache; results in the questions' order.
    public func run(_ questions: [SearchQuestion]) throws -> [SearchResult] {
        guard !questions.isEmpty else { return [] }
        let c = configuration
        let tok = policy.tokenizer
        let verifier: SelfVerificationScorer? = c.prm == .selfVerification ? selfVerifier() : nil
        let problems: [SearchProblem] = try questions.map { q in
            SearchProblem(prompt: tok.encode(c.prompt.render(question: q.question, template: template)),
                          scorer: try verifier ?? stepScorer(for: q))
        }
        let scorer = problems[0].scorer  // the default; each problem brings its own
        switch c.strategy {
        case .greedy:
            return try BestOfN.greedy(maxTokens: c.maxTokens, delimiter: c.delimiter, scorer: scorer).run(policy: policy, problems: problems)
        case .bestOfN: return try c.bestOfN(n: c.n, scorer: scorer).run(policy: policy, problems: problems)
        case .beam:
            return try BeamSearch(c.stepSearch(n: c.n, width: c.beamWidth, lookahead: c.lookahead, scorer: scorer)).run(policy: policy, problems: problems)
        case .dvts:
            return try DVTS(c.stepSearch(n: c.n, width: c.beamWidth, lookahead: c.lookahead, scorer: scorer)).run(policy: policy, problems: problems)
        case .particles: return try c.particleFilter(scorer: scorer).run(policy: policy, problems: problems)
        case .adaptive: return try c.adaptive(scorer: scorer).run(policy: policy, problems: problems)
        case .auto: return try runAuto(problems)
        }
    }

    /// Searches one question.
    public func run(_ question: SearchQuestion) throws -> SearchResult { try run([question])[0] }

    /// `auto`: a Best-of-N probe per problem, then each problem's choice from the table, problems with the
    /// same choice searched together. The probe's samples vote: a Best-of-N choice of n samples keeps the
    /// probe's and draws only the samples after them (the same seeds as one Best-of-N run of n, so the same
    /// answer, for one extra prefill); beam search, DVTS and particles pay for the probe beside their own run.
    private func runAuto(_ problems: [SearchProblem]) throws -> [SearchResult] {
        let c = configuration, table = autoTable!
        let budget = c.budget ?? c.n
        let scorer = problems[0].scorer
        let probe = try c.bestOfN(n: min(table.probe, budget), scorer: scorer).run(policy: policy, problems: problems)
        let choices = probe.map { table.choice(budget: budget, difficulty: ComputeOptimalTable.difficulty($0.solutions.map(\.score))) }
        var results = probe
        struct Group: Hashable { let strategy: SearchStrategy; let n: Int }
        var groups: [Group: [Int]] = [:]
        for (i, choice) in choices.enumerated() {
            if let choice { groups[Group(strategy: choice.strategy, n: choice.n), default: []].append(i) }
        }
        for (group, members) in groups.sorted(by: { ($0.key.strategy.rawValue, $0.key.n) < ($1.key.strategy.rawValue, $1.key.n) }) {
            let subset = members.map { problems[$0] }
            let settings = c.stepSearch(n: group.n, width: min(c.beamWidth, group.n), lookahead: 0, scorer: scorer)
            let drawn = probe[members[0]].solutions.count
            var run: [SearchResult]
            switch group.strategy {
            case .bestOfN where group.n <= drawn:
                // Within the probe: its first n samples, as drawn.
                run = members.map { i in
                    var r = probe[i]
                    r.solutions = Array(r.solutions.prefix(group.n))
                    r.picks = SearchResult.picks(r.solutions, budgets: SearchResult.powersOfTwo(upTo: group.n))
                    return r
                }
            case .bestOfN:
                var more = c.bestOfN(n: group.n - drawn, scorer: scorer)
                more.firstSample = drawn
                run = try more.run(policy: policy, problems: subset)
                for (k, i) in members.enumerated() {
                    run[k].solutions = probe[i].solutions + run[k].solutions
                    run[k].picks = SearchResult.picks(run[k].solutions, budgets: SearchResult.powersOfTwo(upTo: group.n))
                }
            case .beam: run = try BeamSearch(settings).run(policy: policy, problems: subset)
            case .dvts: run = try DVTS(settings).run(policy: policy, problems: subset)
            case .particles: run = try c.particleFilter(n: group.n, scorer: scorer).run(policy: policy, problems: subset)
            case .greedy, .auto, .adaptive: preconditionFailure("ComputeOptimalTable.load refuses \(group.strategy) as a choice")
            }
            for (k, i) in members.enumerated() {
                var r = run[k]
                let withinProbe = group.strategy == .bestOfN && group.n <= drawn
                if !withinProbe { r.accounting.add(probe[i].accounting) }
                // The answer of the problem's own rule (a group shares strategy and N, not the rule) at the
                // chosen n stands for every rule at the whole budget.
                let own = choices[i]!
                let pick = r.picks[own.select]?[group.strategy == .bestOfN ? group.n : r.budget]
                r.picks = Dictionary(uniqueKeysWithValues: Selection.allCases.map { ($0, pick.map { [budget: $0] } ?? [:]) })
                r.autoChoice = AutoChoice(strategy: group.strategy, n: group.n, select: own.select)
                results[i] = r
            }
        }
        return results
    }

    /// The step scorer the configuration names, for one question.
    func stepScorer(for q: SearchQuestion) throws -> any StepScorer { try stepScorer(configuration.prm, for: q) }

    private func stepScorer(_ spec: PRMSpec, for q: SearchQuestion) throws -> any StepScorer {
        switch spec {
        case .likelihood: return LikelihoodScorer()
        case .checker: return CheckerScorer()
        case .provenance: return ProvenanceScorer(question: q.question)
        case .operations: return OperationScorer(question: q.question, cues: operationCues!)
        case .chain: return ChainCheckerScorer(question: q.question)
        case .verifier:
            guard let expected = q.expected else { throw SearchConfigurationError.needsExpectedAnswer }
            return VerifierScorer(expected: expected)
        case .head: return HeadScorer(head: head!)
        case .selfVerification: return selfVerifier()
        case .token: return TokenPRMScorer(question: q.question, prm: tokenPRM!)
        case .product(let factors): return ProductScorer(try factors.map { try stepScorer($0, for: q) })
        }
    }

    /// Self-verification: the policy asked, on a fork after each step, whether the step is correct.
    func selfVerifier() -> SelfVerificationScorer {
        let tok = policy.tokenizer
        // The text between a partial assistant turn and the start of the model's reply.
        let marker = "\u{1F333}PARTIAL"
        let rendered = template.render([ChatMessage(role: "user", content: "q"), ChatMessage(role: "assistant", content: marker),
                                        ChatMessage(role: "user", content: SelfVerificationScorer.questionText)], addGenerationPrompt: true)
        let suffix = rendered.components(separatedBy: marker).last ?? ""
        func first(_ words: [String]) -> Set<Int32> {
            Set(words.compactMap { tok.encode($0, parseSpecial: false, addSpecial: false).first })
        }
        return SelfVerificationScorer(question: tok.encode(suffix, parseSpecial: true, addSpecial: false),
                                      yes: first(["Yes", " Yes", "yes"]), no: first(["No", " No", "no"]))
    }

    /// A second model as a token PRM, with its own engine, kept for the searcher's life.
    static func loadTokenPRM(path: String, settings: TokenPRMSettings, width: Int, threads: Int?, status: (String) -> Void) throws -> TokenPRM {
        let file = try DefaultModel.resolve(explicit: path == "default" ? nil : path).path
        status("loading the PRM model \(file)…")
        let model = try LlamaModel(path: file, threads: threads)
        let loaded = try LoadedTokenizer(path: file)
        var format: TokenPRMFormat
        switch settings.format {
        case .rlhflow:
            guard let template = loaded.chatTemplate else {
                throw SearchConfigurationError.badPRM("token:\(path)", "the PRM model has no chat template; use format=math-shepherd or generic")
            }
            format = try TokenPRMFormat.rlhflow(template: template)
        case .mathShepherd: format = .mathShepherd
        case .generic: format = TokenPRMFormat(name: "generic", afterQuestion: "\n", probe: "\nCorrect?", between: "\n", good: " Yes", bad: " No")
        }
        let o = settings.overrides
        if let v = o["good"] { format.good = v }
        if let v = o["bad"] { format.bad = v }
        if let v = o["probe"] { format.probe = v }
        if let v = o["between"] { format.between = v }
        if let v = o["header"] { format.header = v }
        if let v = o["after"] { format.afterQuestion = v }
        // Sequences held at once: every live branch of a batch and its parent, with room to spare.
        let policy = ModelPolicy(engine: try Engine(model: model), tokenizer: loaded.tokenizer)
        return try TokenPRM(policy: policy, tokenizer: loaded.tokenizer, format: format, reencode: settings.reencode, maxLive: 4 * width * 8)
    }
}
