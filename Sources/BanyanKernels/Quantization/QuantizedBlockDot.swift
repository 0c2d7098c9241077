import BanyanWeights
#if BANYAN_AVX2 && arch(x86_64)
import _Builtin_intrinsics.intel
#endif
#if BANYAN_VNNI && arch(x86_64)
import CIntrinsics
#endif

/// A weight block format that multiplies against 8-bit activation blocks of 32.
protocol Q8BlockFormat {
    static var bytes: Int { get }
    /// The 32 weights as bytes in element order, with the scale d and minimum m (0 if none).
    static func unpack(_ p: UnsafeRawPointer) -> (w: SIMD16<Int16>, d: Float, m: Float)
    /// Even and odd weights of each Int16 lane as exact integers.
    static func split(_ w: SIMD16<Int16>) -> (even: SIMD16<Int16>, odd: SIMD16<Int16>)
    /// Whether the block adds m·Σx (Q4_1).
    static var hasMinimum: Bool { get }
    /// How the weights enter the integer sum: unsigned nibbles, nibbles less 8, or signed bytes.
    static var integers: BlockIntegers { get }
}

enum BlockIntegers { case unsignedNibbles, offsetNibbles, signedBytes }

enum Q4_1Blocks: Q8BlockFormat {
    static let bytes = 20
    static let hasMinimum = true
    static let integers = BlockIntegers.unsignedNibbles
    @inline(__always) static func unpack(_ p: UnsafeRawPointer) -> (w: SIMD16<Int16>, d: Float, m: Float) {
        let n = (p + 4).loadUnaligned(as: SIMD8<Int16>.self)
        // Low nibbles are elements 0–15, high nibbles 16–31: in element order once masked.
        return (SIMD16(lowHalf: n & 0x0F0F, highHalf: (n &>> 4) & 0x0F0F), Dequantize.half(p, 0), Dequantize.half(p, 2))
    }
    @inline(__always) static func split(_ w: SIMD16<Int16>) -> (even: SIMD16<Int16>, odd: SIMD16<Int16>) {
        (w & 0x00FF, w &>> 8)
    }
}

enum Q4_0Blocks: Q8BlockFormat {
    static let bytes = 18
    static let hasMinimum = false
    static let integers = BlockIntegers.offsetNibbles
    @inline(__always) static func unpack(_ p: UnsafeRawPointer) -> (w: SIMD16<Int16>, d: Float, m: Float) {
        let n = (p + 2).loadUnaligned(as: SIMD8<Int16>.self)
        return (SIMD16(lowHalf: n & 0x0F0F, highHalf: (n &>> 4) & 0x0F0F), Dequantize.half(p, 0), 0)
    }
    /// Nibbles less 8: exact integers, as llama.cpp sums them.
    @inline(__always) static func split(_ w: SIMD16<Int16>) -> (even: SIMD16<Int16>, odd: SIMD16<Int16>) {
        ((w & 0x00FF) &- 8, (w &>> 8) &- 8)
    }
}

enum Q8_0Blocks: Q8BlockFormat {
    static let bytes = 34
    static let hasMinimum = false
    static let integers = BlockIntegers.signedBytes
    @inline(__always) static func unpack(_ p: UnsafeRawPointer) -> (w: SIMD16<Int16>, d: Float, m: Float) {
        ((p + 2).loadUnaligned(as: SIMD16<Int16>.self), Dequantize.half(p, 0), 0)
    }
    @inline(__always) static func split(_ w: SIMD16<Int16>) -> (even: SIMD16<Int16>, odd: SIMD16<Int16>) {
        ((w &<< 8) &>> 8, w &>> 8)
    }
}

/// SIMD dot products of Q4_0 / Q4_1 / Q8_0 weight rows with 8-bit activation rows, one or four
/// activation rows per pass over the weights.
///
/// Pure Swift in the "same-width" style that LLVM compiles to straight AVX2 code (no lane-type
/// conversions, which Swift emits as out-of-line calls): 32 bytes load as `SIMD16<Int16>`, even and
/// odd bytes are split by shifts, multiplied in Int16, folded pairwise into `SIMD8<Int32>`, and each
/// block's sum is scaled into a `SIMD8<Float>` accumulator; even and odd blocks go to two
/// accumulators so consecutive FMAs do not wait on each other. Every row follows the same sequence of
/// operations in the one-row and the four-row kernel, so a row's result never depends on the batch.
enum QuantizedBlockDot {
    /// Σ w·a over one block as eight Int32 partial sums, converted to float. `w` is the unpacked
    /// block (bytes in element order); the integers are exact, so both paths give the same sums.
    @inline(__always)
    static func blockSum<F: Q8BlockFormat>(_ f: F.Type, _ w: SIMD16<Int16>, _ a: SIMD16<Int16>) -> SIMD8<Float> {
        #if BANYAN_AVX2 && arch(x86_64)
        // vcvtdq2ps directly: SIMD8<Float>(SIMD8<Int32>) is an out-of-line generic conversion call (perf: 9%
        // of decode time, more than a fifth of the kernels').
        unsafeBitCast(_mm256_cvtepi32_ps(unsafeBitCast(blockSumAVX2(f, w, a), to: __m256i.self)), to: SIMD8<Float>.self)
        #else
        SIMD8<Float>(blockSumPortable(f, w, a))
        #endif
    }

