import ArgumentParser
import Banyan
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prompt processing, generation and parallel-sequence throughput (medians over repeats).",
        discussion: """
        Ratios are printed against llama.cpp's reference figures (../shared/reference/README.md), which were \
        measured on an AMD EPYC Zen 5 with AVX-512 (2 threads: pp512 438 tok/s, tg128 175 tok/s, 16 parallel \
        sequences 264 tok/s; 1 thread: 231 and 152). On any other machine they are only a rough guide: \
        `bash tools/bench_vs_llamacpp.sh` builds llama.cpp outside the repository and runs both side by side.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length for prompt processing.") var promptTokens: Int = 512
    @Option(name: .customLong("gen-tokens"), help: "Tokens generated per sequence.") var genTokens: Int = 128
    @Option(help: "Sequences sampled in parallel from one prompt (0 to skip).") var parallel: Int = 16
    @Option(help: "Runs; the median is reported.") var repeats: Int = 3
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        guard promptTokens >= 1, genTokens >= 1, parallel >= 0, repeats >= 1 else {
            throw ValidationError("--prompt-tokens, --gen-tokens and --repeats must be ≥ 1, --parallel ≥ 0")
        }
        let lm = try LanguageModel.load(model.model, threads: threads)
        let r = try ThroughputBenchmark.run(model: lm.model, promptTokens: promptTokens, generatedTokens: genTokens,
                                            parallel: parallel, repeats: repeats) { Terminal.status($0) }
        let reference: (pp: Double, tg: Double, par: Double) = r.threads == 1 ? (231, 152, 0) : (438, 175, 264)
        if json {
            try Terminal.json(["prefill_tok_s": r.prefillTokensPerSecond, "decode_tok_s": r.decodeTokensPerSecond,
                               "parallel_tok_s": r.parallelTokensPerSecond, "threads": r.threads, "prompt_tokens": promptTokens,
                               "gen_tokens": genTokens, "parallel": parallel, "repeats": repeats])
        } else {
            print(String(format: "threads %d, median of %d runs; ratios are to llama.cpp's figures from a Zen 5 machine "
                         + "(tools/bench_vs_llamacpp.sh compares on this one)", r.threads, repeats))
            print(String(format: "prompt processing (%d tokens): %8.1f tok/s  (%.2f× llama.cpp reference %.0f)", promptTokens,
                         r.prefillTokensPerSecond, r.prefillTokensPerSecond / reference.pp, reference.pp))
            print(String(format: "generation (%d tokens):        %8.1f tok/s  (%.2f× llama.cpp reference %.0f)", genTokens,
                         r.decodeTokensPerSecond, r.decodeTokensPerSecond / reference.tg, reference.tg))
            if parallel > 0 {
                print(String(format: "%d parallel sequences:         %8.1f tok/s%@", parallel, r.parallelTokensPerSecond,
                             reference.par > 0 ? String(format: "  (%.2f× llama-batched reference %.0f)", r.parallelTokensPerSecond / reference.par, reference.par) : ""))
            }
        }
    }
}
