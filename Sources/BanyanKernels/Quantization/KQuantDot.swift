import BanyanWeights

/// Fused dot products of Q4_K and Q6_K weight rows with 8-bit activation rows (blocks of 32), without
/// dequantizing the weights to floats. A 256-weight super-block meets eight activation blocks; each
/// 32 weights unpack into bytes in element order and go through the same integer block sum as Q4_0/Q8_0
/// (`QuantizedBlockDot.blockSum`), scaled by the sub-block's scale. The integer sums are exact, so a
/// result equals the dequantized weights dotted with the dequantized activations up to float rounding.
enum KQuantDot {
    static func supports(_ type: GGMLType) -> Bool { type == .q4_K || type == .q6_K }

    /// 32 bytes as 16-bit lanes: byte-wise vector operations with a scalar (SIMD32<UInt8> & 0x0F) come out
    /// as a scalar loop, so nibbles and bit pairs are masked in 16-bit lanes, each byte's bits kept in place.
    @inline(__always) static func load(_ p: UnsafeRawPointer) -> SIMD16<Int16> { p.loadUnaligned(as: SIMD16<Int16>.self) }

    /// Q4_K: w = d·scale_j·q − dmin·min_j, q a nibble, scale and min 6-bit per 32 weights. The minimum
    /// meets the activation block's exact integer sum Σa.
    static func dotQ4K(_ w: UnsafeRawPointer, _ x: QuantizedActivations, row r: Int) -> Float {
        let blocks = x.blocksPerRow
        let xq = UnsafeRawPointer(x.q + r * x.width), xd = x.d + r * blocks, xsum = x.sums + r * blocks
        var acc = SIMD8<Float>(repeating: 0), acc2 = SIMD8<Float>(repeating: 0)
        var minimum: Float = 0
        for sb in 0..<(blocks / 8) {
            let p = w + 144 * sb
            let d = Dequantize.half(p, 0), dmin = Dequantize.half(p, 2)
            let scales = (p + 4).assumingMemoryBound(to: UInt8.self)
            for c in 0..<4 {
                let packed = load(p + 16 + 32 * c)
                let b = 8 * sb + 2 * c
                let (s1, m1) = Dequantize.scaleMin(2 * c, scales)
                let (s2, m2) = Dequantize.scaleMin(2 * c + 1, scales)
                let low = QuantizedBlockDot.blockSum(Q4_1Blocks.self, packed & 0x0F0F, (xq + 32 * b).loadUnaligned(as: SIMD16<Int16>.self))
                let high = QuantizedBlockDot.blockSum(Q4_1Blocks.self, (packed &>> 4) & 0x0F0F, (xq + 32 * b + 32).loadUnaligned(as: SIMD16<Int16>.self))
                acc.addProduct(low, SIMD8(repeating: d * s1 * xd[b]))
                acc2.addProduct(high, SIMD8(repeating: d * s2 * xd[b + 1]))
                minimum += dmin * (m1 * xd[b] * Float(xsum[b]) + m2 * xd[b + 1] * Float(xsum[b + 1]))
            }
        }
        return (acc + acc2).sum() - minimum
    }

