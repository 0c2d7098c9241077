import BanyanGeneration
import BanyanKernels
import Foundation
import Testing

/// Attention reading K/V rows in place (f16 converted in registers, or f32), chunk by chunk with the
/// online softmax, against softmax attention computed in double precision from the same rows.
@Suite struct AttentionKernelTests {
    /// Rows at scattered addresses (as a paged cache keeps them), f16 or f32, and the f32 values they hold.
    struct ScatteredRows {
        let keys: [UnsafeMutableRawPointer], values: [UnsafeMutableRawPointer]
        let keyFloats: [[Float]], valueFloats: [[Float]]

        init(keys: [UnsafeMutableRawPointer], values: [UnsafeMutableRawPointer], keyFloats: [[Float]], valueFloats: [[Float]]) {
            (self.keys, self.values, self.keyFloats, self.valueFloats) = (keys, values, keyFloats, valueFloats)
        }

        init(count: Int, headSize: Int, half: Bool, random: inout SeededRandom) {
            func unit() -> Float { Float(Int(random.next() % 2001) - 1000) / 1000 }
            var k: [UnsafeMutableRawPointer] = [], v: [UnsafeMutableRawPointer] = [], kf: [[Float]] = [], vf: [[Float]] = []
            for _ in 0..<count {
                for isKey in [true, false] {
                    // Each row in its own allocation, with a stride unrelated to its neighbours.
                    let row = (0..<headSize).map { _ in half ? Float(Float16(unit())) : unit() }
                    let p = UnsafeMutableRawPointer.allocate(byteCount: headSize * 4 + 64, alignment: 2)
                    for (i, x) in row.enumerated() {
                        if half { p.storeBytes(of: Float16(x), toByteOffset: 2 * i, as: Float16.self) } else { p.storeBytes(of: x, toByteOffset: 4 * i, as: Float.self) }
                    }
                    if isKey { k.append(p); kf.append(row) } else { v.append(p); vf.append(row) }
                }
            }
            (keys, values, keyFloats, valueFloats) = (k, v, kf, vf)
        }

        func free() { (keys + values).forEach { $0.deallocate() } }
    }

    /// softmax(q·K/√d)·V in double.
    static func reference(query q: [Float], _ rows: ScatteredRows, scale: Float) -> [Double] {
        let scores = rows.keyFloats.map { k in zip(q, k).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } * Double(scale) }
        let top = scores.max()!
        let weights = scores.map { Foundation.exp($0 - top) }
        let total = weights.reduce(0, +)
        return (0..<q.count).map { i in zip(weights, rows.valueFloats).reduce(0.0) { $0 + $1.0 * Double($1.1[i]) } / total }
    }

    /// Runs the kernel over `rows` in chunks of 32 keys, as the forward pass does.
    static func attend(query q: [Float], _ rows: ScatteredRows, half: Bool, scale: Float) -> [Float] {
        let hd = q.count, n = rows.keys.count, chunk = AttentionChunks.size
        var m = -Float.infinity, l: Float = 0
        var o = [Float](repeating: 0, count: hd), scores = [Float](repeating: 0, count: chunk + 8)
        let keyAddresses = rows.keys.map { UnsafeRawPointer($0) }, valueAddresses = rows.values.map { UnsafeRawPointer($0) }
        keyAddresses.withUnsafeBufferPointer { kp in
            valueAddresses.withUnsafeBufferPointer { vp in
                for start in stride(from: 0, to: n, by: chunk) {
                    let count = min(chunk, n - start)
                    q.withUnsafeBufferPointer { qb in
                        scores.withUnsafeMutableBufferPointer { sb in
                            o.withUnsafeMutableBufferPointer { ob in
                                if half {
                                    OnlineAttention.accumulate(query: qb.baseAddress!, rows: HalfRows(keys: kp.baseAddress! + start, values: vp.baseAddress! + start),
                                                               count: count, headSize: hd, scale: scale, scores: sb.baseAddress!,
                                                               roundWeightsToHalf: false, m: &m, l: &l, o: ob.baseAddress!)
                                } else {
                                    OnlineAttention.accumulate(query: qb.baseAddress!, rows: FloatRows(keys: kp.baseAddress! + start, values: vp.baseAddress! + start),
                                                               count: count, headSize: hd, scale: scale, scores: sb.baseAddress!,
                                                               roundWeightsToHalf: false, m: &m, l: &l, o: ob.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        return o.map { $0 / l }
    }

    @Test(arguments: [64, 48])
    func inPlaceRowsMatchDoublePrecisionSoftmax(headSize hd: Int) throws {
        var random = SeededRandom(seed: 7)
        let scale = 1 / Float(hd).squareRoot()
        for half in [true, false] {
            for count in [1, 31, 32, 45, 100] {
                let rows = ScatteredRows(count: count, headSize: hd, half: half, random: &random)
                defer { rows.free() }
                let q = (0..<hd).map { _ in Float(Int(random.next() % 4001) - 2000) / 500 }
                let got = Self.attend(query: q, rows, half: half, scale: scale)
                let want = Self.reference(query: q, rows, scale: scale)
                let worst = zip(got, want).map { abs(Double($0) - $1) }.max()!
                #expect(worst <= 1e-5, "\(half ? "f16" : "f32") rows, head size \(hd), \(count) keys: worst |Δ| \(worst)")
            }
        }
    }

    /// The same values stored as f16 and as f32 give the same result bit for bit: the conversion is exact
    /// and the float work is the same.
    @Test func halfAndFloatRowsAgreeBitwise() throws {
        var random = SeededRandom(seed: 11)
        let hd = 64
        let halfRows = ScatteredRows(count: 70, headSize: hd, half: true, random: &random)
        defer { halfRows.free() }
        // f32 copies of the f16 rows' values.
        let floatRows = ScatteredRows(copying: halfRows, headSize: hd)
        defer { floatRows.free() }
        let q = (0..<hd).map { _ in Float(Int(random.next() % 4001) - 2000) / 500 }
        #expect(Self.attend(query: q, halfRows, half: true, scale: 0.125) == Self.attend(query: q, floatRows, half: false, scale: 0.125))
    }
}

extension AttentionKernelTests.ScatteredRows {
    /// f32 rows holding `other`'s values.
    init(copying other: Self, headSize: Int) {
        func store(_ rows: [[Float]]) -> [UnsafeMutableRawPointer] {
            rows.map { row in
                let p = UnsafeMutableRawPointer.allocate(byteCount: headSize * 4, alignment: 4)
                for (i, x) in row.enumerated() { p.storeBytes(of: x, toByteOffset: 4 * i, as: Float.self) }
                return p
            }
        }
        self.init(keys: store(other.keyFloats), values: store(other.valueFloats), keyFloats: other.keyFloats, valueFloats: other.valueFloats)
    }
}
