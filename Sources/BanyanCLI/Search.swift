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
        end at --delimiter in the decoded text, found in token space.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "The question.") var question: String
    @Option(help: "The right answer, for --prm verifier.") var expected: String?
    @OptionGroup var search: SearchOptions
    @Option(help: "Write the search tree (every step with its tokens, text, score, fate and KV pages) here as JSON.")
    var tree: String?
    @Option(name: .customLong("tree-html"), help: "Write the search tree here as a self-contained HTML page.")
    var treeHTML: String?
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--question is empty") }
        if search.prm.uses(.verifier) && expected == nil { throw ValidationError("--prm verifier needs --expected ANSWER") }
    }

    func run() throws {
        let lm = try LanguageModel.load(model.model, threads: threads)
        let configuration = try search.configuration()
        let searcher = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: configuration, threads: threads,
                                    status: Terminal.status)
        if !json { Terminal.status("\(search.strategy.rawValue), budget \(search.strategy == .greedy ? 1 : search.n)…") }
        let r = try searcher.run(SearchQuestion(question, expected: expected))
        let tokenPRM = searcher.tokenPRM
        let chosen = r.answer(configuration.rule)
        let a = r.accounting
        if let t = r.tree {
            if let tree { try t.writeJSON(to: tree) }
            if let treeHTML { try t.writeHTML(title: "\(search.strategy.rawValue) · \(question)", to: treeHTML) }
        }
        if json {
            try Terminal.json(r.jsonObject(configuration: configuration, tokenPRM: tokenPRM?.statistics))
            return
        }
        for (i, s) in r.solutions.enumerated() {
            print(String(format: "── solution %d  score %.3f  answer %@", i, s.score, s.answer ?? (s.end == .abandoned ? "none (abandoned at a step scored 0)" : "none")))
            print(s.text.trimmingCharacters(in: .newlines))
        }
        if search.strategy != .greedy {
            for rule in Selection.allCases {
                let row = r.picks[rule, default: [:]].sorted { $0.key < $1.key }.map { "N=\($0.key): \($0.value)" }
                print("\(rule.rawValue): \(row.joined(separator: ", "))")
            }
        }
        print("answer: \(chosen ?? "none (\(r.noAnswerReason ?? "no rule picked one"))")")
        Terminal.status(String(format: "prefilled %d, decoded %d, scorer %d tokens in %d steps, peak KV %.1f MiB, %.1f s",
                               a.tokensPrefilled, a.tokensDecoded, a.scorerTokens, a.forwardSteps, Double(a.peakKVBytes) / 1_048_576,
                               a.seconds))
        if let tokenPRM { Terminal.status(tokenPRM.statistics.summary) }
    }
}
