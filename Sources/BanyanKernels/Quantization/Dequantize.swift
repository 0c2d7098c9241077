import BanyanWeights

/// Turns quantized blocks back into floats, exactly as ggml's reference dequantizers do.
/// Every kernel elsewhere is tested against these.
public enum Dequantize {
    /// Types the runtime computes with.
    public static let supported: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Dequantizes `count` elements (a whole number of blocks) starting at `src`.
    public static func row(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        let blocks = count / type.blockSize
        let bpb = type.bytesPerBlock
        switch type {
        case .f32:
            dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            for i in 0..<count { dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        case .q4_0:
            for b in 0..<blocks { q4_0(src + b * bpb, dst + 32 * b) }
        case .q4_1:
            for b in 0..<blocks { q4_1(src + b * bpb, dst + 32 * b) }
        case .q5_0, .q5_1:
            for b in 0..<blocks { q5(type, src + b * bpb, dst + 32 * b) }
        case .q8_0:
            for b in 0..<blocks { q8_0(src + b * bpb, dst + 32 * b) }
        case .q4_K:
            for b in 0..<blocks { q4_K(src + b * bpb, dst + 256 * b, fifthBit: false) }
        case .q5_K:
            for b in 0..<blocks { q4_K(src + b * bpb, dst + 256 * b, fifthBit: true) }
        case .q6_K:
            for b in 0..<blocks { q6_K(src + b * bpb, dst + 256 * b) }
        default:
            preconditionFailure("dequantizing \(type) is not supported; check Dequantize.supported first")
        }
    }

    @inline(__always) static func q4_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let q = (p + 2).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Float(Int32(q[j] & 0xF) &- 8) * d
            y[j + 16] = Float(Int32(q[j] >> 4) &- 8) * d
        }
    }

    @inline(__always) static func q4_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), m = half(p, 2)
        let q = (p + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Float(q[j] & 0xF) * d + m
            y[j + 16] = Float(q[j] >> 4) * d + m
        }
    }

    @inline(__always) static func q5(_ type: GGMLType, _ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let hasMin = type == .q5_1
        let m = hasMin ? half(p, 2) : 0
        let h = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: hasMin ? 4 : 2, as: UInt32.self))
        let q = (p + (hasMin ? 8 : 6)).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = Int32(q[j] & 0xF) | Int32((h >> UInt32(j)) & 1) << 4
            let hi = Int32(q[j] >> 4) | Int32((h >> UInt32(j + 16)) & 1) << 4
            if hasMin {
                y[j] = Float(lo) * d + m
                y[j + 16] = Float(hi) * d + m
            } else {
                y[j] = Float(lo &- 16) * d
                y[j + 16] = Float(hi &- 16) * d
            }
        }
    }

    @inline(__always) static func q8_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let q = (p + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { y[j] = Float(q[j]) * d }
    }

    /// Q4_K's packed 6-bit scale and min of sub-block `j`.
    @inline(__always) static func scaleMin(_ j: Int, _ s: UnsafePointer<UInt8>) -> (Float, Float) {
        if j < 4 {
            return (Float(s[j] & 63), Float(s[j + 4] & 63))
        }
        return (Float((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4)), Float((s[j + 4] >> 4) | ((s[j] >> 6) << 4)))
    }

    static func q4_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, fifthBit: Bool) {
        let d = half(p, 0), dmin = half(p, 2)
        let scales = (p + 4).assumingMemoryBound(to: UInt8.self)
        let qh = (p + 16).assumingMemoryBound(to: UInt8.self)
        let qs = (p + (fifthBit ? 48 : 16)).assumingMemoryBound(to: UInt8.self)
        for c in 0..<4 {
            let (sc1, m1) = scaleMin(2 * c, scales)
            let (sc2, m2) = scaleMin(2 * c + 1, scales)
            let d1 = d * sc1, d2 = d * sc2, mm1 = dmin * m1, mm2 = dmin * m2
            for l in 0..<32 {
                var lo = Int32(qs[32 * c + l] & 0xF), hi = Int32(qs[32 * c + l] >> 4)
                if fifthBit {
                    if qh[l] & (1 << (2 * c)) != 0 { lo += 16 }
                    if qh[l] & (1 << (2 * c + 1)) != 0 { hi += 16 }
                }
                y[64 * c + l] = d1 * Float(lo) - mm1
                y[64 * c + 32 + l] = d2 * Float(hi) - mm2
            }
        }
    }

    static func q6_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 208)
        for n in 0..<2 {
            let ql = (p + 64 * n).assumingMemoryBound(to: UInt8.self)
            let qh = (p + 128 + 32 * n).assumingMemoryBound(to: UInt8.self)
            let sc = (p + 192 + 8 * n).assumingMemoryBound(to: Int8.self)
            let out = y + 128 * n
            for l in 0..<32 {
                let i = l / 16
                let q1 = Int32((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32
                let q2 = Int32((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32
                let q3 = Int32((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32
                let q4 = Int32((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32
                out[l] = d * Float(sc[i]) * Float(q1)
                out[l + 32] = d * Float(sc[i + 2]) * Float(q2)
                out[l + 64] = d * Float(sc[i + 4]) * Float(q3)
                out[l + 96] = d * Float(sc[i + 6]) * Float(q4)
            }
        }
    }
}
