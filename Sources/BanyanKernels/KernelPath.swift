import BanyanWeights

/// Which integer dot-product instructions this build's kernels use, chosen at build time from the host
/// (Package.swift reads /proc/cpuinfo): printed by `banyan bench` and the side-by-side scripts.
public enum KernelPath {
    public static var current: String {
        #if BANYAN_VNNI && arch(x86_64)
        return "avx2 + vpdpbusd (VNNI)"
        #elseif BANYAN_AVX2 && arch(x86_64)
        return "avx2 (vpmaddubsw + vpmaddwd)"
        #else
        return "portable Swift SIMD"
        #endif
    }
}

/// The block sums of every compiled path, for the kernel tests (see `QuantizedBlockDot.blockSums`).
package enum BlockSumKernel {
    package static func sums(_ type: GGMLType, weights: [UInt8], activations: [Int8]) -> (portable: [Int32], native: [Int32]) {
        QuantizedBlockDot.blockSums(type, weights: weights, activations: activations)
    }
}