    /// Pure Swift: even and odd bytes split by shifts, multiplied in Int16, folded pairwise.
    @inline(__always)
    static func blockSumPortable<F: Q8BlockFormat>(_: F.Type, _ w: SIMD16<Int16>, _ a: SIMD16<Int16>) -> SIMD8<Int32> {
        let (wEven, wOdd) = F.split(w)
        let aEven = (a &<< 8) &>> 8, aOdd = a &>> 8
        // |w·a| ≤ 128·127 per product, two per lane: fits Int16 (Q4 products are far smaller).
        let products = wEven &* aEven &+ wOdd &* aOdd
        let pairs = unsafeBitCast(products, to: SIMD8<Int32>.self)
        return ((pairs &<< 16) &>> 16) &+ (pairs &>> 16)
    }

    #if BANYAN_AVX2 && arch(x86_64)
    /// AVX2, as llama.cpp: u8×s8 pairs summed to Int16 (vpmaddubsw), then pairs of those to Int32
    /// (vpmaddwd with ones). Signed weights go through |w| and a·sign(w).
    @inline(__always)
    static func blockSumAVX2<F: Q8BlockFormat>(_: F.Type, _ w: SIMD16<Int16>, _ a: SIMD16<Int16>) -> SIMD8<Int32> {
        let wv = unsafeBitCast(w, to: __m256i.self), av = unsafeBitCast(a, to: __m256i.self)
        #if BANYAN_VNNI
        // vpdpbusd sums the same four products into each Int32 lane as maddubs + madd: identical sums, one instruction.
        let zero = _mm256_setzero_si256()
        switch F.integers {
        case .unsignedNibbles:
            return unsafeBitCast(banyan_dpbusd(zero, wv, av), to: SIMD8<Int32>.self)
        case .offsetNibbles:
            return unsafeBitCast(_mm256_sub_epi32(banyan_dpbusd(zero, wv, av), banyan_dpbusd(zero, _mm256_set1_epi8(8), av)), to: SIMD8<Int32>.self)
        case .signedBytes:
            return unsafeBitCast(banyan_dpbusd(zero, _mm256_sign_epi8(wv, wv), _mm256_sign_epi8(av, wv)), to: SIMD8<Int32>.self)
        }
        #else
        let pairs: __m256i
        switch F.integers {
        case .unsignedNibbles:
            pairs = _mm256_maddubs_epi16(wv, av)
        case .offsetNibbles:
            // Σ(w−8)·a = Σw·a − Σ8·a, both exact in Int16.
            pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(wv, av), _mm256_maddubs_epi16(_mm256_set1_epi8(8), av))
        case .signedBytes:
            pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(av, wv))
        }
        return unsafeBitCast(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)), to: SIMD8<Int32>.self)
        #endif
    }
    #endif

    /// The running sums of one activation row.
    struct Accumulator {
        var even = SIMD8<Float>(repeating: 0), odd = SIMD8<Float>(repeating: 0)
        var minimumEven: Float = 0, minimumOdd: Float = 0

        @inline(__always) mutating func add<F: Q8BlockFormat>(_: F.Type, odd isOdd: Bool, sum: SIMD8<Float>, d: Float, m: Float,
                                                              xd: Float, xs: Float) {
            if isOdd {
                odd.addProduct(sum, SIMD8(repeating: d * xd))
                if F.hasMinimum { minimumOdd += m * xs }
            } else {
                even.addProduct(sum, SIMD8(repeating: d * xd))
                if F.hasMinimum { minimumEven += m * xs }
            }
        }

        @inline(__always) var total: Float { (even + odd).sum() + (minimumEven + minimumOdd) }
    }

    @inline(__always)
    static func dot1<F: Q8BlockFormat>(_ f: F.Type, _ w: UnsafeRawPointer, _ x: QuantizedActivations, row r: Int) -> Float {
        let blocks = x.blocksPerRow
        let xq = UnsafeRawPointer(x.q + r * x.width), xd = x.d + r * blocks, xs = x.s + r * blocks
        var acc = Accumulator()
        @inline(__always) func block(_ b: Int, odd: Bool) {
            let (wv, d, m) = F.unpack(w + b * F.bytes)
            let s = blockSum(f, wv, (xq + 32 * b).loadUnaligned(as: SIMD16<Int16>.self))
            acc.add(f, odd: odd, sum: s, d: d, m: m, xd: xd[b], xs: xs[b])
        }
        var b = 0
        while b + 2 <= blocks { block(b, odd: false); block(b + 1, odd: true); b += 2 }
        if b < blocks { block(b, odd: false) }
        return acc.total
    }

    @inline(__always)
    static func dot4<F: Q8BlockFormat>(_ f: F.Type, _ w: UnsafeRawPointer, _ x: QuantizedActivations, rows r0: Int,
                                       into y: UnsafeMutablePointer<Float>, stride: Int) {
        let blocks = x.blocksPerRow, width = x.width
        let xq = UnsafeRawPointer(x.q + r0 * width), xd = x.d + r0 * blocks, xs = x.s + r0 * blocks
        var a0 = Accumulator(), a1 = Accumulator(), a2 = Accumulator(), a3 = Accumulator()
        @inline(__always) func block(_ b: Int, odd: Bool) {
            let (wv, d, m) = F.unpack(w + b * F.bytes)
            let p = xq + 32 * b
            a0.add(f, odd: odd, sum: blockSum(f, wv, p.loadUnaligned(as: SIMD16<Int16>.self)), d: d, m: m, xd: xd[b], xs: xs[b])
            a1.add(f, odd: odd, sum: blockSum(f, wv, (p + width).loadUnaligned(as: SIMD16<Int16>.self)), d: d, m: m,
                   xd: xd[blocks + b], xs: xs[blocks + b])
            a2.add(f, odd: odd, sum: blockSum(f, wv, (p + 2 * width).loadUnaligned(as: SIMD16<Int16>.self)), d: d, m: m,
                   xd: xd[2 * blocks + b], xs: xs[2 * blocks + b])
            a3.add(f, odd: odd, sum: blockSum(f, wv, (p + 3 * width).loadUnaligned(as: SIMD16<Int16>.self)), d: d, m: m,
                   xd: xd[3 * blocks + b], xs: xs[3 * blocks + b])
        }
        var b = 0
        while b + 2 <= blocks { block(b, odd: false); block(b + 1, odd: true); b += 2 }
        if b < blocks { block(b, odd: false) }
        y[0] = a0.total
        y[stride] = a1.total
        y[2 * stride] = a2.total
        y[3 * stride] = a3.total
    }

    /// Outputs `outputs` of a weight matrix for every activation row in `rows`: fours first, then the
    /// rest one by one. Specialized per format, so the inner loops see no dispatch.
    @inline(never)
    static func tile<F: Q8BlockFormat>(_ f: F.Type, weights base: UnsafeRawPointer, rowBytes: Int, outputs: Range<Int>,
                                       _ x: QuantizedActivations, rows: Range<Int>, into y: UnsafeMutablePointer<Float>, stride: Int) {
        for o in outputs {
            let w = base + o * rowBytes
            var r = rows.lowerBound
            while r + 4 <= rows.upperBound {
                dot4(f, w, x, rows: r, into: y + r * stride + o, stride: stride)
                r += 4
            }
            while r < rows.upperBound {
                y[r * stride + o] = dot1(f, w, x, row: r)
                r += 1
            }
        }
    }

    static func supports(_ type: GGMLType) -> Bool { type == .q4_0 || type == .q4_1 || type == .q8_0 }

    /// The eight Int32 partial sums of one block (`weights`: the raw block bytes; `activations`: 32 int8
    /// values) from the portable path and from the instructions this build uses (AVX2, or VNNI): for the
    /// kernel tests, which check both against a scalar reference.
    package static func blockSums(_ type: GGMLType, weights: [UInt8], activations: [Int8]) -> (portable: [Int32], native: [Int32]) {
        func run<F: Q8BlockFormat>(_ f: F.Type) -> ([Int32], [Int32]) {
            weights.withUnsafeBytes { w in
                activations.withUnsafeBytes { a in
                    let wv = F.unpack(w.baseAddress!).w, av = a.baseAddress!.loadUnaligned(as: SIMD16<Int16>.self)
                    let portable = blockSumPortable(f, wv, av)
                    #if BANYAN_AVX2 && arch(x86_64)
                    let native = blockSumAVX2(f, wv, av)
                    #else
                    let native = portable
                    #endif
                    return ((0..<8).map { portable[$0] }, (0..<8).map { native[$0] })
                }
            }
        }
        switch type {
        case .q4_0: return run(Q4_0Blocks.self)
        case .q4_1: return run(Q4_1Blocks.self)
        case .q8_0: return run(Q8_0Blocks.self)
        default: preconditionFailure("no 8-bit-activation block kernel for \(type)")
        }
    }

    /// `y[r·stride + o]` for o in `outputs`, r in `rows`; `type` must be supported.
    static func tile(_ type: GGMLType, weights base: UnsafeRawPointer, rowBytes: Int, outputs: Range<Int>,
                     _ x: QuantizedActivations, rows: Range<Int>, into y: UnsafeMutablePointer<Float>, stride: Int) {
        switch type {
        case .q4_1: tile(Q4_1Blocks.self, weights: base, rowBytes: rowBytes, outputs: outputs, x, rows: rows, into: y, stride: stride)
        case .q4_0: tile(Q4_0Blocks.self, weights: base, rowBytes: rowBytes, outputs: outputs, x, rows: rows, into: y, stride: stride)
        case .q8_0: tile(Q8_0Blocks.self, weights: base, rowBytes: rowBytes, outputs: outputs, x, rows: rows, into: y, stride: stride)
        default: preconditionFailure("no quantized-activation kernel for \(type)")
        }
    }
}
