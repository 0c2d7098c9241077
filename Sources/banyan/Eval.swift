import ArgumentParser
import Banyan
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a search strategy over a problem set: accuracy of every selection rule at every budget, coverage, compute.",
        discussion: """
        --dataset is a JSON Lines file ({"id", "question", "answer"} per line, as in shared/data) or a synthetic \
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
    @Option(parsing: .upToNextOption, help: "Summarize these result files instead of running.") var merge: [String] = []
    @OptionGroup var search: SearchOptions
    @Option(help: "Problems searched together in one batch (their sequences share every forward step).") var batch = 8
    @Option(help: "Write each problem's search tree as DIR/<id>.json.") var trees: String?
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "End with one JSON object (accuracy, coverage, problems, tokens_decoded, tokens_prefilled).") var json = false

    func validate() throws {
        guard dataset != nil || !merge.isEmpty else { throw ValidationError("give --dataset (or --merge FILE…)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
        if let shard { _ = try Eval.parseShard(shard) }
        guard (1...256).contains(batch) else { throw ValidationError("--batch must be between 1 and 256") }
    }

    static func parseShard(_ s: String) throws -> (index: Int, count: Int) {
        let parts = s.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else {
            throw ValidationError("--shard takes I/N with 0 ≤ I < N, for example 0/4")
        }
        return (parts[0], parts[1])
    }

    func run() throws {
        if !merge.isEmpty {
            var records: [String: EvaluationRecord] = [:]
            for file in merge {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError.unreadable(file) }
                for r in try EvaluationRecord.read(text, source: file) { records[r.id] = r }
            }
            try report(Array(records.values).sorted { $0.id < $1.id })
            return
        }
        var problems = try ProblemSet.load(dataset!)
        if let shard {
            let (i, n) = try Eval.parseShard(shard)
            problems = problems.enumerated().filter { $0.offset % n == i }.map(\.element)
        }
        if let limit { problems = Array(problems.prefix(limit)) }
        var records: [EvaluationRecord] = []
        var done = Set<String>()
        if let out, FileManager.default.fileExists(atPath: out) {
            guard let text = try? String(contentsOfFile: out, encoding: .utf8) else { throw CLIError.unreadable(out) }
            let wanted = Set(problems.map(\.id))
            records = try EvaluationRecord.read(text, source: out).filter { wanted.contains($0.id) }
            done = Set(records.map(\.id))
            if !done.isEmpty { Terminal.status("resuming: \(done.count) of \(problems.count) problems already in \(out)") }
        }
        let output: FileHandle? = try out.map { path in
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            guard let h = FileHandle(forWritingAtPath: path) else { throw CLIError.unreadable(path) }
            h.seekToEndOfFile()
            return h
        }
        defer { try? output?.close() }
        let lm = try LanguageModel.load(model.model, threads: threads)
        if let trees { try FileManager.default.createDirectory(atPath: trees, withIntermediateDirectories: true) }
        let configuration = try search.configuration()
        let searcher = try Searcher(engine: lm.engine, tokenizer: lm.tokenizer, configuration: configuration, threads: threads,
                                    status: Terminal.status)
        let rule = configuration.rule
        let todo = problems.filter { !done.contains($0.id) }
        var finished = problems.count - todo.count
        for first in stride(from: 0, to: todo.count, by: batch) {
            let group = Array(todo[first..<min(first + batch, todo.count)])
            let results = try searcher.run(group.map { SearchQuestion($0.question, expected: $0.answer) })
            for (problem, result) in zip(group, results) {
                let record = EvaluationRecord(problem: problem, result: result)
                records.append(record)
                output?.write(Data((record.jsonLine + "\n").utf8))
                if let trees, let tree = result.tree {
                    try TreeFiles.writeJSON(tree, to: (trees as NSString).appendingPathComponent("\(problem.id).json"))
                }
                finished += 1
                let right = records.filter { $0.isCorrect(rule, budget: result.budget) }.count
                Terminal.status(String(format: "[%d/%d] %@: %@ (expected %@) %@ | accuracy %d/%d, %.1f s", finished, problems.count,
                                       problem.id, result.answer(rule) ?? "none", problem.answer,
                                       record.isCorrect(rule, budget: result.budget) ? "right" : "wrong",
                                       right, records.count, result.accounting.seconds))
            }
        }
        if let tokenPRM = searcher.tokenPRM { Terminal.status(TokenPRMReport.line(tokenPRM.statistics)) }
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
