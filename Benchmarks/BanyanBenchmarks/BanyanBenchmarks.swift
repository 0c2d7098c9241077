import Banyan
import Benchmark
import Foundation

/// The default model, fetched once if missing.
let modelPath: String = (try? DefaultModel.resolve(explicit: nil).path) ?? DefaultModel.path

/// About 1 MB of English prose: the Apache license (on every Debian machine) repeated.
let largeText: String = {
    let license = (try? String(contentsOfFile: "/usr/share/common-licenses/Apache-2.0", encoding: .utf8)) ?? "The quick brown fox 123. "
    return String(repeating: license, count: max(1, 1_000_000 / max(license.utf8.count, 1)))
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5))

    // Opening the model: mmap plus parsing and checking the header, tensor table and 49k-entry vocabulary.
    Benchmark("open and index the GGUF model") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try GGUFFile(path: modelPath).tensors.count)
        }
    }

    // Tokenizer throughput: one iteration encodes ~1 MB, so throughput (#/s) reads as MB/s.
    let tokenizer = try! Tokenizer(gguf: GGUFFile(path: modelPath))
    Benchmark("tokenize 1 MB of English (throughput = MB/s)", configuration: .init(maxIterations: 20)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(tokenizer.encode(largeText).count)
        }
    }

    // Kernels on the model's own weights: one activation row (decode), 16 (parallel sequences) and 128
    // (a prefill tile). Custom metrics: MB/s of weights streamed and MFLOP/s (2 per weight per row).
    let model = try! LlamaModel(path: modelPath)
    let layer = model.weights.layers[0]
    let shapes: [(String, TensorView)] = [("ffn_up", layer.up), ("attn_q", layer.query), ("output", model.weights.output)]
    let bandwidth = BenchmarkMetric.custom("MB/s of weights", polarity: .prefersLarger, useScalingFactor: false)
    let flops = BenchmarkMetric.custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    for threads in [1, 2] {
        let pool = ThreadPool(threads: threads)
        for (name, w) in shapes {
            for rows in [1, 16, 128] {
                let x = (0..<(rows * w.rowLength)).map { Float(($0 * 7919) % 1000) / 500 - 1 }
                var y = [Float](repeating: 0, count: rows * w.rowCount)
                let title = "matmul \(w.type) \(name) \(w.rowCount)×\(w.rowLength), \(rows) row(s), \(threads) thread(s)"
                Benchmark(title, configuration: .init(metrics: [.wallClock, bandwidth, flops], maxDuration: .seconds(2))) { benchmark in
                    let start = MonotonicClock.seconds()
                    var calls = 0
                    for _ in benchmark.scaledIterations {
                        x.withUnsafeBufferPointer { xb in
                            y.withUnsafeMutableBufferPointer { MatMul.linear(xb.baseAddress!, rows: rows, weight: w, $0.baseAddress!, pool: pool) }
                        }
                        calls += 1
                    }
                    let seconds = MonotonicClock.seconds() - start
                    benchmark.measurement(bandwidth, Int(Double(calls * w.byteCount) / seconds / 1e6))
                    benchmark.measurement(flops, Int(Double(calls * 2 * rows * w.rowCount * w.rowLength) / seconds / 1e6))
                    blackHole(y[0])
                }
            }
        }
    }
}
