import ArgumentParser
import Banyan
import Foundation

/// The search settings `banyan search` and `banyan eval` share.
struct SearchOptions: ParsableArguments {
    enum Strategy: String, ExpressibleByArgument, CaseIterable { case greedy, bestOfN = "best-of-n", beam, dvts }
    enum PRM: String, ExpressibleByArgument, CaseIterable { case likelihood, checker, chain, verifier }

    @Option(help: "greedy, best-of-n, beam or dvts.") var strategy: Strategy = .bestOfN
    @Option(help: "Budget: samples (best-of-n), beams (beam), subtrees × width (dvts).") var n = 8
    @Option(name: .customLong("beam-width"), help: "Candidates per expansion M (beam: keep n/M beams, fork each M ways; dvts: n/M subtrees).")
    var beamWidth = 4
    @Option(name: .customLong("max-depth"), help: "Steps before every remaining branch runs to its end (beam, dvts).") var maxDepth = 40
    @Option(help: "Step scorer: likelihood (mean token log-probability), checker (each x op y = z line adds up), chain (for \"What is a op b op …?\": each line is the chain's next operation and the answer its value; exact labels), verifier (the known answer).")
    var prm: PRM = .checker
    @Option(help: "Step scores to a solution score: last, min, prod or mean.") var aggregate: Aggregation = .min
    @Option(help: "Choice among solutions: vanilla, weighted or majority.") var select: Selection = .weighted
    @Option(help: "Sampling temperature.") var temperature: Float = 0.8
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold.") var topP: Float = 1.0
    @Option(help: "Seed; each new branch takes the next one.") var seed: UInt64 = 0
    @Option(name: .customLong("max-tokens"), help: "Most tokens per solution.") var maxTokens = 96
    @Option(help: "Step delimiter in the decoded text (\\n escapes allowed). The default math prompt writes one calculation per line.")
    var delimiter = "\\n"
    @Flag(name: .customLong("no-fork"), help: "Prefill the prompt (and everything generated) for every new branch instead of forking, as the reference does.")
    var noFork = false

    func validate() throws {
        guard (1...4096).contains(n) else { throw ValidationError("--n must be between 1 and 4096") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be ≥ 1") }
        guard temperature >= 0, topP > 0, topP <= 1 else { throw ValidationError("--temperature must be ≥ 0 and --top-p in (0, 1]") }
        guard !delimiter.isEmpty else { throw ValidationError("--delimiter cannot be empty") }
        if strategy == .beam || strategy == .dvts {
            guard beamWidth >= 1, n >= beamWidth, n % beamWidth == 0 else {
                throw ValidationError("--n must be a multiple of --beam-width (\(beamWidth)) and at least as large")
            }
            guard maxDepth >= 1 else { throw ValidationError("--max-depth must be ≥ 1") }
        }
    }

    /// The rule whose pick is the answer (greedy has one solution: its own).
    var rule: Selection { strategy == .greedy ? .vanilla : select }

    /// Runs the configured search on one question. `expected` feeds the verifier scorer.
    func run(question: String, expected: String?, model: LlamaModel, tokenizer: LoadedTokenizer) throws -> SearchResult {
        guard let template = tokenizer.chatTemplate else {
            throw CLIError.invalid("this model has no chat template Banyan knows (ChatML or Llama 3)")
        }
        let tok = tokenizer.tokenizer
        let prompt = tok.encode(MathPrompt().render(question: question, template: template))
        let scorer: any StepScorer
        switch prm {
        case .likelihood: scorer = LikelihoodScorer()
        case .checker: scorer = CheckerScorer()
        case .chain: scorer = ChainCheckerScorer(question: question)
        case .verifier:
            guard let expected else { throw ValidationError("--prm verifier needs the expected answer") }
            scorer = VerifierScorer(expected: expected)
        }
        let steps = delimiter.replacingOccurrences(of: "\\n", with: "\n")
        let sampling = SamplingParameters(temperature: temperature, topK: 0, topP: topP, minP: 0, seed: seed)
        // Live sequences at once: up to 2N while expanding, each with its own prompt without forking.
        let live = strategy == .greedy ? 1 : 2 * n
        let policy = try ModelPolicy(model: model, tokenizer: tok,
                                     capacityTokens: (noFork ? live : 1) * prompt.count + live * (maxTokens + 32) + 64)
        let settings = { StepSearchSettings(n: n, width: beamWidth, sampling: sampling, maxTokens: maxTokens, delimiter: steps,
                                            scorer: scorer, aggregation: aggregate, maxDepth: maxDepth, fork: !noFork) }
        switch strategy {
        case .greedy: return try BestOfN.greedy(maxTokens: maxTokens, delimiter: steps, scorer: scorer).run(policy: policy, prompt: prompt)
        case .bestOfN:
            return try BestOfN(n: n, sampling: sampling, maxTokens: maxTokens, delimiter: steps, scorer: scorer, aggregation: aggregate,
                               fork: !noFork).run(policy: policy, prompt: prompt)
        case .beam: return try BeamSearch(settings()).run(policy: policy, prompt: prompt)
        case .dvts: return try DVTS(settings()).run(policy: policy, prompt: prompt)
        }
    }
}

extension Aggregation: ExpressibleByArgument {}
extension Selection: ExpressibleByArgument {}
