import BanyanGeneration
import BanyanKernels
import BanyanWeights
import Foundation
import Testing

/// Every quantized matmul path against the plain reference: dequantize the weights, dequantize the
/// 8-bit activations the kernel sees, and dot in double precision.
@Suite struct QuantizedKernelTests {
    /// Random blocks of `type` (valid fp16 scales, every nibble / byte value possible).
    static func randomMatrix(_ type: GGMLType, rows: Int, inputs: Int, random: inout SeededRandom) -> TensorView {
        let blocks = inputs / 32
        var bytes: [UInt8] = []
        func half(_ x: Float) { let b = Float16(x).bitPattern; bytes += [UInt8(b & 0xFF), UInt8(b >> 8)] }
        func unit() -> Float { Float(random.next() % 10_000) / 10_000 }
        for _ in 0..<(rows * blocks) {
            switch type {
            case .q4_0: half(0.01 + 0.05 * unit()); for _ in 0..<16 { bytes.append(UInt8(random.next() & 0xFF)) }
            case .q4_1: half(0.01 + 0.05 * unit()); half(-0.4 * unit()); for _ in 0..<16 { bytes.append(UInt8(random.next() & 0xFF)) }
            case .q8_0: half(0.001 + 0.01 * unit()); for _ in 0..<32 { bytes.append(UInt8(random.next() & 0xFF)) }
            default: fatalError("no generator for \(type)")
            }
        }
        let file = MappedFile(bytes: bytes)
        return TensorView(name: "w", type: type, shape: [inputs, rows], offset: 0, byteCount: bytes.count, file: file)
    }