    /// Q6_K: w = d·scale_k·(q − 32), q six bits (four low in ql, two high in qh), an 8-bit scale per 16
    /// weights. Each activation block of 32 spans two scales: the block sum's lanes 0–3 hold elements
    /// 0–15 and lanes 4–7 elements 16–31, so the scales go in lane-wise.
    static func dotQ6K(_ w: UnsafeRawPointer, _ x: QuantizedActivations, row r: Int) -> Float {
        let blocks = x.blocksPerRow
        let xq = UnsafeRawPointer(x.q + r * x.width), xd = x.d + r * blocks
        var acc = SIMD8<Float>(repeating: 0), acc2 = SIMD8<Float>(repeating: 0)
        let thirtyTwo = SIMD16<Int16>(repeating: 0x2020)
        for sb in 0..<(blocks / 8) {
            let p = w + 210 * sb
            let d = Dequantize.half(p, 208)
            for n in 0..<2 {
                let l0 = load(p + 64 * n), l1 = load(p + 64 * n + 32), h = load(p + 128 + 32 * n)
                let sc = (p + 192 + 8 * n).assumingMemoryBound(to: Int8.self)
                let q0 = (l0 & 0x0F0F) | ((h & 0x0303) &<< 4)
                let q1 = (l1 & 0x0F0F) | (((h &>> 2) & 0x0303) &<< 4)
                let q2 = ((l0 &>> 4) & 0x0F0F) | (((h &>> 4) & 0x0303) &<< 4)
                let q3 = ((l1 &>> 4) & 0x0F0F) | (((h &>> 6) & 0x0303) &<< 4)
                let b = 8 * sb + 4 * n
                @inline(__always) func part(_ q: SIMD16<Int16>, _ k: Int, _ block: Int) -> SIMD8<Float> {
                    // Σ(q − 32)·a as Σq·a − Σ32·a, both exact (q is unsigned, as Q4_1's nibbles).
                    let a = (xq + 32 * block).loadUnaligned(as: SIMD16<Int16>.self)
                    let sum = QuantizedBlockDot.blockSum(Q4_1Blocks.self, q, a) - QuantizedBlockDot.blockSum(Q4_1Blocks.self, thirtyTwo, a)
                    let scale = d * xd[block]
                    let lanes = SIMD8<Float>(lowHalf: SIMD4(repeating: scale * Float(sc[k])), highHalf: SIMD4(repeating: scale * Float(sc[k + 1])))
                    return sum * lanes
                }
                acc += part(q0, 0, b)
                acc2 += part(q1, 2, b + 1)
                acc += part(q2, 4, b + 2)
                acc2 += part(q3, 6, b + 3)
            }
        }
        return (acc + acc2).sum()
    }

    @inline(__always)
    static func dot(_ type: GGMLType, _ w: UnsafeRawPointer, _ x: QuantizedActivations, row r: Int) -> Float {
        type == .q4_K ? dotQ4K(w, x, row: r) : dotQ6K(w, x, row: r)
    }
}

/// Dot products of F16 and BF16 weight rows with float activations, converting eight or sixteen weights
/// at a time in registers instead of dequantizing the row to memory first.
enum HalfDot {
    static func supports(_ type: GGMLType) -> Bool { type == .f16 || type == .bf16 }

    static func dotF16(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0), acc2 = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let h = w.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)
            acc.addProduct(SIMD8<Float>(h.lowHalf), UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            acc2.addProduct(SIMD8<Float>(h.highHalf), UnsafeRawPointer(x + i + 8).loadUnaligned(as: SIMD8<Float>.self))
            i += 16
        }
        var s = (acc + acc2).sum()
        while i < count { s += Float(w.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)) * x[i]; i += 1 }
        return s
    }

    /// BF16 is a float's upper half: 32 bytes read as eight UInt32 lanes hold sixteen weights, the even
    /// ones in the low halves (shifted up) and the odd ones in the high halves (masked), all same-width.
    static func dotBF16(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var even = SIMD8<Float>(repeating: 0), odd = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let pairs = w.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt32>.self)
            let xs = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            even.addProduct(unsafeBitCast(pairs &<< 16, to: SIMD8<Float>.self), xs.evenHalf)
            odd.addProduct(unsafeBitCast(pairs & 0xFFFF_0000, to: SIMD8<Float>.self), xs.oddHalf)
            i += 16
        }
        var s = (even + odd).sum()
        while i < count {
            s += Float(bitPattern: UInt32(w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) * x[i]
            i += 1
        }
        return s
    }

    @inline(__always)
    static func dot(_ type: GGMLType, _ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        type == .f16 ? dotF16(w, x, count: count) : dotBF16(w, x, count: count)
    }
}
