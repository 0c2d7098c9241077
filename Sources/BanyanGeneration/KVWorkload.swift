import BanyanKV
import BanyanKernels
import BanyanModel
import Foundation

/// What `banyan kv` measures: forking a prompt into many sequences, sampling them together, and what
/// sharing pages saves; every figure measured in the run, none derived from the design.
public struct KVWorkloadReport: Sendable, Codable {
    public struct ForkCost: Sendable, Codable {
        public var tokens: Int
        public var pages: Int
        public var microsecondsMedian: Double
    }

    public var promptTokens: Int
    public var forks: Int
    public var generatedTokens: Int
    public var pageSize: Int
    public var elementType: KVElementType
    public var threads: Int
    /// One fork of the prompt sequence, then freeing the child: fork time only.
    public var forkMicrosecondsMedian: Double
    /// KV bytes copied by those forks (copy-on-write bytes counted across them).
    public var forkBytesCopied: Int
    /// Fork latency against sequence length (on a cache without the model): grows with pages.
    public var forkCost: [ForkCost]
    /// Physical KV bytes right after the fork (the prompt and the forks' shared pages).
    public var kvBytesAfterFork: Int
    /// What the forks would hold right then as independent copies of the prompt.
    public var kvBytesIndependentAfterFork: Int
    /// Peak physical KV bytes while the forks generate.
    public var kvBytesSharedRun: Int
    /// What the forked sequences would hold at the end as independent copies (the prompt's own pages,
    /// shared by all, are in the physical figures but not counted here again).
    public var kvBytesIndependent: Int
    public var sharingRatioAtEnd: Double
    public var copyOnWriteCopies: Int
    public var copyOnWriteBytes: Int
    /// Aggregate sampled tokens per second of the `forks` sequences stepped together.
    public var parallelTokensPerSecond: Double
    /// Attention time per decode step (all layers), medians, at the prompt plus a 64-token suffix each.
    public var attentionMillisecondsPerSequence: Double
    public var attentionMillisecondsSharedPrefix: Double
    public var stepMillisecondsPerSequence: Double
    public var stepMillisecondsSharedPrefix: Double

    public var attentionSpeedup: Double { attentionMillisecondsPerSequence / attentionMillisecondsSharedPrefix }

    /// The report as `banyan kv` prints it.
    public var summary: String {
        func mib(_ b: Int) -> String { String(format: "%.1f MiB", Double(b) / 1_048_576) }
        var lines = ["KV cache: \(elementType.rawValue), page size \(pageSize), \(threads) thread(s)",
                     String(format: "fork of a %d-token sequence: %.3f µs median, %d KV bytes copied", promptTokens, forkMicrosecondsMedian, forkBytesCopied)]
        for c in forkCost { lines.append(String(format: "  fork at %6d tokens (%4d pages): %.3f µs", c.tokens, c.pages, c.microsecondsMedian)) }
        lines.append("after forking into \(forks): \(mib(kvBytesAfterFork)) physical vs \(mib(kvBytesIndependentAfterFork)) independent "
                     + String(format: "(1/%.1f)", Double(kvBytesIndependentAfterFork) / Double(kvBytesAfterFork)))
        lines.append("after \(generatedTokens) tokens each: peak \(mib(kvBytesSharedRun)) physical vs \(mib(kvBytesIndependent)) independent "
                     + String(format: "(1/%.1f), sharing ratio %.2f", Double(kvBytesIndependent) / Double(kvBytesSharedRun), sharingRatioAtEnd))
        lines.append("copy-on-write: \(copyOnWriteCopies) pages, \(mib(copyOnWriteBytes))")
        lines.append(String(format: "%d sequences sampled together: %.1f tok/s", forks, parallelTokensPerSecond))
        lines.append(String(format: "attention per decode step at %d + 64 tokens × %d: per-sequence %.2f ms, shared-prefix %.2f ms (%.2f×); whole step %.1f → %.1f ms (%.2f×)",
                            promptTokens, forks, attentionMillisecondsPerSequence, attentionMillisecondsSharedPrefix, attentionSpeedup,
                            stepMillisecondsPerSequence, stepMillisecondsSharedPrefix, stepSpeedup))
        return lines.joined(separator: "\n")
    }

