import ArgumentParser
import Banyan
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prompt processing, generation and parallel-sequence throughput (medians over repeats).",
        discussion: """
        The figures are this machine's alone; speeds are only comparable side by side in one run, as ratios: \
        `bash tools/bench_vs_llamacpp.sh` builds llama.cpp outside the repository and runs both in turn.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length for prompt processing.") var promptTokens: Int = 512
    @Option(name: .customLong("gen-tokens"), help: "Tokens generated per sequence.") var genTokens: Int = 128
    @Option(help: "Sequences forked from the prompt, generating together (repeat for several widths, e.g. --parallel 16 --parallel 64; 0 skips).")
    var parallel: [Int] = [16]
    @Option(help: "Runs; the median is reported.") var repeats: Int = 3
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        guard promptTokens >= 1, genTokens >= 1, parallel.allSatisfy({ $0 >= 0 }), repeats >= 1 else {
            throw ValidationError("--prompt-tokens, --gen-tokens and --repeats must be ≥ 1, --parallel ≥ 0")
        }
        let lm = try LanguageModel.load(model.model, threads: threads)
        let r = try ThroughputBenchmark.run(model: lm.model, promptTokens: promptTokens, generatedTokens: genTokens,
                                            parallel: parallel, repeats: repeats) { Terminal.status($0) }
        if json {
            try Terminal.json(["prefill_tok_s": r.prefillTokensPerSecond, "decode_tok_s": r.decodeTokensPerSecond,
                               "parallel_tok_s": r.parallelTokensPerSecond, "threads": r.threads, "prompt_tokens": promptTokens,
                               "gen_tokens": genTokens, "parallel": r.parallel, "repeats": repeats, "kernels": KernelPath.current,
                               "parallel_by_width": Dictionary(uniqueKeysWithValues: r.parallelByWidth.map { (String($0.key), $0.value) })])
        } else {
            print(String(format: "threads %d, median of %d runs; kernels: %@", r.threads, repeats, KernelPath.current))
            print(String(format: "prompt processing (%d tokens): %8.1f tok/s", promptTokens, r.prefillTokensPerSecond))
            print(String(format: "generation (%d tokens):        %8.1f tok/s", genTokens, r.decodeTokensPerSecond))
            for (w, v) in r.parallelByWidth.sorted(by: { $0.key < $1.key }) {
                print(String(format: "%d sequences forked from the prompt: %8.1f tok/s", w, v))
            }
        }
    }
}
