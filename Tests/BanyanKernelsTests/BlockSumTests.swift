import BanyanGeneration
import BanyanKernels
import BanyanWeights
import Foundation
import Testing

/// The integer core of the quantized dot products: for random blocks (every nibble and byte value, the
/// extremes included), the portable path and the instructions this build uses (AVX2's maddubs + madd, or
/// VNNI's vpdpbusd) give exactly the Int32 partial sums a scalar loop over the block's bytes gives.
@Suite struct BlockSumTests {
    /// Each lane k sums elements 4k…4k+3 of the block's 32 (weights in element order) times the activations.
    static func reference(_ type: GGMLType, _ block: [UInt8], _ a: [Int8]) -> [Int32] {
        var w = [Int32](repeating: 0, count: 32)
        switch type {
        case .q4_0, .q4_1:
            let q = Array(block.suffix(16))
            for j in 0..<16 { w[j] = Int32(q[j] & 0xF); w[j + 16] = Int32(q[j] >> 4) }
            if type == .q4_0 { w = w.map { $0 - 8 } }
        case .q8_0:
            w = block.suffix(32).map { Int32(Int8(bitPattern: $0)) }
        default: fatalError()
        }
        return (0..<8).map { k in (0..<4).reduce(0) { $0 + w[4 * k + $1] * Int32(a[4 * k + $1]) } }
    }

    /// CI builds the kernels twice (the host's path, and `BANYAN_TARGET_CPU=haswell` for AVX2 without
    /// VNNI, as on Zen 3) and names the path each build must have picked.
    @Test func theBuildPickedTheExpectedPath() throws {
        guard let expected = ProcessInfo.processInfo.environment["BANYAN_EXPECT_KERNELS"] else { return }
        #expect(KernelPath.current == expected)
    }

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0])
    func everyPathGivesTheScalarSums(type: GGMLType) throws {
        var random = SeededRandom(seed: 11)
        let header = type == .q4_1 ? 4 : 2, payload = type == .q8_0 ? 32 : 16
        for trial in 0..<2000 {
            var block = (0..<(header + payload)).map { _ in UInt8(random.next() & 0xFF) }
            var a = (0..<32).map { _ in Int8(truncatingIfNeeded: Int(random.next() % 255) - 127) }
            if trial == 0 { block = block.prefix(header) + Array(repeating: 0xFF, count: payload); a = Array(repeating: 127, count: 32) }
            if trial == 1 { block = block.prefix(header) + Array(repeating: 0x80, count: payload); a = Array(repeating: -127, count: 32) }
            let expected = Self.reference(type, block, a)
            let (portable, native) = BlockSumKernel.sums(type, weights: block, activations: a)
            #expect(portable == expected, "\(type) trial \(trial): portable \(portable) vs \(expected)")
            #expect(native == expected, "\(type) trial \(trial): \(KernelPath.current) \(native) vs \(expected)")
            if portable != expected || native != expected { return }
        }
    }
}
