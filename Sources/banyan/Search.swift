import ArgumentParser
import Banyan
import Foundation

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a math question with test-time search over forked sequences.",
        discussion: """
        The question goes into a few-shot chat prompt (one `x op y = z` calculation per line, then \
        `Answer: N`). greedy: one temperature-0 solution, the baseline every method is compared with. \
        best-of-n: N solutions sampled from forks of the prompt's KV cache, scored step by step by the PRM \
        (--prm), aggregated per solution (--aggregate), and one answer chosen (--select); the answers of \
        every rule at every power-of-two sub-budget are printed too. beam: N first steps, then each round \
        the N/M best unfinished beams are forked M ways; completed beams leave the pool and the best N are \
        ranked at the end. dvts: N/M independent subtrees, each keeping the best of M candidate steps. Steps \
        end at --delimiter in the decoded text, found in token space. --no-fork prefills the prompt (and, for \
        beam and dvts, everything generated so far) for every new branch, as the reference does.
        """
    )

    enum Strategy: String, ExpressibleByArgument, CaseIterable { case greedy, bestOfN = "best-of-n", beam, dvts }
    enum PRM: String, ExpressibleByArgument, CaseIterable { case likelihood, checker, verifier }

    @OptionGroup var model: ModelOptions
    @Option(help: "The question.") var question: String
    @Option(help: "greedy, best-of-n, beam or dvts.") var strategy: Strategy = .bestOfN
    @Option(help: "Budget: samples (best-of-n), beams (beam), subtrees × width (dvts).") var n = 8
    @Option(name: .customLong("beam-width"), help: "Candidates per expansion M (beam: keep n/M beams, fork each M ways; dvts: n/M subtrees).")
    var beamWidth = 4
    @Option(name: .customLong("max-depth"), help: "Steps before every remaining branch runs to its end (beam, dvts).") var maxDepth = 40
    @Option(help: "Step scorer: likelihood (mean token log-probability), checker (arithmetic lines; for \"What is a op b op …?\" also that each line is the chain's next operation), verifier (needs --expected).")
    var prm: PRM = .checker
    @Option(help: "Answer the verifier checks against.") var expected: String?
    @Option(help: "Step scores to a solution score: last, min, prod or mean.") var aggregate: Aggregation = .min
    @Option(help: "Choice among solutions: vanilla, weighted or majority.") var select: Selection = .weighted
    @Option(help: "Sampling temperature (best-of-n).") var temperature: Float = 0.8
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold.") var topP: Float = 1.0
    @Option(help: "Seed; sample i uses seed + i.") var seed: UInt64 = 0
    @Option(name: .customLong("max-tokens"), help: "Most tokens per solution.") var maxTokens = 96
    @Option(help: "Step delimiter in the decoded text (escapes \\n allowed).") var delimiter = "\\n\\n"
    @Flag(name: .customLong("no-fork"), help: "Prefill the prompt for every sample instead of forking it.") var noFork = false
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard (1...4096).contains(n) else { throw ValidationError("--n must be between 1 and 4096") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be ≥ 1") }
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--question is empty") }
        guard temperature >= 0, topP > 0, topP <= 1 else { throw ValidationError("--temperature must be ≥ 0 and --top-p in (0, 1]") }
        if prm == .verifier && expected == nil { throw ValidationError("--prm verifier needs --expected ANSWER") }
        guard !delimiter.isEmpty else { throw ValidationError("--delimiter cannot be empty") }
        if strategy == .beam || strategy == .dvts {
            guard beamWidth >= 1, n >= beamWidth, n % beamWidth == 0 else {
                throw ValidationError("--n must be a multiple of --beam-width (\(beamWidth)) and at least as large")
            }
            guard maxDepth >= 1 else { throw ValidationError("--max-depth must be ≥ 1") }
        }
    }

    func run() throws {
        let session = try Session(model, threads: threads)
        guard let template = session.tokenizer.chatTemplate else {
            throw CLIError.invalid("this model has no chat template Banyan knows (ChatML or Llama 3)")
        }
        let tok = session.tokenizer.tokenizer
        let prompt = tok.encode(MathPrompt().render(question: question, template: template))
        let scorer: any StepScorer = switch prm {
        case .likelihood: LikelihoodScorer()
        case .checker: CheckerScorer(question: question)
        case .verifier: VerifierScorer(expected: expected!)
        }
        let steps = delimiter.replacingOccurrences(of: "\\n", with: "\n")
        let sampling = SamplingParameters(temperature: temperature, topK: 0, topP: topP, minP: 0, seed: seed)
        let samples = strategy == .greedy ? 1 : n
        // Live sequences at once: N (plus M per subtree or per kept beam while expanding), each with a prompt
        // of its own without forking.
        let live = strategy == .greedy ? 1 : 2 * n
        let policy = try ModelPolicy(model: session.model, tokenizer: tok,
                                     capacityTokens: (noFork ? live : 1) * prompt.count + live * (maxTokens + 32) + 64)
        if !json { Terminal.status("\(strategy.rawValue): budget \(samples), a \(prompt.count)-token prompt…") }
        let step = { StepSearchSettings(n: n, width: beamWidth, sampling: sampling, maxTokens: maxTokens, delimiter: steps, scorer: scorer,
                                        aggregation: aggregate, maxDepth: maxDepth, fork: !noFork) }
        let r: SearchResult
        switch strategy {
        case .greedy: r = try BestOfN.greedy(maxTokens: maxTokens, delimiter: steps, scorer: scorer).run(policy: policy, prompt: prompt)
        case .bestOfN:
            r = try BestOfN(n: n, sampling: sampling, maxTokens: maxTokens, delimiter: steps, scorer: scorer, aggregation: aggregate,
                            fork: !noFork).run(policy: policy, prompt: prompt)
        case .beam: r = try BeamSearch(step()).run(policy: policy, prompt: prompt)
        case .dvts: r = try DVTS(step()).run(policy: policy, prompt: prompt)
        }
        let chosen = r.picks[(strategy == .greedy ? Selection.vanilla : select).rawValue]?[r.solutions.count] ?? nil
        let a = r.accounting
        if json {
            try Terminal.json([
                "answer": chosen as Any, "strategy": r.strategy, "n": samples, "prm": prm.rawValue, "aggregate": aggregate.rawValue,
                "select": select.rawValue,
                "picks": r.picks.mapValues { Dictionary(uniqueKeysWithValues: $0.map { (String($0.key), $0.value) }) },
                "solutions": r.solutions.map { s in
                    ["text": s.text, "answer": s.answer as Any, "score": s.score, "end": s.end.rawValue,
                     "steps": s.steps.map { ["text": $0.text, "score": $0.score, "mean_logprob": $0.meanLogProbability] }]
                },
                "tokens_prefilled": a.tokensPrefilled, "tokens_decoded": a.tokensDecoded, "forward_steps": a.forwardSteps,
                "peak_kv_bytes": a.peakKVBytes, "seconds": a.seconds,
            ])
            return
        }
        for (i, s) in r.solutions.enumerated() {
            print(String(format: "── sample %d  score %.3f  answer %@", i, s.score, s.answer ?? "none"))
            print(s.text.trimmingCharacters(in: .newlines))
        }
        if strategy != .greedy {
            for rule in Selection.allCases {
                let row = r.picks[rule.rawValue, default: [:]].sorted { $0.key < $1.key }.map { "N=\($0.key): \($0.value)" }
                print("\(rule.rawValue): \(row.joined(separator: ", "))")
            }
        }
        print("answer: \(chosen ?? "none")")
        Terminal.status(String(format: "prefilled %d, decoded %d tokens in %d steps, peak KV %.1f MiB, %.1f s", a.tokensPrefilled,
                               a.tokensDecoded, a.forwardSteps, Double(a.peakKVBytes) / 1_048_576, a.seconds))
    }
}

extension Aggregation: ExpressibleByArgument {}
extension Selection: ExpressibleByArgument {}
