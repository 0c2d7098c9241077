import Foundation

/// Rotary position embedding: each pair of a head's dimensions is rotated by p·θᵢ.
struct Rope: Sendable {
    let headDim: Int
    let layout: RopeLayout
    /// θᵢ for i in 0..<headDim/2, with Llama 3 frequency scaling applied when the model has it.
    let inverseFrequencies: [Float]
    let thetaScale: Float
    /// GGUF models without frequency scaling take θ from ggml's running float product; the others
    /// from the precomputed (possibly Llama 3 scaled) frequencies.
    let usesRunningProduct: Bool

    init(config: LlamaConfig, layout: RopeLayout) {
        headDim = config.headDim
        self.layout = layout
        let half = config.headDim / 2
        // θ scale computed and applied by repeated float multiplication, as ggml does.
        let thetaScale = Foundation.pow(config.ropeFreqBase, -2 / Float(config.headDim))
        var freqs: [Float] = []
        var f: Float = 1
        for _ in 0..<half { freqs.append(f); f *= thetaScale }
        if let s = config.ropeScaling {
            let oldContext = Float(s.originalContextLength)
            let lowWavelength = oldContext / s.lowFreqFactor
            let highWavelength = oldContext / s.highFreqFactor
            freqs = freqs.map { f in
                let wavelength = 2 * Float.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / s.factor }
                let smooth = (oldContext / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor)
                return (1 - smooth) * f / s.factor + smooth * f
            }
        }
        inverseFrequencies = freqs
        self.thetaScale = thetaScale
        usesRunningProduct = layout == .adjacentPairs && config.ropeScaling == nil
    }

    /// cos θᵢ and sin θᵢ for `position`, into `table[0..<d/2]` and `table[d/2..<d]`. Computed once per
    /// token per step and shared by q and k in every layer.
    func angles(position: Int, into table: UnsafeMutablePointer<Float>) {
        let half = headDim / 2
        var theta = Float(position)
        for i in 0..<half {
            let angle = usesRunningProduct ? theta : Float(position) * inverseFrequencies[i]
            table[i] = Foundation.cos(angle)
            table[half + i] = Foundation.sin(angle)
            theta *= thetaScale
        }
    }

    /// Rotates `heads` consecutive heads of `x` in place by the angles `angles(position:into:)` wrote.
    func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, table: UnsafePointer<Float>) {
        let half = headDim / 2
        let cos = table, sin = table + half
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let (a, b) = layout == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + half)
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * cos[i] - x1 * sin[i]
                v[b] = x0 * sin[i] + x1 * cos[i]
            }
        }
    }
}