    /// The report as `banyan kv --json` prints it.
    public var jsonObject: [String: Any] {
        ["fork_us_median": forkMicrosecondsMedian, "fork_bytes_copied": forkBytesCopied,
         "kv_bytes_shared_run": kvBytesSharedRun, "kv_bytes_independent": kvBytesIndependent,
         "kv_bytes_after_fork": kvBytesAfterFork, "kv_bytes_independent_after_fork": kvBytesIndependentAfterFork,
         "parallel_tok_s": parallelTokensPerSecond, "sharing_ratio_end": sharingRatioAtEnd,
         "cow_copies": copyOnWriteCopies, "cow_bytes": copyOnWriteBytes,
         "attention_ms_per_sequence": attentionMillisecondsPerSequence, "attention_ms_shared_prefix": attentionMillisecondsSharedPrefix,
         "attention_speedup": attentionSpeedup, "step_ms_per_sequence": stepMillisecondsPerSequence,
         "step_ms_shared_prefix": stepMillisecondsSharedPrefix, "step_speedup": stepSpeedup,
         "fork_cost": forkCost.map { ["tokens": $0.tokens, "pages": $0.pages, "us_median": $0.microsecondsMedian] },
         "prompt_tokens": promptTokens, "forks": forks, "gen_tokens": generatedTokens, "page_size": pageSize,
         "kv_type": elementType.rawValue, "threads": threads]
    }
    public var stepSpeedup: Double { stepMillisecondsPerSequence / stepMillisecondsSharedPrefix }
}

