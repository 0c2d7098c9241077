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
        var s = acc0.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y += a · x
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += a * x[i] }
    }

    /// gate = silu(gate) · up, in place in `gate`.
    public static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + Foundation.exp(-g)) * up[i]
        }
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
