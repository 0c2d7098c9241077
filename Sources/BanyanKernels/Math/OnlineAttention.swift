import Foundation

#if BANYAN_AVX2 && arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The keys and values of one chunk of positions, row `j` of each where the cache keeps it: attention
/// reads the cache's pages in place, converting f16 to f32 in registers, instead of gathering copies.
public protocol AttentionRows {
    /// Elements `i..<i+16` of key row `j`, as floats.
    func keys16(_ j: Int, _ i: Int) -> SIMD16<Float>
    func key(_ j: Int, _ i: Int) -> Float
    /// Elements `i..<i+8` of value row `j`, as floats.
    func values8(_ j: Int, _ i: Int) -> SIMD8<Float>
    func value(_ j: Int, _ i: Int) -> Float
}

/// f16 rows at their own addresses (a KV page's slots); converted with vcvtph2ps where the build has it.
public struct HalfRows: AttentionRows {
    public let keys: UnsafePointer<UnsafeRawPointer>
    public let values: UnsafePointer<UnsafeRawPointer>
    public init(keys: UnsafePointer<UnsafeRawPointer>, values: UnsafePointer<UnsafeRawPointer>) { (self.keys, self.values) = (keys, values) }

    @inline(__always) static func eight(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        #if BANYAN_AVX2 && arch(x86_64)
        return unsafeBitCast(_mm256_cvtph_ps(p.loadUnaligned(as: __m128i.self)), to: SIMD8<Float>.self)
        #else
        let h = p.loadUnaligned(as: SIMD8<Float16>.self)
        var f = SIMD8<Float>()
        for k in 0..<8 { f[k] = Float(h[k]) }
        return f
        #endif
    }
    @inline(__always) public func keys16(_ j: Int, _ i: Int) -> SIMD16<Float> {
        let p = keys[j] + 2 * i
        return SIMD16(lowHalf: Self.eight(p), highHalf: Self.eight(p + 16))
    }
    @inline(__always) public func key(_ j: Int, _ i: Int) -> Float { Float(keys[j].load(fromByteOffset: 2 * i, as: Float16.self)) }
    @inline(__always) public func values8(_ j: Int, _ i: Int) -> SIMD8<Float> { Self.eight(values[j] + 2 * i) }
    @inline(__always) public func value(_ j: Int, _ i: Int) -> Float { Float(values[j].load(fromByteOffset: 2 * i, as: Float16.self)) }
}

/// f32 rows at their own addresses.
public struct FloatRows: AttentionRows {
    public let keys: UnsafePointer<UnsafeRawPointer>
    public let values: UnsafePointer<UnsafeRawPointer>
    public init(keys: UnsafePointer<UnsafeRawPointer>, values: UnsafePointer<UnsafeRawPointer>) { (self.keys, self.values) = (keys, values) }
    @inline(__always) public func keys16(_ j: Int, _ i: Int) -> SIMD16<Float> { keys[j].loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) }
    @inline(__always) public func key(_ j: Int, _ i: Int) -> Float { keys[j].load(fromByteOffset: 4 * i, as: Float.self) }
    @inline(__always) public func values8(_ j: Int, _ i: Int) -> SIMD8<Float> { values[j].loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) }
    @inline(__always) public func value(_ j: Int, _ i: Int) -> Float { values[j].load(fromByteOffset: 4 * i, as: Float.self) }
}

/// One query's attention, accumulated chunk by chunk of keys (online softmax).
///
/// The running state (max score, sum of weights, weighted sum of values) after a chunk depends only
/// on this query and the keys so far, never on which other queries ran beside it. So attention over
/// a shared prefix can be computed once for many sequences and each sequence's own suffix continued
/// from that state, with bit-for-bit the result of one sequence attending alone, provided that chunks
/// start at the same absolute positions (`AttentionChunks.size`).
public enum OnlineAttention {
    /// Folds `count` keys and values (`rows`, each of `headSize` elements) into the state of query `q`.
    /// `m` and `l` are the running max and weight sum (start at −∞ and 0), `o` the unnormalized output.
    /// `roundWeightsToHalf` rounds each value's weight to f16, as llama.cpp's f16 V product does.
    /// `scores` needs room for `count` rounded up to a multiple of 8.
    public static func accumulate(query q: UnsafePointer<Float>, rows: HalfRows, count: Int, headSize hd: Int, scale: Float,
                                  scores s: UnsafeMutablePointer<Float>, roundWeightsToHalf: Bool,
                                  m: inout Float, l: inout Float, o: UnsafeMutablePointer<Float>) {
        fold(query: q, rows: rows, count: count, headSize: hd, scale: scale, scores: s, roundWeightsToHalf: roundWeightsToHalf, m: &m, l: &l, o: o)
    }

