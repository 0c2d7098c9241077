import Foundation

/// One query's attention, accumulated chunk by chunk of keys (online softmax).
///
/// The running state (max score, sum of weights, weighted sum of values) after a chunk depends only
/// on this query and the keys so far, never on which other queries ran beside it. So attention over
/// a shared prefix can be computed once for many sequences and each sequence's own suffix continued
/// from that state, with bit-for-bit the result of one sequence attending alone, provided that chunks
/// start at the same absolute positions (`AttentionChunks.size`).
public enum OnlineAttention {
    /// Folds `count` keys and values (contiguous f32 rows of `headSize`) into the state of query `q`.
    /// `m` and `l` are the running max and weight sum (start at −∞ and 0), `o` the unnormalized output.
    /// `roundWeightsToHalf` rounds each value's weight to f16, as llama.cpp's f16 V product does.
    /// `scores` needs room for `count` rounded up to a multiple of 8.
    @inline(__always)
    public static func accumulate(query q: UnsafePointer<Float>, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>,
                                  count: Int, headSize hd: Int, scale: Float, scores s: UnsafeMutablePointer<Float>,
                                  roundWeightsToHalf: Bool, m: inout Float, l: inout Float, o: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        // State in locals for the chunk: through the inout/pointer it would round-trip memory per key.
        var mm = m, ll = l
        var top = mm
        for j in 0..<count {
            s[j] = VectorMath.dot(q, k + j * hd, count: hd) * scale
            top = max(top, s[j])
        }
        if top > mm {
            let rescale = mm == -.infinity ? 0 : Foundation.exp(mm - top)
            ll *= rescale
            for i in 0..<hd { o[i] *= rescale }
            mm = top
        }
        // Shifted scores are ≤ 0; below −87.3 their weight is ~0 anyway (a plain loop: it vectorizes).
        let padded = (count + 7) / 8 * 8
        for j in 0..<padded { s[j] = Swift.max(s[j] - mm, -87.3) }
        var j = 0
        while j < count {
            let e = VectorMath.exp(UnsafeRawPointer(s + j).loadUnaligned(as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(s + j).storeBytes(of: e, as: SIMD8<Float>.self)
            j += 8
        }
        // llama.cpp multiplies V by f16 probabilities: the weight on V is rounded, the sum is not.
        for j in 0..<count {
            ll += s[j]
            if roundWeightsToHalf { s[j] = Float(Float16(s[j])) }
        }
        if hd == 64 {
            weightedSum64(s, v, count: count, o)
        } else {
            for j in 0..<count { VectorMath.axpy(s[j], v + j * hd, o, count: hd) }
        }
        m = mm
        l = ll
    }

    /// o += Σ_j w[j]·v[j] for 64-wide rows, the output held in eight registers across the keys (the
    /// same sums, in the same order, as one `axpy` per key).
    @inline(__always)
    static func weightedSum64(_ w: UnsafePointer<Float>, _ v: UnsafePointer<Float>, count: Int, _ o: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(o)
        var o0 = raw.loadUnaligned(as: SIMD8<Float>.self), o1 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        var o2 = raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), o3 = raw.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        var o4 = raw.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self), o5 = raw.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self)
        var o6 = raw.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self), o7 = raw.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self)
        for j in 0..<count {
            let p = SIMD8<Float>(repeating: w[j])
            let r = UnsafeRawPointer(v + 64 * j)
            o0.addProduct(p, r.loadUnaligned(as: SIMD8<Float>.self))
            o1.addProduct(p, r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            o2.addProduct(p, r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            o3.addProduct(p, r.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            o4.addProduct(p, r.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self))
            o5.addProduct(p, r.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self))
            o6.addProduct(p, r.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self))
            o7.addProduct(p, r.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self))
        }
        raw.storeBytes(of: o0, as: SIMD8<Float>.self)
        raw.storeBytes(of: o1, toByteOffset: 32, as: SIMD8<Float>.self)
        raw.storeBytes(of: o2, toByteOffset: 64, as: SIMD8<Float>.self)
        raw.storeBytes(of: o3, toByteOffset: 96, as: SIMD8<Float>.self)
        raw.storeBytes(of: o4, toByteOffset: 128, as: SIMD8<Float>.self)
        raw.storeBytes(of: o5, toByteOffset: 160, as: SIMD8<Float>.self)
        raw.storeBytes(of: o6, toByteOffset: 192, as: SIMD8<Float>.self)
        raw.storeBytes(of: o7, toByteOffset: 224, as: SIMD8<Float>.self)
    }
}

/// Keys are visited in chunks that start at multiples of `size` (absolute positions), so that the
/// order of floating-point work is the same for a sequence however its keys are split between passes.
public enum AttentionChunks {
    public static let size = 32
}
