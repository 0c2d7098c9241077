import ArgumentParser
import Banyan
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a search strategy over a problem set: accuracy of every selection rule at every budget, coverage, compute.",
        discussion: """
        --dataset is a JSON Lines file ({"id", "question", "answer"} per line, as in data/) or a synthetic \
        arithmetic source such as arith:operands=3,digits=1,ops=+-,count=200,seed=7. Each problem's result is \
        appended to --out as one JSON line, so an interrupted run resumes where it stopped (problems already in \
        the file are skipped). --shard I/N takes every N-th problem from the I-th, for parallel runs; \
        --merge FILE… summarizes several outputs without running anything. Accuracy is reported for every \
        selection rule at every power-of-two budget of the run (best-of-n; beam and dvts at N), with 95% \
        Wilson intervals; with --json the last line is one JSON object.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "Problem set: a JSONL file or arith:…") var dataset: String?
    @Option(help: "Only the first K problems (after sharding).") var limit: Int?
    @Option(help: "This shard of the problems, as I/N (0-based).") var shard: String?
    @Option(help: "Append one JSON line per problem here, and resume from it.") var out: String?
    @Option(parsing: .upToNextOption, help: "Summarize these result files instead of running (each problem once; duplicates are refused).") var merge: [String] = []
    @Flag(name: .customLong("list-ids"), help: "Print the ids of the problems this run would search (after --shard and --limit), one a line, and stop.") var listIDs = false
    @OptionGroup var search: SearchOptions
    @Option(help: "Problems searched together in one batch (their sequences share every forward step).") var batch = 8
    @Option(help: "Write each problem's search tree as DIR/<id>.json.") var trees: String?
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "End with one JSON object (accuracy, coverage, problems, tokens_decoded, tokens_prefilled).") var json = false

    func validate() throws {
        guard dataset != nil || !merge.isEmpty else { throw ValidationError("give --dataset (or --merge FILE…)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
        if let shard { _ = try Shard(parsing: shard) }
        guard (1...256).contains(batch) else { throw ValidationError("--batch must be between 1 and 256") }
    }

    func run() throws {
        if !merge.isEmpty {
            try report(try EvaluationRecord.merge(files: merge))
            return
        }
        var problems = try ProblemSet.load(dataset!)
        if let shard { problems = try Shard(parsing: shard).select(problems) }
        if let limit { problems = Array(problems.prefix(limit)) }
        if listIDs { return problems.forEach { print($0.id) } }
        let evaluation = EvaluationRun(problems: problems, batch: batch, output: out)
        var finished = try evaluation.finished().count, right = 0, seen = 0
        if finished > 0 { Terminal.status("resuming: \(finished) of \(problems.count) problems already in \(out!)") }
        let lm = try LanguageModel.load(model.model, threads: threads)
        if let trees { try FileManager.default.createDirectory(atPath: trees, withIntermediateDirectories: true) }
        let configuration = try search.configuration()
        let searcher = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: configuration, threads: threads,
                                    status: Terminal.status)
        let rule = configuration.rule
        let records = try evaluation.run(searcher) { record, result in
            if let trees, let tree = result.tree {
                try tree.writeJSON(to: (trees as NSString).appendingPathComponent("\(record.id).json"))
            }
            finished += 1
            seen += 1
            let isRight = record.isCorrect(rule, budget: result.budget)
            right += isRight ? 1 : 0
            Terminal.status(String(format: "[%d/%d] %@: %@ (expected %@) %@ | accuracy %d/%d this run, %.1f s", finished, problems.count,
                                   record.id, result.answer(rule) ?? "none", record.expected, isRight ? "right" : "wrong",
                                   right, seen, result.accounting.seconds))
        }
        if let tokenPRM = searcher.tokenPRM { Terminal.status(tokenPRM.statistics.summary) }
        try report(records)
    }

    func report(_ records: [EvaluationRecord]) throws {
        let s = EvaluationSummary(records)
        let rule = (try search.configuration(loadingExamples: false)).rule.rawValue
        let top = s.accuracy[rule]?.keys.max() ?? 0
        let chosen = s.accuracy[rule]?[top] ?? Proportion(hits: 0, total: 0)
        func pct(_ p: Proportion) -> String { String(format: "%5.1f%% [%4.1f, %4.1f]", 100 * p.value, 100 * p.low, 100 * p.high) }
        print("problems: \(s.problems)")
        for r in Selection.allCases {
            guard let byBudget = s.accuracy[r.rawValue] else { continue }
            print("\(r.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) " + byBudget.keys.sorted().map { "N=\($0) \(pct(byBudget[$0]!))" }.joined(separator: "  "))
        }
        print("coverage  \(pct(s.coverage))")
        print(String(format: "tokens prefilled %d, decoded %d, %.1f s of search", s.tokensPrefilled, s.tokensDecoded, s.seconds))
        if json {
            try Terminal.json(["accuracy": chosen.value, "accuracy_low": chosen.low, "accuracy_high": chosen.high, "select": rule,
                               "coverage": s.coverage.value, "problems": s.problems, "tokens_decoded": s.tokensDecoded,
                               "tokens_prefilled": s.tokensPrefilled, "seconds": s.seconds])
        }
    }
}