    /// What the kernel computes, in double: weights dequantized, activations as their 8-bit blocks
    /// (fp16 scale d, values q), plus Q4_1's minimum times the block's fp16 d·Σq.
    static func reference(_ w: TensorView, _ x: [Float], rows: Int, inputs: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * w.rowCount)
        var weightRow = [Float](repeating: 0, count: inputs)
        for o in 0..<w.rowCount {
            weightRow.withUnsafeMutableBufferPointer { Dequantize.row(w.type, w.baseAddress + o * w.rowBytes, $0.baseAddress!, count: inputs) }
            for r in 0..<rows {
                var total = 0.0
                for b in 0..<(inputs / 32) {
                    let block = x[(r * inputs + 32 * b)..<(r * inputs + 32 * b + 32)]
                    let amax = block.map { abs($0) }.max()!
                    let d = amax / 127, inverse: Float = amax == 0 ? 0 : 127 / amax
                    let q = block.map { ($0 * inverse).rounded(.toNearestOrEven) }
                    let dHalf = Double(Float(Float16(d)))
                    if w.type == .q4_1 {
                        // w = scale·n + min: the integer part against q, the minimum against fp16(d·Σq).
                        let p = w.baseAddress + o * w.rowBytes + 20 * b
                        let scale = Double(Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self))))
                        let minimum = Double(Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))))
                        for j in 0..<32 { total += (Double(weightRow[32 * b + j]) - minimum) / scale * scale * dHalf * Double(q[j]) }
                        total += minimum * Double(Float(Float16(d * q.reduce(0, +))))
                    } else {
                        for j in 0..<32 { total += Double(weightRow[32 * b + j]) * dHalf * Double(q[j]) }
                    }
                }
                out[r * w.rowCount + o] = total
            }
        }
        return out
    }

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0])
    func quantizedMatmulMatchesTheReference(type: GGMLType) throws {
        var random = SeededRandom(seed: 42)
        let inputs = 96, outputs = 37
        let w = Self.randomMatrix(type, rows: outputs, inputs: inputs, random: &random)
        let pool = ThreadPool(threads: 2)
        // 1 to 9 activation rows: the one-row kernel, the four-row kernel and mixes of both.
        for rows in [1, 2, 3, 4, 5, 8, 9] {
            let x = (0..<(rows * inputs)).map { _ in Float(Int(random.next() % 2001) - 1000) / 500 }
            var y = [Float](repeating: .nan, count: rows * outputs)
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { MatMul.linear(xb.baseAddress!, rows: rows, weight: w, $0.baseAddress!, pool: pool) }
            }
            let want = Self.reference(w, x, rows: rows, inputs: inputs)
            let scale = want.map(abs).max()!
            let worst = zip(y, want).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= 1e-5 * scale, "\(type), \(rows) rows: worst |Δ| \(worst) of \(scale)")
            // A row's result does not depend on how many rows run beside it.
            var alone = [Float](repeating: 0, count: outputs)
            x.withUnsafeBufferPointer { xb in
                alone.withUnsafeMutableBufferPointer {
                    MatMul.linear(xb.baseAddress! + (rows - 1) * inputs, rows: 1, weight: w, $0.baseAddress!, pool: pool)
                }
            }
            #expect(Array(y.suffix(outputs)) == alone, "\(type): last of \(rows) rows equals that row alone, bitwise")
        }
    }

    /// Weights repacked into 8-row groups (the kernels' layout on AVX2 and VNNI builds) against the same
    /// double-precision reference, and a row's result whatever runs beside it, bitwise.
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0])
    func packedMatmulMatchesTheReference(type: GGMLType) throws {
        var random = SeededRandom(seed: 43)
        let inputs = 96, outputs = 40
        let raw = Self.randomMatrix(type, rows: outputs, inputs: inputs, random: &random)
        let w = PackedQuantDot.pack(raw)
        guard PackedQuantDot.supports(raw) else {
            #expect(w.packed == nil, "\(KernelPath.current): no repacked kernels in this build, nothing packed")
            return
        }
        #expect(w.packed != nil)
        let pool = ThreadPool(threads: 2)
        for rows in [1, 2, 3, 4, 5, 9, 17] {
            let x = (0..<(rows * inputs)).map { _ in Float(Int(random.next() % 2001) - 1000) / 500 }
            var y = [Float](repeating: .nan, count: rows * outputs)
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { MatMul.linear(xb.baseAddress!, rows: rows, weight: w, $0.baseAddress!, pool: pool) }
            }
            let want = Self.reference(raw, x, rows: rows, inputs: inputs)
            let scale = want.map(abs).max()!
            let worst = zip(y, want).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= 1e-5 * scale, "packed \(type), \(rows) rows: worst |Δ| \(worst) of \(scale)")
            for r in [0, rows - 1] {
                var alone = [Float](repeating: 0, count: outputs)
                x.withUnsafeBufferPointer { xb in
                    alone.withUnsafeMutableBufferPointer {
                        MatMul.linear(xb.baseAddress! + r * inputs, rows: 1, weight: w, $0.baseAddress!, pool: pool)
                    }
                }
                #expect(Array(y[(r * outputs)..<((r + 1) * outputs)]) == alone, "packed \(type): row \(r) of \(rows) equals it alone, bitwise")
            }
        }
    }

    @Test func vectorExpMatchesLibm() throws {
        var worst: Float = 0
        var x: Float = -87.3
        while x < 88 {
            let v = VectorMath.exp(SIMD8<Float>(repeating: x) + SIMD8(0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))
            for i in 0..<8 where x + Float(i) / 10 <= 88.3 {
                let want = Foundation.exp(x + Float(i) / 10)
                worst = max(worst, abs(v[i] - want) / want)
            }
            x += 0.37
        }
        #expect(worst < 4e-7, "relative error \(worst)")
        #expect(VectorMath.exp(SIMD8(repeating: 0))[0] == 1)
    }
}

