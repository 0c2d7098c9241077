import ArgumentParser
import Banyan
import Foundation

/// The search settings `banyan search` and `banyan eval` share.
struct SearchOptions: ParsableArguments {

    enum Strategy: String, ExpressibleByArgument, CaseIterable { case greedy, bestOfN = "best-of-n", beam, dvts, auto }
    /// A step scorer named on the command line: likelihood, checker, chain, verifier, head, head:PATH, self
    /// or token:PATH[,key=value…].
    struct PRM: ExpressibleByArgument, Equatable {
        enum Kind: String { case likelihood, checker, chain, verifier, head, selfVerification = "self", token }
        var kind: Kind
        var path: String?
        /// token:PATH's settings (format, reencode, good, bad, probe, between, header, after).
        var settings: [String: String] = [:]
        let argument: String
        init?(argument: String) {
            self.argument = argument
            if argument.hasPrefix("head:") {
                kind = .head
                path = String(argument.dropFirst(5))
                if path!.isEmpty { return nil }
                return
            }
            if argument.hasPrefix("token:") {
                kind = .token
                let parts = argument.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard let first = parts.first, !first.isEmpty else { return nil }
                path = first
                for part in parts.dropFirst() {
                    let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                    settings[kv[0]] = kv.count == 2 ? kv[1].replacingOccurrences(of: "\\n", with: "\n") : "true"
                }
                return
            }
            guard let k = Kind(rawValue: argument) else { return nil }
            kind = k
        }
        init(_ kind: Kind) { self.kind = kind; argument = kind.rawValue }
        var rawValue: String { argument }
        static var allValueStrings: [String] {
            ["likelihood", "checker", "chain", "verifier", "head", "head:PATH", "self", "token:PATH[,format=rlhflow|math-shepherd|generic,…]"]
        }
    }

    @Option(help: "greedy, best-of-n, beam, dvts or auto (per problem: a few Best-of-N samples estimate its difficulty, then --auto-table picks strategy, N and selection rule for --budget).")
    var strategy: Strategy = .bestOfN
    @Option(help: "Budget for --strategy auto: the most samples / beams its choice may use.") var budget: Int?
    @Option(name: .customLong("auto-table"), help: "Table for --strategy auto, from banyan auto-table (default: the shipped one, learned with --prm checker).")
    var autoTable: String?
    @Option(help: "Budget: samples (best-of-n), beams (beam), subtrees × width (dvts).") var n = 8
    @Option(name: .customLong("beam-width"), help: "Candidates per expansion M (beam: keep n/M beams, fork each M ways; dvts: n/M subtrees).")
    var beamWidth = 4
    @Option(name: .customLong("max-depth"), help: "Steps before every remaining branch runs to its end (beam, dvts).") var maxDepth = 40
    @Option(help: "Step scorer: likelihood (mean token log-probability), checker (each x op y = z line adds up), chain (for \"What is a op b op …?\": each line is the chain's next operation and the answer its value; exact labels), verifier (the known answer), head (the learned PRM head shipped for the default model, reading the policy's hidden states), head:PATH (a head from banyan train-prm), self (the policy asked on a fork whether each step is correct, scored by P(Yes)), token:PATH (a second Llama GGUF as a PRM with its own forked KV, PATH `default` for the default model; settings after commas: format=rlhflow (default; its chat template), math-shepherd or generic with good=, bad=, probe=, between=, header=, after= texts; reencode to recompute every step's whole conversation, the reference's cost).")
    var prm = PRM(.checker)
    @Option(help: "Step scores to a solution score: last, min, prod or mean.") var aggregate: Aggregation = .min
    @Option(help: "Choice among solutions: vanilla, weighted or majority.") var select: Selection = .weighted
    @Option(help: "Sampling temperature (0.7: as the prior calibration of this model).") var temperature: Float = 0.7
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold.") var topP: Float = 1.0
    @Option(name: .customLong("top-k"), help: "Sample among the K most likely tokens (0: all).") var topK = 0
    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than this fraction of the top one.") var minP: Float = 0
    @Option(help: "System text of the math prompt (default: the built-in one).") var system: String?
    @Option(help: "Worked examples for the prompt: JSON Lines of {\"question\", \"solution\"} (default: two built-in ones).")
    var examples: String?
    @Option(help: "Seed; each new branch takes the next one.") var seed: UInt64 = 0
    @Option(name: .customLong("max-tokens"), help: "Most tokens per solution.") var maxTokens = 96
    @Option(help: "Step delimiter in the decoded text (\\n escapes allowed). The default math prompt writes one calculation per line.")
    var delimiter = "\\n"
    @Option(help: "Greedy steps rolled out on a fork of each candidate step before scoring it (beam, dvts); the candidate gets the continuation's score.")
    var lookahead = 0
    @Flag(name: .customLong("no-fork"), help: "Prefill the prompt (and everything generated) for every new branch instead of forking, as the reference does.")
    var noFork = false