public enum KVWorkload {
    public static func run(model: LlamaModel, promptTokens: Int, forks: Int, generatedTokens: Int, pageSize: Int,
                           elementType: KVElementType? = nil, suffixTokens: Int = 64, seed: UInt64 = 1,
                           recordTrace: Bool = false, progress: (String) -> Void = { _ in }) throws -> (KVWorkloadReport, [KVEvent]) {
        var random = SeededRandom(seed: seed)
        let vocab = UInt64(model.config.vocabularySize)
        func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(100 + random.next() % (vocab - 200)) } }
        let prompt = tokens(promptTokens)
        let engine = try Engine(model: model, pageSize: pageSize, kvType: elementType)
        let cache = engine.cache
        cache.recordsEvents = recordTrace

        progress("prefill \(promptTokens) tokens")
        let root = cache.createSequence()
        let rootLogits = try engine.step([StepInput(sequence: root, tokens: prompt)])[0].logitsRow()

        // Fork latency: fork and free one child many times (fork timed alone).
        let copiedBefore = cache.statistics.forkBytesCopied
        var samples: [Double] = []
        let wasRecording = cache.recordsEvents
        cache.recordsEvents = false
        for _ in 0..<2001 {
            let t0 = MonotonicClock.seconds()
            let child = try cache.fork(root, count: 1)[0]
            samples.append((MonotonicClock.seconds() - t0) * 1e6)
            try cache.free(child)
        }
        cache.recordsEvents = wasRecording
        let forkBytesCopied = cache.statistics.forkBytesCopied - copiedBefore
        let forkCost = try forkScaling(geometry: cache.geometry, lengths: [promptTokens, 4 * promptTokens, 16 * promptTokens])

        // Fork into `forks` sequences and sample them together.
        progress("fork \(forks) and generate \(generatedTokens) tokens each")
        let kids = try cache.fork(root, count: forks)
        let afterFork = cache.physicalBytes, independentAfterFork = cache.independentBytes(of: kids)
        var samplers = (0..<forks).map { Sampler(SamplingParameters(temperature: 0.8, seed: seed &+ UInt64($0))) }
        var next = (0..<forks).map { samplers[$0].sample(rootLogits) }
        var peak = cache.physicalBytes
        let t0 = MonotonicClock.seconds()
        for _ in 0..<generatedTokens {
            let out = try engine.step(zip(kids, next).map { StepInput(sequence: $0, tokens: [$1]) })
            for i in 0..<forks { next[i] = samplers[i].sample(out[i].logitsRow()) }
            peak = max(peak, cache.physicalBytes)
        }
        let parallel = Double(forks * generatedTokens) / (MonotonicClock.seconds() - t0)
        let endStats = cache.statistics
        let independentEnd = cache.independentBytes(of: kids)
        for k in kids { try cache.free(k) }

        // Attention at prompt + suffix: the same decode step under each strategy, rolled back after each.
        progress("attention at \(forks) × (\(promptTokens) shared + \(suffixTokens))")
        let group = try cache.fork(root, count: forks)
        _ = try engine.step(group.map { StepInput(sequence: $0, tokens: tokens(suffixTokens - 1), outputs: .none) })
        var attention: [AttentionStrategy: [Double]] = [:], whole: [AttentionStrategy: [Double]] = [:]
        for _ in 0..<5 {
            for s in AttentionStrategy.allCases {
                engine.attentionStrategy = s
                _ = try engine.step(group.map { StepInput(sequence: $0, tokens: tokens(1)) })
                attention[s, default: []].append(engine.lastProfile.attentionSeconds * 1e3)
                whole[s, default: []].append(engine.lastProfile.stepSeconds * 1e3)
                for g in group { try cache.truncate(g, to: promptTokens + suffixTokens - 1) }
            }
        }
        for g in group { try cache.free(g) }
        try cache.free(root)

        let report = KVWorkloadReport(
            promptTokens: promptTokens, forks: forks, generatedTokens: generatedTokens, pageSize: pageSize,
            elementType: cache.geometry.elementType, threads: model.pool.threadCount,
            forkMicrosecondsMedian: ThroughputBenchmark.median(samples), forkBytesCopied: forkBytesCopied, forkCost: forkCost,
            kvBytesAfterFork: afterFork, kvBytesIndependentAfterFork: independentAfterFork,
            kvBytesSharedRun: peak, kvBytesIndependent: independentEnd, sharingRatioAtEnd: endStats.sharingRatio,
            copyOnWriteCopies: endStats.copyOnWriteCopies, copyOnWriteBytes: endStats.copyOnWriteBytes,
            parallelTokensPerSecond: parallel,
            attentionMillisecondsPerSequence: ThroughputBenchmark.median(attention[.perSequence]!),
            attentionMillisecondsSharedPrefix: ThroughputBenchmark.median(attention[.sharedPrefix]!),
            stepMillisecondsPerSequence: ThroughputBenchmark.median(whole[.perSequence]!),
            stepMillisecondsSharedPrefix: ThroughputBenchmark.median(whole[.sharedPrefix]!))
        return (report, cache.events)
    }

    /// Fork latency of sequences of several lengths in a cache of the same geometry (no model needed).
    static func forkScaling(geometry: KVGeometry, lengths: [Int]) throws -> [KVWorkloadReport.ForkCost] {
        try lengths.map { n in
            let cache = try KVCache(geometry: geometry, capacityTokens: n + geometry.pageSize)
            let s = cache.createSequence()
            _ = try cache.reserve(s, tokens: n)
            var samples: [Double] = []
            for _ in 0..<1001 {
                let t0 = MonotonicClock.seconds()
                let child = try cache.fork(s, count: 1)[0]
                samples.append((MonotonicClock.seconds() - t0) * 1e6)
                try cache.free(child)
            }
            return .init(tokens: n, pages: geometry.pages(forTokens: n), microsecondsMedian: ThroughputBenchmark.median(samples))
        }
    }
}
