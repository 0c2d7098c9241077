import BanyanModel
import BanyanWeights
import BanyanTestSupport
import Foundation
import Testing

/// Runs the seeded corruption sweeps (Sources/banyan-corrupt) in a child process and checks that it
/// finished — a crash or a tensor view outside the file kills it — and rejected what it should.
@Suite struct CorruptionTests {
    static func sweep(_ arguments: [String]) throws -> (status: Int32, counts: [String: Int]) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("banyan-corrupt")
        // The test bundle sits in the build directory next to the executables.
        var path = binary.path
        if !FileManager.default.fileExists(atPath: path) {
            path = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("banyan-corrupt").path
        }
        try #require(FileManager.default.fileExists(atPath: path), "build banyan-corrupt first (swift build --product banyan-corrupt)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        print(out.trimmingCharacters(in: .whitespacesAndNewlines))
        var counts: [String: Int] = [:]
        for field in out.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let kv = field.split(separator: "=")
            if kv.count == 2, let n = Int(kv[1]) { counts[String(kv[0])] = n }
        }
        return (p.terminationStatus, counts)
    }

    @Test func tenThousandCorruptedModelHeaders() throws {
        let r = try CorruptionTests.sweep(["gguf", try TestModel.path(), "10000", "2025"])
        #expect(r.status == 0, "the sweep crashed")
        #expect(r.counts["variants"] == 10_000)
        #expect((r.counts["rejected"] ?? 0) + (r.counts["accepted"] ?? 0) == 10_000)
        #expect((r.counts["rejected"] ?? 0) > 5_000, "most corruptions of lengths, counts and offsets must be caught")
    }

    @Test func tenThousandCorruptedSafetensors() throws {
        let r = try CorruptionTests.sweep(["safetensors", "10000", "7"])
        #expect(r.status == 0, "the sweep crashed")
        #expect((r.counts["rejected"] ?? 0) + (r.counts["accepted"] ?? 0) == 10_000)
        #expect((r.counts["rejected"] ?? 0) > 3_000)
    }
}