    func validate() throws {
        guard (1...4096).contains(n) else { throw ValidationError("--n must be between 1 and 4096") }
        if strategy == .auto {
            guard let budget, (1...4096).contains(budget) else { throw ValidationError("--strategy auto needs --budget N (1…4096)") }
        } else if budget != nil || autoTable != nil {
            throw ValidationError("--budget and --auto-table apply to --strategy auto; other strategies take --n")
        }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be ≥ 1") }
        guard temperature >= 0, topP > 0, topP <= 1 else { throw ValidationError("--temperature must be ≥ 0 and --top-p in (0, 1]") }
        guard topK >= 0, (0...1).contains(minP) else { throw ValidationError("--top-k must be ≥ 0 and --min-p in [0, 1]") }
        guard !delimiter.isEmpty else { throw ValidationError("--delimiter cannot be empty") }
        if strategy == .beam || strategy == .dvts {
            guard beamWidth >= 1, n >= beamWidth, n % beamWidth == 0 else {
                throw ValidationError("--n must be a multiple of --beam-width (\(beamWidth)) and at least as large")
            }
            guard maxDepth >= 1 else { throw ValidationError("--max-depth must be ≥ 1") }
            guard (0...16).contains(lookahead) else { throw ValidationError("--lookahead must be between 0 and 16") }
        } else if lookahead > 0 {
            throw ValidationError("--lookahead applies to --strategy beam and dvts")
        }
    }

    /// The most branches per problem a search may hold: N, or auto's budget.
    var width: Int { max(n, budget ?? 0) }

    /// The rule whose pick is the answer (greedy has one solution: its own).
    var rule: Selection { strategy == .greedy ? .vanilla : select }

    func mathPrompt() throws -> MathPrompt {
        var prompt = MathPrompt()
        if let system { prompt.system = system }
        if let examples {
            guard let text = try? String(contentsOfFile: examples, encoding: .utf8) else { throw CLIError.unreadable(examples) }
            prompt.examples = try MathPrompt.examples(jsonLines: text, source: examples)
        }
        return prompt
    }

    /// Runs the configured search on one question. `expected` feeds the verifier scorer.
    func run(question: String, expected: String?, model: LlamaModel, tokenizer: LoadedTokenizer, tokenPRM: TokenPRM? = nil) throws
        -> SearchResult {
        try run([(question, expected)], model: model, tokenizer: tokenizer, tokenPRM: tokenPRM)[0]
    }

