import Foundation

/// The element-wise pieces of a Llama layer, on raw float rows. Plain loops: with a target CPU set,
/// LLVM vectorizes them.
public enum VectorMath {
    /// y = x / sqrt(mean(x²) + eps) · weight. Σx² is accumulated in double, as ggml does.
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               count: Int, epsilon: Float) {
        // Each square in float, summed in double: ggml's order of operations.
        var total = 0.0
        for i in 0..<count { total += Double(x[i] * x[i]) }
        let sum = Float(total / Double(count))
        let scale = 1 / (sum + epsilon).squareRoot()
        for j in 0..<count { y[j] = x[j] * scale * weight[j] }
    }

    /// y = x / rms(x), without a weight (the same order of operations as `rmsNorm`).
    public static func rmsNormalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, epsilon: Float) {
        var total = 0.0
        for i in 0..<count { total += Double(x[i] * x[i]) }
        let scale = 1 / (Float(total / Double(count)) + epsilon).squareRoot()
        for j in 0..<count { y[j] = x[j] * scale }
    }

    /// dot(a, b) with 16 float lanes.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            acc0.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self),
                            UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self))
            i += 16
        }
        var s = treeSum(acc0)
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Σ of 16 lanes as a tree of vector adds. `sum()` adds the lanes one after another (strict float
    /// order), a 15-add dependency chain that dominated attention's per-key dot products.
    @inline(__always)
    public static func treeSum(_ v: SIMD16<Float>) -> Float {
        let h = v.lowHalf + v.highHalf
        let q = h.lowHalf + h.highHalf
        let p = q.lowHalf + q.highHalf
        return p[0] + p[1]
    }

    /// y += a · x, eight lanes at a time with fused multiply-adds.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let av = SIMD8<Float>(repeating: a)
        while i + 8 <= count {
            var yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            yv.addProduct(av, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(y + i).storeBytes(of: yv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { y[i] = y[i].addingProduct(a, x[i]); i += 1 }
    }

    /// gate = silu(gate) · up, in place in `gate`.
    public static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + Foundation.exp(-g)) * up[i]
        }
    }

    /// e^x on eight lanes (Cephes-style: 2^n · a degree-6 polynomial on the reduced argument), relative
    /// error below 2e-7 for x in [−87.3, 88.3]; callers keep x in that range (clamping here would not
    /// vectorize: SIMD comparisons and `clamped` compile to per-lane code). Written without `rounded`
    /// or lane conversions, which Swift calls out of line: adding 1.5·2^23 rounds, and the low
    /// mantissa bits then hold n.
    @inline(__always)
    public static func exp(_ c: SIMD8<Float>) -> SIMD8<Float> {
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = c * 1.442_695_04 + magic
        let n = t - magic
        // r = x − n·ln 2, with ln 2 split in two for precision.
        var r = c - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_2e-4)
        p = p * r + 1.398_199_9e-3
        p = p * r + 8.333_452e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5.000_000_1e-1
        p = p * r * r + r + 1
        let exponent = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        return p * unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD8<Float>.self)
    }

    /// Softmax in place; returns log(Σ exp(x − max)) + max (the log-sum-exp).
    @discardableResult
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<count where x[i] > m { m = x[i] }
        var sum: Double = 0
        for i in 0..<count {
            let e = Foundation.exp(x[i] - m)
            x[i] = e
            sum += Double(e)
        }
        let inv = Float(1 / sum)
        for i in 0..<count { x[i] *= inv }
        return Float(Foundation.log(sum)) + m
    }
}