/// Every other weight type against dequantize-and-dot in double on random blocks: F32 dotted in place,
/// F16 / BF16 fused float dots (one or two rows), Q4_K / Q6_K fused dots against 8-bit activations (up to
/// four rows: the reference then sees the activations as the kernel does, fp16 scale × int8), and dequantized
/// tiles through sgemm for more rows.
@Suite struct FloatPathKernelTests {
    static func randomMatrix(_ type: GGMLType, rows: Int, inputs: Int, random: inout SeededRandom) -> TensorView {
        var bytes: [UInt8] = []
        func unit() -> Float { Float(random.next() % 20_001) / 10_000 - 1 }
        func half(_ x: Float) { let b = Float16(x).bitPattern; bytes += [UInt8(b & 0xFF), UInt8(b >> 8)] }
        func raw(_ n: Int) { for _ in 0..<n { bytes.append(UInt8(random.next() & 0xFF)) } }
        let blocks = rows * inputs / type.blockSize
        for _ in 0..<blocks {
            switch type {
            case .f32: withUnsafeBytes(of: unit().bitPattern.littleEndian) { bytes += $0 }
            case .f16: half(unit())
            case .bf16: let b = UInt16(unit().bitPattern >> 16); bytes += [UInt8(b & 0xFF), UInt8(b >> 8)]
            case .q4_K: half(0.002 + 0.01 * abs(unit())); half(0.002 * abs(unit())); raw(12 + 128)
            case .q6_K: raw(128 + 64 + 16); half(0.001 + 0.005 * abs(unit()))
            default: fatalError("no generator for \(type)")
            }
        }
        precondition(bytes.count == blocks * type.bytesPerBlock)
        return TensorView(name: "w", type: type, shape: [inputs, rows], offset: 0, byteCount: bytes.count, file: MappedFile(bytes: bytes))
    }

    /// Activations as 8-bit blocks of 32 give them back: fp16-rounded scale × the rounded value.
    static func asQuantized(_ x: [Float]) -> [Float] {
        stride(from: 0, to: x.count, by: 32).flatMap { b -> [Float] in
            let block = x[b..<(b + 32)]
            let amax = block.map { abs($0) }.max()!
            let inverse: Float = amax == 0 ? 0 : 127 / amax
            let d = Float(Float16(amax / 127))
            return block.map { ($0 * inverse).rounded(.toNearestOrEven) * d }
        }
    }

    @Test(arguments: [GGMLType.f32, .f16, .bf16, .q4_K, .q6_K])
    func floatPathsMatchTheReference(type: GGMLType) throws {
        var random = SeededRandom(seed: 5)
        let inputs = 512, outputs = 70
        let w = Self.randomMatrix(type, rows: outputs, inputs: inputs, random: &random)
        let pool = ThreadPool(threads: 2)
        var weights = [Float](repeating: 0, count: outputs * inputs)
        weights.withUnsafeMutableBufferPointer { buffer in
            for o in 0..<outputs { Dequantize.row(type, w.baseAddress + o * w.rowBytes, buffer.baseAddress! + o * inputs, count: inputs) }
        }
        #expect(weights.allSatisfy { $0.isFinite })
        for rows in [1, 2, 3, 4, 5] {
            var x = (0..<(rows * inputs)).map { _ in Float(Int(random.next() % 2001) - 1000) / 500 }
            var y = [Float](repeating: .nan, count: rows * outputs)
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { MatMul.linear(xb.baseAddress!, rows: rows, weight: w, $0.baseAddress!, pool: pool) }
            }
            if (type == .q4_K || type == .q6_K) && rows <= 4 { x = Self.asQuantized(x) }
            var worst = 0.0, scale = 0.0
            for r in 0..<rows {
                for o in 0..<outputs {
                    var want = 0.0, magnitude = 0.0
                    for i in 0..<inputs {
                        want += Double(weights[o * inputs + i]) * Double(x[r * inputs + i])
                        magnitude += abs(Double(weights[o * inputs + i]) * Double(x[r * inputs + i]))
                    }
                    worst = max(worst, abs(Double(y[r * outputs + o]) - want))
                    scale = max(scale, magnitude)
                }
            }
            #expect(worst <= 1e-5 * scale, "\(type), \(rows) rows: worst |Δ| \(worst) against Σ|w·x| up to \(scale)")
        }
    }
}
