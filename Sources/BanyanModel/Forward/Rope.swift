import Foundation

/// Rotary position embedding: each pair of a head's dimensions is rotated by p·θᵢ.
struct Rope: Sendable {
    let headDim: Int
    let layout: RopeLayout
    /// θᵢ for i in 0..<headDim/2, with Llama 3 frequency scaling applied when the model has it.
    let inverseFrequencies: [Float]

    init(config: LlamaConfig, layout: RopeLayout) {
        headDim = config.headDim
        self.layout = layout
        let half = config.headDim / 2
        var freqs = (0..<half).map { i in Float(pow(Double(config.ropeFreqBase), -2 * Double(i) / Double(config.headDim))) }
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
    }

    /// Rotates `heads` consecutive heads of `x` in place for position `position`.
    func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let half = headDim / 2
        for i in 0..<half {
            let angle = Float(position) * inverseFrequencies[i]
            cos[i] = Foundation.cos(angle)
            sin[i] = Foundation.sin(angle)
        }
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