    /// The same on f32 rows.
    public static func accumulate(query q: UnsafePointer<Float>, rows: FloatRows, count: Int, headSize hd: Int, scale: Float,
                                  scores s: UnsafeMutablePointer<Float>, roundWeightsToHalf: Bool,
                                  m: inout Float, l: inout Float, o: UnsafeMutablePointer<Float>) {
        fold(query: q, rows: rows, count: count, headSize: hd, scale: scale, scores: s, roundWeightsToHalf: roundWeightsToHalf, m: &m, l: &l, o: o)
    }

    /// `accumulate`, specialized for each kind of rows inside this module.
    @inline(__always)
    static func fold<R: AttentionRows>(query q: UnsafePointer<Float>, rows: R, count: Int, headSize hd: Int, scale: Float,
                                       scores s: UnsafeMutablePointer<Float>, roundWeightsToHalf: Bool,
                                       m: inout Float, l: inout Float, o: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        // State in locals for the chunk: through the inout/pointer it would round-trip memory per key.
        var mm = m, ll = l
        var top = mm
        for j in 0..<count {
            s[j] = dot(q, rows, key: j, count: hd) * scale
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
            weightedSum64(s, rows, count: count, o)
        } else {
            // `VectorMath.axpy` per key, on rows read in place: the same fused multiply-adds per element.
            for j in 0..<count {
                let a = s[j], av = SIMD8<Float>(repeating: a)
                var i = 0
                while i + 8 <= hd {
                    var yv = UnsafeRawPointer(o + i).loadUnaligned(as: SIMD8<Float>.self)
                    yv.addProduct(av, rows.values8(j, i))
                    UnsafeMutableRawPointer(o + i).storeBytes(of: yv, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < hd { o[i] = o[i].addingProduct(a, rows.value(j, i)); i += 1 }
            }
        }
        m = mm
        l = ll
    }

    /// `VectorMath.dot(q, key j)`: the same 16-lane sums and tree, on a key read in place.
    @inline(__always)
    static func dot<R: AttentionRows>(_ q: UnsafePointer<Float>, _ rows: R, key j: Int, count: Int) -> Float {
        var acc0 = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            acc0.addProduct(UnsafeRawPointer(q + i).loadUnaligned(as: SIMD16<Float>.self), rows.keys16(j, i))
            i += 16
        }
        var s = VectorMath.treeSum(acc0)
        while i < count { s += q[i] * rows.key(j, i); i += 1 }
        return s
    }

    /// o += Σ_j w[j]·v[j] for 64-wide rows, the output held in eight registers across the keys (the
    /// same sums, in the same order, as one `axpy` per key).
    @inline(__always)
    static func weightedSum64<R: AttentionRows>(_ w: UnsafePointer<Float>, _ v: R, count: Int, _ o: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(o)
        var o0 = raw.loadUnaligned(as: SIMD8<Float>.self), o1 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        var o2 = raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), o3 = raw.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        var o4 = raw.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self), o5 = raw.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self)
        var o6 = raw.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self), o7 = raw.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self)
        for j in 0..<count {
            let p = SIMD8<Float>(repeating: w[j])
            o0.addProduct(p, v.values8(j, 0))
            o1.addProduct(p, v.values8(j, 8))
            o2.addProduct(p, v.values8(j, 16))
            o3.addProduct(p, v.values8(j, 24))
            o4.addProduct(p, v.values8(j, 32))
            o5.addProduct(p, v.values8(j, 40))
            o6.addProduct(p, v.values8(j, 48))
            o7.addProduct(p, v.values8(j, 56))
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
