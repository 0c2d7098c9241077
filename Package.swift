// swift-tools-version:6.1
import PackageDescription
import class Foundation.ProcessInfo

// Swift on Linux compiles for baseline x86-64 unless told a CPU: SIMD FMA becomes a libm call per lane
// and Float16 conversion a helper call. The kernels are therefore compiled for a named CPU.
// BANYAN_TARGET_CPU=native (default) tunes for the build machine; `haswell` is a portable x86-64-v3
// choice; `generic` passes no flag at all (any platform, slow kernels).
let targetCPU = ProcessInfo.processInfo.environment["BANYAN_TARGET_CPU"] ?? "native"
let cpuFlags: [SwiftSetting] = targetCPU == "generic" ? [] : [.unsafeFlags(["-target-cpu", targetCPU])]
// AVX2 integer intrinsics (vpmaddubsw / vpmaddwd) for the quantized dot products, when the target CPU
// has them: `native` on a host whose /proc/cpuinfo lists avx2, or a named CPU (which must be haswell or
// newer). Importing them for a CPU without AVX2 crashes the compiler, hence the check; the pure-Swift
// kernels are the portable path and give identical results.
let hostHasAVX2 = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx2")) ?? false
let avx2: [SwiftSetting] = targetCPU != "generic" && (targetCPU != "native" || hostHasAVX2)
    ? [.define("BANYAN_AVX2", .when(platforms: [.linux]))] : []
// vpdpbusd (u8×s8 dot products into Int32, one instruction where AVX2 needs two): AVX512-VNNI with VL
// (Zen 4/5, recent Xeons) or AVX-VNNI. The instruction reaches Swift through CIntrinsics' wrappers.
let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("flags") }
    .map { Set($0.split(separator: " ").map(String.init)) } ?? []
let vnni512 = targetCPU == "native" && flags.contains("avx512_vnni") && flags.contains("avx512vl")
let avxVNNI = targetCPU == "native" && !vnni512 && flags.contains("avx_vnni")
let vnniDefine = vnni512 ? "BANYAN_VNNI512" : avxVNNI ? "BANYAN_AVXVNNI" : nil
let vnni: [SwiftSetting] = !avx2.isEmpty && vnniDefine != nil
    ? [.define("BANYAN_VNNI", .when(platforms: [.linux])), .unsafeFlags(["-Xcc", "-D\(vnniDefine!)"])] : []
let vnniC: [CSetting] = vnniDefine.map { [.define($0)] } ?? []
let fast: [SwiftSetting] = cpuFlags + avx2 + vnni + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Banyan",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Banyan", targets: ["Banyan"]),
        .executable(name: "banyan", targets: ["BanyanCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.29.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "BanyanWeights"),
        .target(name: "CIntrinsics", cSettings: vnniC),
        .target(name: "BanyanKernels", dependencies: ["BanyanWeights", "COpenBLAS", "CIntrinsics"], swiftSettings: fast),
        .target(name: "BanyanTokenizer", dependencies: ["BanyanWeights"]),
        .target(name: "BanyanKV", swiftSettings: fast),
        .target(name: "BanyanModel", dependencies: ["BanyanWeights", "BanyanKernels", "BanyanKV"], swiftSettings: fast),
        .target(name: "BanyanGeneration", dependencies: ["BanyanKV", "BanyanKernels", "BanyanModel", "BanyanTokenizer"]),
        .target(name: "BanyanSearch", dependencies: ["BanyanWeights", "BanyanKernels", "BanyanGeneration", "BanyanTokenizer", "BanyanModel", "BanyanKV"],
                resources: [.copy("Resources")], swiftSettings: fast),
        .target(name: "Banyan", dependencies: ["BanyanWeights", "BanyanKernels", "BanyanTokenizer", "BanyanKV", "BanyanModel", "BanyanGeneration", "BanyanSearch"]),
        .target(name: "BanyanServer", dependencies: [
            "Banyan",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The CLI: the executable is `banyan` (the product), its module BanyanCLI.
        .executableTarget(
            name: "BanyanCLI",
            dependencies: ["Banyan", "BanyanServer", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Seeded corruption sweeps over the readers, in their own process: Swift Testing records a
        // backtrace for every thrown error, which would make 20,000 rejected files take minutes.
        .executableTarget(name: "banyan-corrupt", dependencies: ["BanyanWeights", "BanyanGeneration"]),
        .target(name: "BanyanTestSupport", dependencies: ["Banyan"], path: "Tests/BanyanTestSupport"),
        // Each test target depends on (and imports) the module it tests, so the tests keep the layers honest.
        .testTarget(name: "BanyanWeightsTests", dependencies: ["BanyanWeights", "BanyanModel", "BanyanTestSupport", "banyan-corrupt"]),
        .testTarget(name: "BanyanKVTests", dependencies: ["BanyanKV", "BanyanGeneration"]),
        .testTarget(name: "BanyanSearchTests", dependencies: ["BanyanSearch", "Banyan", "BanyanTestSupport"]),
        .testTarget(name: "BanyanKernelsTests", dependencies: ["BanyanKernels", "BanyanWeights", "BanyanGeneration"], swiftSettings: cpuFlags),
        .testTarget(name: "BanyanTokenizerTests", dependencies: ["BanyanTokenizer", "BanyanGeneration", "BanyanTestSupport"]),
        .testTarget(name: "BanyanServerTests", dependencies: [
            "BanyanServer", "BanyanTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "BanyanModelTests", dependencies: ["BanyanModel", "Banyan", "BanyanTestSupport"], swiftSettings: cpuFlags),
        .executableTarget(
            name: "BanyanBenchmarks",
            dependencies: ["Banyan", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/BanyanBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