    /// The token PRM --prm token:… names (nil for other scorers): its model loaded beside the policy, with
    /// its own KV cache, kept for the whole command so eval batches reuse it.
    func makeTokenPRM(threads: Int?) throws -> TokenPRM? {
        guard prm.kind == .token, let path = prm.path else { return nil }
        let known: Set = ["format", "reencode", "good", "bad", "probe", "between", "header", "after"]
        if let unknown = prm.settings.keys.first(where: { !known.contains($0) }) {
            throw ValidationError("--prm token: unknown setting \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
        let file = try DefaultModel.resolve(explicit: path == "default" ? nil : path).path
        Terminal.status("loading the PRM model \(file)…")
        let model = try LlamaModel(path: file, threads: threads)
        let loaded = try LoadedTokenizer(path: file)
        var format: TokenPRMFormat
        switch prm.settings["format", default: "rlhflow"] {
        case "rlhflow":
            guard let template = loaded.chatTemplate else { throw CLIError.invalid("the PRM model has no chat template; use format=math-shepherd or generic") }
            format = try TokenPRMFormat.rlhflow(template: template)
        case "math-shepherd", "shepherd": format = .mathShepherd
        case "generic": format = TokenPRMFormat(name: "generic", afterQuestion: "\n", probe: "\nCorrect?", between: "\n", good: " Yes", bad: " No")
        case let other: throw TokenPRMError.unknownFormat(other)
        }
        let s = prm.settings
        if let v = s["good"] { format.good = v }
        if let v = s["bad"] { format.bad = v }
        if let v = s["probe"] { format.probe = v }
        if let v = s["between"] { format.between = v }
        if let v = s["header"] { format.header = v }
        if let v = s["after"] { format.afterQuestion = v }
        // Sequences held at once: every live branch of a batch and its parent, with room to spare.
        let maxLive = 4 * width * 8
        let policy = try ModelPolicy(model: model, tokenizer: loaded.tokenizer, capacityTokens: maxLive * 96 + 16_384)
        return try TokenPRM(policy: policy, tokenizer: loaded.tokenizer, format: format, reencode: s["reencode"] != nil, maxLive: maxLive)
    }

    /// Runs the configured search on several questions at once, all in one batch over one KV cache.
    func run(_ questions: [(question: String, expected: String?)], model: LlamaModel, tokenizer: LoadedTokenizer,
             tokenPRM: TokenPRM? = nil) throws -> [SearchResult] {
        guard let template = tokenizer.chatTemplate else {
            throw CLIError.invalid("this model has no chat template Banyan knows (ChatML or Llama 3)")
        }
        let tok = tokenizer.tokenizer
        let head = prm.kind == .head ? try PRMHeads.load(prm.path, model: model) : nil
        let verifier = prm.kind == .selfVerification ? SelfVerifierPrompt.scorer(tokenizer: tok, template: template) : nil
        let format = try mathPrompt()
        let problems: [SearchProblem] = try questions.map { q in
            SearchProblem(prompt: tok.encode(format.render(question: q.question, template: template)),
                          scorer: try verifier ?? stepScorer(question: q.question, expected: q.expected, head: head, tokenPRM: tokenPRM))
        }
        let steps = delimiter.replacingOccurrences(of: "\\n", with: "\n")
        let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed)
        // Live sequences at once per problem: up to 2N while expanding (3N with look-ahead), each with its
        // own prompt without forking.
        let live = strategy == .greedy ? 1 : (lookahead > 0 ? 3 : 2) * width
        let longest = problems.map(\.prompt.count).max() ?? 0
        let perProblem = (noFork ? live : 1) * longest + live * (maxTokens + 32) + 64
        let policy = try ModelPolicy(model: model, tokenizer: tok, capacityTokens: problems.count * perProblem)
        let scorer = problems[0].scorer  // the default; each problem brings its own
        let settings = { StepSearchSettings(n: n, width: beamWidth, sampling: sampling, maxTokens: maxTokens, delimiter: steps,
                                            scorer: scorer, aggregation: aggregate, maxDepth: maxDepth, fork: !noFork,
                                            lookahead: lookahead) }
        switch strategy {
        case .greedy:
            return try BestOfN.greedy(maxTokens: maxTokens, delimiter: steps, scorer: scorer).run(policy: policy, problems: problems)
        case .bestOfN:
            return try BestOfN(n: n, sampling: sampling, maxTokens: maxTokens, delimiter: steps, scorer: scorer, aggregation: aggregate,
                               fork: !noFork).run(policy: policy, problems: problems)
        case .beam: return try BeamSearch(settings()).run(policy: policy, problems: problems)
        case .dvts: return try DVTS(settings()).run(policy: policy, problems: problems)
        case .auto:
            return try runAuto(problems: problems, policy: policy, sampling: sampling, delimiter: steps)
        }
    }

    /// The compute-optimal table --strategy auto uses, checked against the scorer in use.
    func loadAutoTable() throws -> ComputeOptimalTable {
        guard let path = autoTable ?? Bundle.module.path(forResource: "auto-table", ofType: "json", inDirectory: "Resources") else {
            throw CLIError.invalid("no auto table is installed; make one with banyan auto-table and give --auto-table FILE")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.unreadable(path) }
        let table: ComputeOptimalTable
        do { table = try JSONDecoder().decode(ComputeOptimalTable.self, from: data) } catch {
            throw CLIError.invalid("\(path) is not an auto table (banyan auto-table writes one): \(error)")
        }
        guard table.prm == prm.rawValue else {
            throw CLIError.invalid("the auto table \(path) was learned with --prm \(table.prm), not \(prm.rawValue); give that --prm or another --auto-table")
        }
        return table
    }

    /// --strategy auto: a Best-of-N probe per problem, then each problem's choice from the table, problems
    /// with the same choice searched together. A Best-of-N choice reuses the probe (its first samples are the
    /// probe's, seeds being the same); any other choice pays for the probe too, in its accounting.
    func runAuto(problems: [SearchProblem], policy: ModelPolicy, sampling: SamplingParameters, delimiter: String) throws -> [SearchResult] {
        let table = try loadAutoTable()
        let budget = budget ?? n
        let scorer = problems[0].scorer
        let probe = try BestOfN(n: min(table.probe, budget), sampling: sampling, maxTokens: maxTokens, delimiter: delimiter, scorer: scorer,
                                aggregation: aggregate, fork: !noFork).run(policy: policy, problems: problems)
        let choices = probe.map { table.choice(budget: budget, difficulty: ComputeOptimalTable.difficulty($0.solutions.map(\.score))) }
        var results = probe
        var groups: [String: [Int]] = [:]
        for (i, c) in choices.enumerated() { if let c { groups["\(c.strategy) \(c.n)", default: []].append(i) } }
        for (_, members) in groups.sorted(by: { $0.key < $1.key }) {
            let c = choices[members[0]]!
            let subset = members.map { problems[$0] }
            let settings = StepSearchSettings(n: c.n, width: min(beamWidth, c.n), sampling: sampling, maxTokens: maxTokens, delimiter: delimiter,
                                              scorer: scorer, aggregation: aggregate, maxDepth: maxDepth, fork: !noFork, lookahead: 0)
            // A Best-of-N choice within the probe reads the probe's own picks; anything else runs, and the
            // probe's compute is added to it (it ran, whatever was chosen).
            let reuse = c.strategy == "best-of-n" && c.n <= probe[members[0]].solutions.count
            let run: [SearchResult]
            switch c.strategy {
            case _ where reuse: run = members.map { probe[$0] }
            case "beam": run = try BeamSearch(settings).run(policy: policy, problems: subset)
            case "dvts": run = try DVTS(settings).run(policy: policy, problems: subset)
            default:
                run = try BestOfN(n: c.n, sampling: sampling, maxTokens: maxTokens, delimiter: delimiter, scorer: scorer, aggregation: aggregate,
                                  fork: !noFork).run(policy: policy, problems: subset)
            }
            for (k, i) in members.enumerated() {
                var r = run[k]
                if !reuse { r.accounting.add(probe[i].accounting) }
                // The answer of the problem's own rule (a group shares strategy and N, not the rule) at the
                // chosen n stands for every rule at the whole budget.
                let own = choices[i]!
                let pick = r.picks[own.select]?[reuse ? c.n : r.budget]
                r.picks = Dictionary(uniqueKeysWithValues: Selection.allCases.map { ($0.rawValue, pick.map { [budget: $0] } ?? [:]) })
                r.strategy = "auto:\(c.strategy)\(c.strategy == "best-of-n" ? "-" + own.select : "")@\(c.n)"
                results[i] = r
            }
        }
        return results
    }

    func stepScorer(question: String, expected: String?, head: PRMHead?, tokenPRM: TokenPRM?) throws -> any StepScorer {
        switch prm.kind {
        case .likelihood: return LikelihoodScorer()
        case .checker: return CheckerScorer()
        case .chain: return ChainCheckerScorer(question: question)
        case .verifier:
            guard let expected else { throw ValidationError("--prm verifier needs the expected answer") }
            return VerifierScorer(expected: expected)
        case .head:
            guard let head else { throw CLIError.invalid("the PRM head was not loaded") }
            return HeadScorer(head: head)
        case .selfVerification: throw CLIError.invalid("--prm self needs the model's tokenizer")
        case .token:
            guard let tokenPRM else { throw CLIError.invalid("the token PRM was not loaded") }
            return TokenPRMScorer(question: question, prm: tokenPRM)
        }
    }
}

/// The question self-verification asks after each step, in the model's chat template.
enum SelfVerifierPrompt {
    static let question = "Is the last line of your answer correct? Answer Yes or No."

    static func scorer(tokenizer tok: Tokenizer, template: ChatTemplate) -> SelfVerificationScorer {
        // The text between a partial assistant turn and the start of the model's reply.
        let marker = "\u{1F333}PARTIAL"
        let rendered = template.render([ChatMessage(role: "user", content: "q"), ChatMessage(role: "assistant", content: marker),
                                        ChatMessage(role: "user", content: question)], addGenerationPrompt: true)
        let suffix = rendered.components(separatedBy: marker).last ?? ""
        func first(_ words: [String]) -> Set<Int32> {
            Set(words.compactMap { tok.encode($0, parseSpecial: false, addSpecial: false).first })
        }
        return SelfVerificationScorer(question: tok.encode(suffix, parseSpecial: true, addSpecial: false),
                                      yes: first(["Yes", " Yes", "yes"]), no: first(["No", " No", "no"]))
    }
}

extension Aggregation: ExpressibleByArgument {}
extension Selection: ExpressibleByArgument {}
