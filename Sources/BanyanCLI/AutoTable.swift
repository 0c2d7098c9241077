import ArgumentParser
import Banyan
import Foundation

struct AutoTable: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auto-table",
        abstract: "Learn the table --strategy auto uses from banyan eval runs on training problems.",
        discussion: """
        --best-of-n is an eval output of Best-of-N at the largest budget: its first --probe samples per problem \
        are the difficulty probe (their mean solution score), and its picks at every smaller budget are candidates. \
        --runs are beam search, DVTS and particle-filter outputs on the same problems. Problems are split into --bins bins of equal \
        size by difficulty; at each budget, each bin gets the strategy, N ≤ budget and selection rule that was right \
        most often on its problems. Beam search and DVTS stay candidates only if the scorer's signal-to-noise on \
        the Best-of-N samples supports keeping 1 in --beam-width; particles, which resample rather than prune by a \
        fixed width, are judged by their training accuracy alone. The table is printed and written to --out as JSON.
        """
    )

    @Option(name: .customLong("best-of-n"), help: "Best-of-N eval output (JSON Lines) at the largest budget.") var bestOfN: String
    @Option(parsing: .upToNextOption, help: "Beam search, DVTS and particle eval outputs on the same problems, each as N:FILE (N the run's --n).")
    var runs: [String] = []
    @Option(help: "Samples in the difficulty probe.") var probe = 4
    @Option(help: "Difficulty bins.") var bins = 3
    @Option(help: "Budgets, comma-separated.") var budgets = "4,8,16,32"
    @Option(help: "The --prm the runs used (auto refuses the table with another).") var prm = "checker"
    @Option(help: "Where the runs' problems came from (recorded in the table).") var source = "training problems"
    @Option(help: "Write the table here.") var out: String?
    @Option(name: .customLong("beam-width"), help: "The M the --runs used (beam and DVTS keep 1 in M).") var beamWidth = 4
    @Flag(name: .customLong("no-signal-cap"), help: "Keep beam and DVTS as candidates even where the scorer's signal-to-noise says pruning 1 in M picks noise.") var noSignalCap = false

    func run() throws {
        let list = budgets.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--budgets takes positive integers, e.g. 4,8,16,32") }
        guard probe >= 1, bins >= 1 else { throw ValidationError("--probe and --bins must be ≥ 1") }
        func read(_ file: String) throws -> [EvaluationRecord] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError.unreadable(file) }
            return try EvaluationRecord.read(text, source: file)
        }
        let bon = try read(bestOfN)
        guard !bon.isEmpty, bon.allSatisfy({ $0.strategy == "best-of-n" && $0.scores.count >= probe }) else {
            throw CLIError.invalid("\(bestOfN) must hold Best-of-N results with at least --probe (\(probe)) samples each")
        }
        let others = try runs.map { arg -> (n: Int, records: [EvaluationRecord]) in
            let parts = arg.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let n = Int(parts[0]), n >= 1 else { throw ValidationError("--runs takes N:FILE, e.g. 16:results/beam16.jsonl") }
            return (n, try read(parts[1]))
        }
        let table = ComputeOptimalTable.learn(bestOfN: bon, others: others, probe: probe, bins: bins, budgets: list,
                                              prm: prm, source: source, beamWidth: beamWidth, capBySignal: !noSignalCap)
        print(table.description)
        if let out { try table.write(toFile: out) }
    }
}
