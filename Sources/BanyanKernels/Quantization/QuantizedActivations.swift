import BanyanWeights

/// Activation rows quantized to 8 bits per block of 32, as llama.cpp does before every Q4/Q5/Q8 matmul
/// (Q8_0 / Q8_1: scale d = amax/127 stored as fp16, s = d·Σq from the unrounded d, round half to even).
/// Integer dot products against quantized weights then match llama.cpp's numerics and read 4× less
/// activation memory than floats.
public struct QuantizedActivations {
    public let rows: Int
    public let width: Int
    public let blocksPerRow: Int
    /// `rows × width` int8 values.
    public let q: UnsafeMutablePointer<Int8>
    /// Per block: fp16-rounded scale d and fp16-rounded d·Σq.
    public let d: UnsafeMutablePointer<Float>
    public let s: UnsafeMutablePointer<Float>
    /// Per block: the exact integer Σq (K-quant minimums meet it).
    public let sums: UnsafeMutablePointer<Int32>

    /// Quantizes `rows × width` floats into fresh buffers; `free()` releases them.
    public init(_ x: UnsafePointer<Float>, rows: Int, width: Int) {
        precondition(width % 32 == 0, "quantized activations need a width that is a multiple of 32")
        let blocks = rows * width / 32
        self.init(rows: rows, width: width, q: .allocate(capacity: rows * width), d: .allocate(capacity: blocks),
                  s: .allocate(capacity: blocks), sums: .allocate(capacity: blocks))
        fill(from: x)
    }

    init(rows: Int, width: Int, q: UnsafeMutablePointer<Int8>, d: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
         sums: UnsafeMutablePointer<Int32>) {
        (self.rows, self.width, blocksPerRow) = (rows, width, width / 32)
        (self.q, self.d, self.s, self.sums) = (q, d, s, sums)
    }

    func fill(from x: UnsafePointer<Float>) { fill(from: x, blocks: 0..<(rows * blocksPerRow)) }

    /// Quantizes blocks `blocks` (of all rows' blocks, row after row); blocks are independent.
    func fill(from x: UnsafePointer<Float>, blocks: Range<Int>) {
        for b in blocks {
            let src = x + 32 * b
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(src[j])) }
            let scale = amax / 127
            let inverse: Float = amax != 0 ? 127 / amax : 0
            var sum: Int32 = 0
            for j in 0..<32 {
                let v = Int8((src[j] * inverse).rounded(.toNearestOrEven))
                q[32 * b + j] = v
                sum &+= Int32(v)
            }
            d[b] = Float(Float16(scale))
            s[b] = Float(Float16(scale * Float(sum)))
            sums[b] = sum
        }
    }

    public func free() {
        q.deallocate()
        d.deallocate()
        s.deallocate()
        sums.deallocate()
    }
}

/// Buffers a caller keeps from one matmul to the next (the forward pass keeps one per engine): the
/// quantized activations and the tile list, grown when a step has more rows than any before, so a
/// decode step allocates nothing for its ~150 matmuls.
public final class MatMulWorkspace {
    private var capacity = 0
    private var q = UnsafeMutablePointer<Int8>.allocate(capacity: 0)
    private var d = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private var s = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private var sums = UnsafeMutablePointer<Int32>.allocate(capacity: 0)
    /// The current product's tiles, kept between calls.
    var tiles = ScratchList<MatMulTile>(capacity: 64)

    public init() {}

    deinit { release() }

    /// `x` quantized into this workspace's buffers; valid until the next call.
    /// With a `pool` and many rows (a prompt), the rows are quantized in parallel.
    func quantize(_ x: UnsafePointer<Float>, rows: Int, width: Int, pool: ThreadPool? = nil) -> QuantizedActivations {
        precondition(width % 32 == 0, "quantized activations need a width that is a multiple of 32")
        let count = rows * width
        if count > capacity {
            release()
            capacity = max(count, 2 * capacity)
            (q, d, s, sums) = (.allocate(capacity: capacity), .allocate(capacity: capacity / 32), .allocate(capacity: capacity / 32),
                               .allocate(capacity: capacity / 32))
        }
        let xq = QuantizedActivations(rows: rows, width: width, q: q, d: d, s: s, sums: sums)
        if let pool, rows >= 16, pool.threadCount > 1 {
            let blocks = rows * width / 32, chunks = 4 * pool.threadCount, per = (blocks + chunks - 1) / chunks
            pool.parallelFor((blocks + per - 1) / per) { k in xq.fill(from: x, blocks: (k * per)..<min(blocks, (k + 1) * per)) }
        } else {
            xq.fill(from: x)
        }
        return xq
    }

    private func release() {
        q.deallocate()
        d.deallocate()
        s.deallocate()
        sums.deallocate()
    }
}

/// Dot products of Q5 weight rows with quantized activations, one block at a time. Q4_0, Q4_1 and Q8_0
/// have SIMD kernels (`QuantizedBlockDot`); Q5 is not in any model the project ships and keeps this
/// plain path.
enum QuantizedDot {
    /// Weight types computed here against 8-bit activations.
    static let types: Set<GGMLType> = [.q5_0, .q5_1]

    @inline(__always)
    static func dot(_ type: GGMLType, _ w: UnsafeRawPointer, _ x: QuantizedActivations, row r: Int) -> Float {
        let blocks = x.blocksPerRow
        let xq = x.q + r * x.width
        let xd = x.d + r * blocks
        let xs = x.s + r * blocks
        var acc: Float = 0
        let hasMin = type == .q5_1
        precondition(type == .q5_0 || hasMin, "\(type) has no quantized-activation dot product here")
        let bytes = hasMin ? 24 : 22
        for b in 0..<blocks {
            let p = w + bytes * b
            let h = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: hasMin ? 4 : 2, as: UInt32.self))
            let qs = (p + (hasMin ? 8 : 6)).assumingMemoryBound(to: UInt8.self)
            let a = xq + 32 * b
            var sum: Int32 = 0
            let offset: Int32 = hasMin ? 0 : 16
            for j in 0..<16 {
                let lo = (Int32(qs[j] & 0xF) | Int32((h >> UInt32(j)) & 1) << 4) &- offset
                let hi = (Int32(qs[j] >> 4) | Int32((h >> UInt32(j + 16)) & 1) << 4) &- offset
                sum &+= lo &* Int32(a[j]) &+ hi &* Int32(a[j + 16])
            }
            acc += Dequantize.half(p, 0) * xd[b] * Float(sum) + (hasMin ? Dequantize.half(p, 2) * xs[b] : 0)
        }
        return acc
    }
}
