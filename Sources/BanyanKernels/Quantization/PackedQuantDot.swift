import BanyanWeights
import Foundation
#if BANYAN_AVX2 && arch(x86_64)
import _Builtin_intrinsics.intel
import CIntrinsics
#endif

/// Q4_0, Q4_1 and Q8_0 weights repacked at load into groups of 8 rows, so one 256-bit instruction works on
/// 4 elements of 8 rows at once (llama.cpp's repack / tinyBLAS layout): per block of 32 elements, the 8 rows'
/// fp16 scales (and Q4_1 minimums) side by side, then the quants as 32-byte chunks whose Int32 lane r holds
/// 4 bytes of row r. Each activation block's 4-byte groups are broadcast once and meet all 8 rows; the 8
/// scales convert in one instruction. Per row and block the integer sum is exact (Q4_0's offset of 8 comes
/// off as 8·Σx, the activation block's exact integer sum, so Σ(q − 8)·x is the unpacked kernel's integer),
/// then `acc += Float(Σ) · (d·xd) (+ m·xs)`, the same instructions for every activation row whatever the batch.
public enum PackedQuantDot {
    public static let groupRows = 8

    /// Bytes of one block of one row, and where the quants start in the 8-row group's block (after the
    /// 8 scales, and Q4_1's 8 minimums).
    static func layout(_ type: GGMLType) -> (blockBytes: Int, header: Int) {
        switch type {
        case .q4_0: return (18, 16)
        case .q4_1: return (20, 32)
        default: return (34, 16)  // Q8_0
        }
    }

    /// Whether `view` can be repacked (and this build has the kernels): Q4_0, Q4_1 or Q8_0, rows a multiple of 8.
    public static func supports(_ view: TensorView) -> Bool {
        #if BANYAN_AVX2 && arch(x86_64)
        return [.q4_0, .q4_1, .q8_0].contains(view.type) && view.rowCount % groupRows == 0 && view.rowLength % 32 == 0
            && ProcessInfo.processInfo.environment["BANYAN_NO_REPACK"] == nil
        #else
        return false
        #endif
    }

    /// The view with its weights repacked beside the mapping (the mapping is not touched).
    public static func pack(_ view: TensorView) -> TensorView {
        guard supports(view) else { return view }
        let blocks = view.rowLength / 32
        let source = view.baseAddress, rowBytes = view.rowBytes
        let packed = PackedRows(groupRows: groupRows, byteCount: view.rowCount * rowBytes)
        let out = packed.baseAddress
        let q41 = view.type == .q4_1
        let (blockBytes, headerBytes) = layout(view.type)
        let chunks = view.type == .q8_0 ? 8 : 4, quantOffset = q41 ? 4 : 2
        for g in 0..<(view.rowCount / groupRows) {
            for b in 0..<blocks {
                let dst = out + (g * blocks + b) * groupRows * blockBytes
                for r in 0..<groupRows {
                    let src = source + (g * groupRows + r) * rowBytes + b * blockBytes
                    (dst + 2 * r).copyMemory(from: src, byteCount: 2)                       // d
                    if q41 { (dst + 16 + 2 * r).copyMemory(from: src + 2, byteCount: 2) }    // m
                    for c in 0..<chunks {
                        (dst + headerBytes + 32 * c + 4 * r).copyMemory(from: src + quantOffset + 4 * c, byteCount: 4)
                    }
                }
            }
        }
        var v = view
        v.packed = packed
        return v
    }

    #if BANYAN_AVX2 && arch(x86_64)
    /// How far ahead of the block it is reading the tile asks for weights (prefetcht0), in bytes: 4 KiB, about
    /// 25 blocks of a Q4_1 group. The weights stream through each thread's rows once per step, and without the
    /// hint decode waited on the loads: on the session-10 Xeon, decode medians went from 184 to 253 tok/s
    /// (host path) and from 158 to 240 (AVX2 path) with it; 1, 2, 8 and 16 KiB measured no better.
    /// `BANYAN_PREFETCH=bytes` overrides it for measuring on another host (0 turns it off); the sums are the
    /// same either way.
    static let prefetchDistance = ProcessInfo.processInfo.environment["BANYAN_PREFETCH"].flatMap { Int($0) } ?? 4096

