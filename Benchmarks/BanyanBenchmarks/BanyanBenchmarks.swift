import Banyan
import Benchmark

/// The default model, fetched once if missing.
let modelPath: String = (try? DefaultModel.resolve(explicit: nil).path) ?? DefaultModel.path

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5))

    // Opening the model: mmap plus parsing and checking the header, tensor table and 49k-entry vocabulary.
    Benchmark("open and index the GGUF model") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try GGUFFile(path: modelPath).tensors.count)
        }
    }
}
