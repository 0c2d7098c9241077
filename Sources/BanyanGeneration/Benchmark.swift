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
}

public enum ThroughputBenchmark {
    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Runs the workloads with fixed pseudo-random tokens (greedy over real logits would stop at EOS).
    public static func run(model: LlamaModel, promptTokens: Int, generatedTokens: Int, parallel: Int, repeats: Int,
                           progress: (String) -> Void = { _ in }) throws -> ThroughputReport {
        var random = SeededRandom(seed: 1)
        let vocab = UInt64(model.config.vocabularySize)
        func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(100 + random.next() % (vocab - 200)) } }
        let prompt = tokens(promptTokens)
        var prefill: [Double] = [], decode: [Double] = [], batched: [Double] = []
        for r in 0..<repeats {
            let engine = try Engine(model: model)
            let seq = engine.createSequence()
            var t0 = Date()
            _ = try engine.step([StepInput(sequence: seq, tokens: prompt)])
            prefill.append(Double(promptTokens) / Date().timeIntervalSince(t0))

            let single = engine.createSequence()
            _ = try engine.step([StepInput(sequence: single, tokens: [prompt[0]])])
            let gen = tokens(generatedTokens)
            t0 = Date()
            for t in gen { _ = try engine.step([StepInput(sequence: single, tokens: [t])]) }
            decode.append(Double(generatedTokens) / Date().timeIntervalSince(t0))
            try engine.free(single)

            if parallel > 0 {
                let forks = try engine.fork(seq, count: parallel)
                t0 = Date()
                for _ in 0..<generatedTokens {
                    let step = tokens(parallel)
                    _ = try engine.step(forks.enumerated().map { StepInput(sequence: $1, tokens: [step[$0]]) })
                }
                batched.append(Double(generatedTokens * parallel) / Date().timeIntervalSince(t0))
            }
            progress(String(format: "run %d/%d: prefill %.1f, decode %.1f, parallel %.1f tok/s", r + 1, repeats,
                            prefill.last!, decode.last!, batched.last ?? 0))
        }
        return ThroughputReport(threads: model.pool.threadCount, promptTokens: promptTokens, generatedTokens: generatedTokens,
                                parallel: parallel, repeats: repeats, prefillTokensPerSecond: median(prefill),
                                decodeTokensPerSecond: median(decode), parallelTokensPerSecond: batched.isEmpty ? 0 : median(batched))
    }
}
