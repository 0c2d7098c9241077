/// Number format of the KV cache and attention products.
public enum AttentionPrecision: String, Sendable, CaseIterable {
    case f16, f32

    @inline(__always) func round(_ x: Float) -> Float {
        self == .f16 ? Float(Float16(x)) : x
    }
}

/// The rounding choices of a forward pass.
public struct Numerics: Sendable, Equatable {
    /// Quantize activations to 8 bits before Q4/Q5/Q8 matmuls (llama.cpp does; faster, slightly less exact).
    public var quantizeActivations: Bool
    /// Number format of cached K/V and the attention products.
    public var attention: AttentionPrecision

    public init(quantizeActivations: Bool, attention: AttentionPrecision) {
        self.quantizeActivations = quantizeActivations
        self.attention = attention
    }

    /// llama.cpp's CPU defaults: 8-bit activations, f16 KV cache.
    public static let llamaCpp = Numerics(quantizeActivations: true, attention: .f16)
    /// Float32 throughout (dequantized weights): the reference for other paths.
    public static let exact = Numerics(quantizeActivations: false, attention: .f32)
}

/// How a forward pass runs: rounding and the attention path. Results never depend on the path.
public struct ForwardOptions: Sendable, Equatable {
    public var numerics: Numerics
    public var attentionStrategy: AttentionStrategy
    /// Shortest shared prefix, in tokens, worth a separate pass.
    public var minimumSharedPrefix: Int
    /// Layers (0-based) whose output, RMS-normalized, is returned beside the final hidden state for the
    /// rows asked for (`StepOutput.layerHidden`): what a PRM head reading several layers needs.
    public var featureLayers: [Int]

    public init(numerics: Numerics = .llamaCpp, attentionStrategy: AttentionStrategy = .sharedPrefix, minimumSharedPrefix: Int = 32,
                featureLayers: [Int] = []) {
        self.numerics = numerics
        self.attentionStrategy = attentionStrategy
        self.minimumSharedPrefix = minimumSharedPrefix
        self.featureLayers = featureLayers
    }
}
