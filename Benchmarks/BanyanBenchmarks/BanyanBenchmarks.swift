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
}
