import Banyan
import Foundation

/// The real default model for tests, fetched into the cache on first use (tests run on real weights).
public enum TestModel {
    public static let path: String = {
        do {
            return try DefaultModel.resolve(explicit: nil).path
        } catch {
            fatalError("tests need the default model and could not get it: \(error)")
        }
    }()

    public static let gguf: GGUFFile = try! GGUFFile(path: path)

    /// `$BANYAN_SHARED`, else `../shared` beside the checkout: reference outputs and data sets.
    public static let sharedDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["BANYAN_SHARED"], !dir.isEmpty { return dir }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    public static func sharedFile(_ relative: String) -> String { sharedDirectory + "/" + relative }
}

/// A small deterministic generator (SplitMix64), so seeded tests repeat exactly.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}