    /// Σ over 4-byte groups of u8·s8 products into Int32 lanes: vpdpbusd, or maddubs + madd (same sums).
    @inline(__always)
    static func dot(_ acc: __m256i, _ u8: __m256i, _ s8: __m256i) -> __m256i {
        #if BANYAN_VNNI
        return banyan_dpbusd(acc, u8, s8)
        #else
        return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u8, s8), _mm256_set1_epi16(1)))
        #endif
    }

    @inline(__always)
    static func broadcast(_ p: UnsafeRawPointer) -> __m256i { _mm256_set1_epi32(p.loadUnaligned(as: Int32.self)) }

    /// One block of one 8-row group against one activation row: the 8 rows' exact integer sums. Four
    /// independent chains of multiply-adds (each instruction waits on the one before in its chain), added
    /// at the end: integers, so the sums are the same however they are grouped. `w` points at the block's
    /// quants (Q4_0 and Q4_1 share the nibble layout).
    @inline(__always)
    static func q4Sums(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, mask: __m256i) -> __m256i {
        #if !BANYAN_VNNI
        // Without VNNI: the block's eight `vpmaddubsw` products (pairs of 4-bit weight × 8-bit activation, at
        // most 2·15·127 = 3,810 each) add up in 16-bit lanes (at most 30,480, no overflow) before the one
        // `vpmaddwd` that widens them: the same exact sums with a third of the widening work.
        var p = _mm256_setzero_si256()
        for c in 0..<4 {
            let q = (w + 32 * c).loadUnaligned(as: __m256i.self)
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(_mm256_and_si256(q, mask), broadcast(a + 4 * c)))
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), mask), broadcast(a + 16 + 4 * c)))
        }
        return _mm256_madd_epi16(p, _mm256_set1_epi16(1))
        #else
        let zero = _mm256_setzero_si256()
        var s0 = zero, s1 = zero, s2 = zero, s3 = zero
        for c in stride(from: 0, to: 4, by: 2) {
            let q0 = (w + 32 * c).loadUnaligned(as: __m256i.self), q1 = (w + 32 + 32 * c).loadUnaligned(as: __m256i.self)
            s0 = dot(s0, _mm256_and_si256(q0, mask), broadcast(a + 4 * c))
            s1 = dot(s1, _mm256_and_si256(_mm256_srli_epi16(q0, 4), mask), broadcast(a + 16 + 4 * c))
            s2 = dot(s2, _mm256_and_si256(q1, mask), broadcast(a + 4 * c + 4))
            s3 = dot(s3, _mm256_and_si256(_mm256_srli_epi16(q1, 4), mask), broadcast(a + 20 + 4 * c))
        }
        return _mm256_add_epi32(_mm256_add_epi32(s0, s1), _mm256_add_epi32(s2, s3))
        #endif
    }

    @inline(__always)
    static func q80Sums(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer) -> __m256i {
        let zero = _mm256_setzero_si256()
        var s = (zero, zero, zero, zero)
        @inline(__always) func step(_ c: Int, _ acc: inout __m256i) {
            let q = (w + 16 + 32 * c).loadUnaligned(as: __m256i.self)
            acc = dot(acc, _mm256_sign_epi8(q, q), _mm256_sign_epi8(broadcast(a + 4 * c), q))
        }
        for c in stride(from: 0, to: 8, by: 4) { step(c, &s.0); step(c + 1, &s.1); step(c + 2, &s.2); step(c + 3, &s.3) }
        return _mm256_add_epi32(_mm256_add_epi32(s.0, s.1), _mm256_add_epi32(s.2, s.3))
    }

    /// The same sums for two activation rows at once: each weight chunk is loaded and unpacked once and
    /// meets both rows (a 2-row register tile, as tinyBLAS does). Integer sums, so each row's result is the
    /// one-row kernel's exactly.
    @inline(__always)
    static func q4Sums2(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, mask: __m256i) -> (__m256i, __m256i) {
        #if !BANYAN_VNNI
        // As in `q4Sums`: 16-bit sums of the block's products, widened once per row.
        var p = _mm256_setzero_si256(), t = _mm256_setzero_si256()
        for c in 0..<4 {
            let q = (w + 32 * c).loadUnaligned(as: __m256i.self)
            let lo = _mm256_and_si256(q, mask), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), mask)
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(lo, broadcast(a + 4 * c)))
            t = _mm256_add_epi16(t, _mm256_maddubs_epi16(lo, broadcast(b + 4 * c)))
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(hi, broadcast(a + 16 + 4 * c)))
            t = _mm256_add_epi16(t, _mm256_maddubs_epi16(hi, broadcast(b + 16 + 4 * c)))
        }
        let ones = _mm256_set1_epi16(1)
        return (_mm256_madd_epi16(p, ones), _mm256_madd_epi16(t, ones))
        #else
        let zero = _mm256_setzero_si256()
        var s0 = zero, s1 = zero, t0 = zero, t1 = zero
        for c in stride(from: 0, to: 4, by: 2) {
            let q0 = (w + 32 * c).loadUnaligned(as: __m256i.self), q1 = (w + 32 + 32 * c).loadUnaligned(as: __m256i.self)
            let lo0 = _mm256_and_si256(q0, mask), hi0 = _mm256_and_si256(_mm256_srli_epi16(q0, 4), mask)
            let lo1 = _mm256_and_si256(q1, mask), hi1 = _mm256_and_si256(_mm256_srli_epi16(q1, 4), mask)
            s0 = dot(s0, lo0, broadcast(a + 4 * c)); t0 = dot(t0, lo0, broadcast(b + 4 * c))
            s1 = dot(s1, hi0, broadcast(a + 16 + 4 * c)); t1 = dot(t1, hi0, broadcast(b + 16 + 4 * c))
            s0 = dot(s0, lo1, broadcast(a + 4 * c + 4)); t0 = dot(t0, lo1, broadcast(b + 4 * c + 4))
            s1 = dot(s1, hi1, broadcast(a + 20 + 4 * c)); t1 = dot(t1, hi1, broadcast(b + 20 + 4 * c))
        }
        return (_mm256_add_epi32(s0, s1), _mm256_add_epi32(t0, t1))
        #endif
    }

    @inline(__always)
    static func q80Sums2(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> (__m256i, __m256i) {
        let zero = _mm256_setzero_si256()
        var s0 = zero, s1 = zero, t0 = zero, t1 = zero
        for c in stride(from: 0, to: 8, by: 2) {
            let q0 = (w + 16 + 32 * c).loadUnaligned(as: __m256i.self), q1 = (w + 48 + 32 * c).loadUnaligned(as: __m256i.self)
            let u0 = _mm256_sign_epi8(q0, q0), u1 = _mm256_sign_epi8(q1, q1)
            s0 = dot(s0, u0, _mm256_sign_epi8(broadcast(a + 4 * c), q0)); t0 = dot(t0, u0, _mm256_sign_epi8(broadcast(b + 4 * c), q0))
            s1 = dot(s1, u1, _mm256_sign_epi8(broadcast(a + 4 * c + 4), q1)); t1 = dot(t1, u1, _mm256_sign_epi8(broadcast(b + 4 * c + 4), q1))
        }
        return (_mm256_add_epi32(s0, s1), _mm256_add_epi32(t0, t1))
    }

    /// Outputs `outputs` (a range of whole groups) for every activation row in `rows`: two rows at a time
    /// against each 8-row group (a register tile of 8 weight rows × 2 activation rows), the last odd row alone.
    /// Per row the float work is the one-row kernel's, in the same order, so a row's result never depends
    /// on the batch.
    @inline(never)
    static func tile(_ type: GGMLType, packed base: UnsafeRawPointer, inputs: Int, outputs: Range<Int>, _ x: QuantizedActivations,
                     rows: Range<Int>, into y: UnsafeMutablePointer<Float>, stride: Int) {
        let blocks = inputs / 32
        let q41 = type == .q4_1, q40 = type == .q4_0, q4 = q40 || q41
        let (rowBlockBytes, header) = layout(type)
        let blockBytes = rowBlockBytes * groupRows
        let mask = _mm256_set1_epi8(0x0F)
        // Only the first pass over a group (its first activation rows) asks for the weights ahead; the passes
        // for later rows find the group in cache.
        let ahead = prefetchDistance, lines = (blockBytes + 63) / 64
        @inline(__always) func prefetch(_ w: UnsafeRawPointer, first: Bool) {
            if first && ahead > 0 { for k in 0..<lines { banyan_prefetch(w + ahead + 64 * k) } }
        }
        for o in Swift.stride(from: outputs.lowerBound, to: outputs.upperBound, by: groupRows) {
            let group = base + (o / groupRows) * blocks * blockBytes
            var r = rows.lowerBound
            while r + 2 <= rows.upperBound {
                let first = r == rows.lowerBound
                let a = UnsafeRawPointer(x.q + r * x.width), xd = x.d + r * blocks, xs = x.s + r * blocks
                let a2 = UnsafeRawPointer(x.q + (r + 1) * x.width), xd2 = x.d + (r + 1) * blocks, xs2 = x.s + (r + 1) * blocks
                let xn = x.sums + r * blocks, xn2 = x.sums + (r + 1) * blocks
                // Per row, even and odd blocks in two accumulators, as in the one-row kernel.
                var acc = (_mm256_setzero_ps(), _mm256_setzero_ps()), acc2 = (_mm256_setzero_ps(), _mm256_setzero_ps())
                @inline(__always) func block(_ b: Int, _ acc: inout __m256, _ acc2: inout __m256) {
                    let w = group + b * blockBytes
                    prefetch(w, first: first)
                    let d = _mm256_cvtph_ps(w.loadUnaligned(as: __m128i.self))
                    var (sums, sums2) = q4 ? q4Sums2(w + header, a + 32 * b, a2 + 32 * b, mask: mask) : q80Sums2(w, a + 32 * b, a2 + 32 * b)
                    if q40 {
                        sums = _mm256_sub_epi32(sums, _mm256_set1_epi32(8 &* xn[b]))
                        sums2 = _mm256_sub_epi32(sums2, _mm256_set1_epi32(8 &* xn2[b]))
                    }
                    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d, _mm256_set1_ps(xd[b])), acc)
                    acc2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums2), _mm256_mul_ps(d, _mm256_set1_ps(xd2[b])), acc2)
                    if q41 {
                        let m = _mm256_cvtph_ps((w + 16).loadUnaligned(as: __m128i.self))
                        acc = _mm256_fmadd_ps(m, _mm256_set1_ps(xs[b]), acc)
                        acc2 = _mm256_fmadd_ps(m, _mm256_set1_ps(xs2[b]), acc2)
                    }
                }
                var b = 0
                while b + 2 <= blocks { block(b, &acc.0, &acc2.0); block(b + 1, &acc.1, &acc2.1); b += 2 }
                if b < blocks { block(b, &acc.0, &acc2.0) }
                let out = unsafeBitCast(_mm256_add_ps(acc.0, acc.1), to: SIMD8<Float>.self)
                let out2 = unsafeBitCast(_mm256_add_ps(acc2.0, acc2.1), to: SIMD8<Float>.self)
                for k in 0..<groupRows { y[r * stride + o + k] = out[k]; y[(r + 1) * stride + o + k] = out2[k] }
                r += 2
            }
            if r < rows.upperBound {
                let first = r == rows.lowerBound
                let a = UnsafeRawPointer(x.q + r * x.width), xd = x.d + r * blocks, xs = x.s + r * blocks, xn = x.sums + r * blocks
                var acc = (_mm256_setzero_ps(), _mm256_setzero_ps())
                @inline(__always) func block(_ b: Int, _ acc: inout __m256) {
                    let w = group + b * blockBytes
                    prefetch(w, first: first)
                    let d = _mm256_cvtph_ps(w.loadUnaligned(as: __m128i.self))
                    var sums = q4 ? q4Sums(w + header, a + 32 * b, mask: mask) : q80Sums(w, a + 32 * b)
                    if q40 { sums = _mm256_sub_epi32(sums, _mm256_set1_epi32(8 &* xn[b])) }
                    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d, _mm256_set1_ps(xd[b])), acc)
                    if q41 { acc = _mm256_fmadd_ps(_mm256_cvtph_ps((w + 16).loadUnaligned(as: __m128i.self)), _mm256_set1_ps(xs[b]), acc) }
                }
                var b = 0
                while b + 2 <= blocks { block(b, &acc.0); block(b + 1, &acc.1); b += 2 }
                if b < blocks { block(b, &acc.0) }
                let out = unsafeBitCast(_mm256_add_ps(acc.0, acc.1), to: SIMD8<Float>.self)
                for k in 0..<groupRows { y[r * stride + o + k] = out[k] }
            }
        }
    }
    #endif
}
