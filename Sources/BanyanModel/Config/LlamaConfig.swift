import BanyanWeights

/// Why a model's configuration could not be read.
public enum ModelConfigError: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(String)
    case missingKey(String)
    case invalid(key: String, detail: String)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let a):
            return "architecture '\(a)' is not supported: Banyan runs Llama-family models (general.architecture = llama)"
        case .missingKey(let k): return "model metadata lacks the required key '\(k)'"
        case .invalid(let k, let d): return "model metadata '\(k)': \(d)"
        }
    }
}

/// Llama 3's frequency-dependent RoPE scaling (`rope_scaling.rope_type = llama3`).
public struct Llama3RopeScaling: Sendable, Equatable {
    public var factor: Float
    public var lowFreqFactor: Float
    public var highFreqFactor: Float
    public var originalContextLength: Int
}

/// The hyperparameters of a Llama-family model, from GGUF metadata or an HF `config.json`.
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: String = "llama"
    public var layerCount: Int
    public var embeddingWidth: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var feedForwardWidth: Int
    public var vocabularySize: Int
    public var contextLength: Int
    public var ropeFreqBase: Float
    public var rmsEpsilon: Float
    public var ropeScaling: Llama3RopeScaling?

    public init(layerCount: Int, embeddingWidth: Int, headCount: Int, kvHeadCount: Int, headDim: Int? = nil,
                feedForwardWidth: Int, vocabularySize: Int, contextLength: Int = 2048, ropeFreqBase: Float = 10000,
                rmsEpsilon: Float = 1e-5, ropeScaling: Llama3RopeScaling? = nil) {
        self.layerCount = layerCount
        self.embeddingWidth = embeddingWidth
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? embeddingWidth / headCount
        self.feedForwardWidth = feedForwardWidth
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.ropeFreqBase = ropeFreqBase
        self.rmsEpsilon = rmsEpsilon
        self.ropeScaling = ropeScaling
    }

    /// Query heads per KV head.
    public var groupSize: Int { headCount / kvHeadCount }
    public var kvWidth: Int { kvHeadCount * headDim }
    public var queryWidth: Int { headCount * headDim }

    /// Reads `llama.*` keys. Architectures other than llama are rejected with a clear error.
    public init(gguf: GGUFFile) throws(ModelConfigError) {
        guard let arch = gguf.architecture else { throw .missingKey("general.architecture") }
        guard arch == "llama" else { throw .unsupportedArchitecture(arch) }
        func int(_ key: String) throws(ModelConfigError) -> Int {
            guard let v = gguf["llama." + key] else { throw .missingKey("llama." + key) }
            guard let i = v.int, i > 0 else { throw .invalid(key: "llama." + key, detail: "expected a positive integer") }
            return i
        }
        func optionalInt(_ key: String) -> Int? { gguf["llama." + key]?.int }
        func float(_ key: String) -> Float? { gguf["llama." + key]?.double.map(Float.init) }
        let width = try int("embedding_length")
        let heads = try int("attention.head_count")
        let vocab = optionalInt("vocab_size") ?? gguf["tokenizer.ggml.tokens"]?.array?.count
        guard let vocab else { throw .missingKey("llama.vocab_size") }
        self.init(layerCount: try int("block_count"), embeddingWidth: width, headCount: heads,
                  kvHeadCount: optionalInt("attention.head_count_kv") ?? heads,
                  headDim: optionalInt("attention.key_length") ?? optionalInt("rope.dimension_count"),
                  feedForwardWidth: try int("feed_forward_length"), vocabularySize: vocab,
                  contextLength: optionalInt("context_length") ?? 2048,
                  ropeFreqBase: float("rope.freq_base") ?? 10000,
                  rmsEpsilon: float("attention.layer_norm_rms_epsilon") ?? 1e-5)
        if let factor = float("rope.scaling.factor"), gguf["llama.rope.scaling.type"]?.string == "llama3" || gguf["llama.rope.scaling.low_freq_factor"] != nil {
            ropeScaling = Llama3RopeScaling(factor: factor, lowFreqFactor: float("rope.scaling.low_freq_factor") ?? 1,
                                            highFreqFactor: float("rope.scaling.high_freq_factor") ?? 4,
                                            originalContextLength: optionalInt("rope.scaling.original_context_length") ?? 8192)
        }
        try validate()
    }

    /// Reads an HF `config.json`.
    public init(hf: HFLlamaConfig) throws(ModelConfigError) {
        if let t = hf.modelType, t != "llama" { throw .unsupportedArchitecture(t) }
        self.init(layerCount: hf.numHiddenLayers, embeddingWidth: hf.hiddenSize, headCount: hf.numAttentionHeads,
                  kvHeadCount: hf.numKeyValueHeads ?? hf.numAttentionHeads, headDim: hf.headDim,
                  feedForwardWidth: hf.intermediateSize, vocabularySize: hf.vocabSize,
                  contextLength: hf.maxPositionEmbeddings ?? 2048, ropeFreqBase: Float(hf.ropeTheta ?? 10000),
                  rmsEpsilon: Float(hf.rmsNormEps ?? 1e-5))
        if let s = hf.ropeScaling, s.ropeType == "llama3", let f = s.factor {
            ropeScaling = Llama3RopeScaling(factor: Float(f), lowFreqFactor: Float(s.lowFreqFactor ?? 1),
                                            highFreqFactor: Float(s.highFreqFactor ?? 4),
                                            originalContextLength: s.originalMaxPositionEmbeddings ?? 8192)
        }
        try validate()
    }

    func validate() throws(ModelConfigError) {
        guard headCount % kvHeadCount == 0 else {
            throw .invalid(key: "attention.head_count_kv", detail: "\(headCount) heads are not a multiple of \(kvHeadCount) KV heads")
        }
        guard headDim % 2 == 0 else { throw .invalid(key: "attention.key_length", detail: "head size \(headDim) must be even for RoPE") }
    }
}
