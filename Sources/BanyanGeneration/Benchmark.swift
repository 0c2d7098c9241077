import BanyanKV
import BanyanModel
import Foundation

/// Throughput of the three workloads `banyan bench` reports, each the median over `repeats` runs.
public struct ThroughputReport: Sendable, Codable {
    public var threads: Int
    public var promptTokens: Int
    public var generatedTokens: Int
    public var parallel: Int
    public var repeats: Int
    /// Prompt processing: `promptTokens` in one step.
    public var prefillTokensPerSecond: Double
    /// One sequence, one token per step.
    public var decodeTokensPerSecond: Double
    /// `parallel` sequences forked from one prompt, advanced together one token each per step.
    public var parallelTokensPerSecond: Double
    /// Every parallel width measured (the first is `parallel`): width → generated tokens per second.
    public var parallelByWidth: [Int: Double] = [:]
}

public enum ThroughputBenchmark {
    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Runs the workloads with fixed pseudo-random tokens (greedy over real logits would stop at EOS).
    /// Runs the workloads: prompt processing of `promptTokens` in one step, generation of `generatedTokens`
    /// one token per step, and for each width in `parallel`, that many sequences forked from the prompt
    /// generating `generatedTokens` each in lockstep (llama-batched-bench -pps); medians over `repeats`.
    public static func run(model: LlamaModel, promptTokens: Int, generatedTokens: Int, parallel widths: [Int], repeats: Int,
                           progress: (String) -> Void = { _ in }) throws -> ThroughputReport {
        let parallel = widths.first ?? 0
        var random = SeededRandom(seed: 1)
        let vocab = UInt64(model.config.vocabularySize)
        func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(100 + random.next() % (vocab - 200)) } }
        let prompt = tokens(promptTokens)
        var prefill: [Double] = [], decode: [Double] = [], batched: [Int: [Double]] = [:]
        for r in 0..<repeats {
            let engine = try Engine(model: model)
            let seq = engine.createSequence()
            var t0 = Date()
            _ = try engine.step([StepInput(sequence: seq, tokens: prompt)])
            prefill.append(Double(promptTokens) / Date().timeIntervalSince(t0))

            // Decode loops keep their inputs and outputs between steps, as a server or search loop does.
            var outputs: [StepOutput] = []
            let single = engine.createSequence()
            var inputs = [StepInput(sequence: single, tokens: [prompt[0]])]
            try engine.step(inputs, into: &outputs)
            let gen = tokens(generatedTokens)
            t0 = Date()
            for t in gen {
                inputs[0].tokens[0] = t
                try engine.step(inputs, into: &outputs)
            }
            decode.append(Double(generatedTokens) / Date().timeIntervalSince(t0))
            try engine.free(single)

            for width in widths where width > 0 {
                let forks = try engine.fork(seq, count: width)
                let steps = (0..<generatedTokens).map { _ in tokens(width) }
                inputs = forks.map { StepInput(sequence: $0, tokens: [0]) }
                t0 = Date()
                for step in steps {
                    for i in 0..<width { inputs[i].tokens[0] = step[i] }
                    try engine.step(inputs, into: &outputs)
                }
                batched[width, default: []].append(Double(generatedTokens * width) / Date().timeIntervalSince(t0))
                for f in forks { try engine.free(f) }
            }
            progress(String(format: "run %d/%d: prefill %.1f, decode %.1f tok/s", r + 1, repeats, prefill.last!, decode.last!)
                     + widths.map { w in String(format: ", %d parallel %.1f tok/s", w, batched[w]?.last ?? 0) }.joined())
        }
        var report = ThroughputReport(threads: model.pool.threadCount, promptTokens: promptTokens, generatedTokens: generatedTokens,
                                      parallel: parallel, repeats: repeats, prefillTokensPerSecond: median(prefill),
                                      decodeTokensPerSecond: median(decode), parallelTokensPerSecond: batched[parallel].map(median) ?? 0)
        report.parallelByWidth = batched.mapValues(median)
        return report
    }
}
