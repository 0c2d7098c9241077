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
    for threads in [1, 2] {
        let pool = ThreadPool(threads: threads)
        for (name, w) in shapes {
            for rows in [1, 16, 128] {
                matmulBenchmark("matmul \(w.type) \(name) \(w.rowCount)×\(w.rowLength), \(rows) row(s), \(threads) thread(s)", w, rows: rows, pool: pool)
            }
        }
    }

    // The other weight types on a synthetic 2048×2048 matrix (Llama-like rows; SmolLM2's 576-wide rows are
    // not a whole number of K-quant super-blocks): decode-sized calls through the fused kernels.
    for type in [GGMLType.q4_K, .q6_K, .f16, .bf16, .f32] {
        let w = syntheticWeights(type, rows: 2048, inputs: 2048)
        for threads in [1, 2] {
            let pool = ThreadPool(threads: threads)
            for rows in [1, 2] {
                matmulBenchmark("matmul \(type) synthetic \(w.rowCount)×\(w.rowLength), \(rows) row(s), \(threads) thread(s)", w, rows: rows, pool: pool)
            }
        }
    }
}

/// One matmul benchmark: `rows` activation rows against `w`, reporting MB/s of weights streamed and MFLOP/s
/// (2 per weight per row) as custom metrics.
func matmulBenchmark(_ title: String, _ w: TensorView, rows: Int, pool: ThreadPool) {
    let bandwidth = BenchmarkMetric.custom("MB/s of weights", polarity: .prefersLarger, useScalingFactor: false)
    let flops = BenchmarkMetric.custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    let x = (0..<(rows * w.rowLength)).map { Float(($0 * 7919) % 1000) / 500 - 1 }
    var y = [Float](repeating: 0, count: rows * w.rowCount)
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

/// Random weights of `type` with small valid scales (every quantized value possible).
func syntheticWeights(_ type: GGMLType, rows: Int, inputs: Int) -> TensorView {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
    var bytes: [UInt8] = []
    func half(_ x: Float) { let b = Float16(x).bitPattern; bytes += [UInt8(b & 0xFF), UInt8(b >> 8)] }
    func raw(_ n: Int) { for _ in 0..<n { bytes.append(UInt8(next() & 0xFF)) } }
    func unit() -> Float { Float(next() % 20_001) / 10_000 - 1 }
    for _ in 0..<(rows * inputs / type.blockSize) {
        switch type {
        case .q4_K: half(0.004); half(0.001); raw(140)
        case .q6_K: raw(208); half(0.002)
        case .f16: half(unit())
        case .bf16: let b = UInt16(unit().bitPattern >> 16); bytes += [UInt8(b & 0xFF), UInt8(b >> 8)]
        default: withUnsafeBytes(of: unit().bitPattern.littleEndian) { bytes += $0 }
        }
    }
    return TensorView(name: "w", type: type, shape: [inputs, rows], offset: 0, byteCount: bytes.count, file: MappedFile(bytes: bytes))
}
