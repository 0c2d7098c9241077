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
    @inline(__always)
    public static func accumulate(query q: UnsafePointer<Float>, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>,
                                  count: Int, headSize hd: Int, scale: Float, scores s: UnsafeMutablePointer<Float>,
                                  roundWeightsToHalf: Bool, m: inout Float, l: inout Float, o: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        var top = m
        for j in 0..<count {
            s[j] = VectorMath.dot(q, k + j * hd, count: hd) * scale
            top = max(top, s[j])
        }
        if top > m {
            let rescale = m == -.infinity ? 0 : Foundation.exp(m - top)
            l *= rescale
            for i in 0..<hd { o[i] *= rescale }
            m = top
        }
        for j in 0..<count {
            let p = Foundation.exp(s[j] - m)
            l += p
            // llama.cpp multiplies V by f16 probabilities: the weight on V is rounded, the sum is not.
            VectorMath.axpy(roundWeightsToHalf ? Float(Float16(p)) : p, v + j * hd, o, count: hd)
        }
    }
}

/// Keys are visited in chunks that start at multiples of `size` (absolute positions), so that the
/// order of floating-point work is the same for a sequence however its keys are split between passes.
public enum AttentionChunks {
    public static let size = 32
}
