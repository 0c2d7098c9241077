import BanyanKernels
import BanyanWeights

/// How RoPE pairs the dimensions of a head.
public enum RopeLayout: Sendable, Equatable {
    /// (x[2i], x[2i+1]): GGUF files, whose converter permuted the Q/K rows to this layout.
    case adjacentPairs
    /// (x[i], x[i + d/2]): Hugging Face checkpoints (`rotate_half`), read as they are, without a copy.
    case halfSplit
}

/// One transformer block's weights: views into the mapped file, norms as small float arrays.
public struct LayerWeights: Sendable {
    public let attentionNorm: [Float]
    public let query: TensorView
    public let key: TensorView
    public let value: TensorView
    public let attentionOutput: TensorView
    public let feedForwardNorm: [Float]
    public let gate: TensorView
    public let up: TensorView
    public let down: TensorView

    public init(attentionNorm: [Float], query: TensorView, key: TensorView, value: TensorView, attentionOutput: TensorView,
                feedForwardNorm: [Float], gate: TensorView, up: TensorView, down: TensorView) {
        (self.attentionNorm, self.query, self.key, self.value, self.attentionOutput) = (attentionNorm, query, key, value, attentionOutput)
        (self.feedForwardNorm, self.gate, self.up, self.down) = (feedForwardNorm, gate, up, down)
    }
}

/// All weights of a Llama model, bound by name and checked for shape and type.
public struct LlamaWeights: Sendable {
    public let tokenEmbedding: TensorView
    public let layers: [LayerWeights]
    public let outputNorm: [Float]
    /// The LM head; the token embedding itself when the model ties them.
    public let output: TensorView
    public let ropeLayout: RopeLayout

    /// Binds tensors through `lookup`, which maps GGUF tensor names to views.
    public init(config c: LlamaConfig, ropeLayout: RopeLayout, lookup: (String) -> TensorView?) throws(ModelLoadError) {
        func matrix(_ name: String, inputs: Int, outputs: Int) throws(ModelLoadError) -> TensorView {
            guard let t = lookup(name) else { throw .missingTensor(name) }
            guard t.shape == [inputs, outputs] else { throw .wrongShape(tensor: name, expected: [inputs, outputs], actual: t.shape) }
            guard Dequantize.supported.contains(t.type) else { throw .unsupportedType(tensor: name, type: t.type) }
            return t
        }
        func vector(_ name: String, _ n: Int) throws(ModelLoadError) -> [Float] {
            guard let t = lookup(name) else { throw .missingTensor(name) }
            guard t.elementCount == n else { throw .wrongShape(tensor: name, expected: [n], actual: t.shape) }
            guard Dequantize.supported.contains(t.type) else { throw .unsupportedType(tensor: name, type: t.type) }
            var out = [Float](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { Dequantize.row(t.type, t.baseAddress, $0.baseAddress!, count: n) }
            return out
        }
        let e = c.embeddingWidth
        tokenEmbedding = try matrix("token_embd.weight", inputs: e, outputs: c.vocabularySize)
        layers = try (0..<c.layerCount).map { (l: Int) throws(ModelLoadError) -> LayerWeights in
            let p = "blk.\(l)."
            // Matrices the kernels multiply are repacked into 8-row groups where they can be (PackedQuantDot).
            let pack = PackedQuantDot.pack
            return LayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", e),
                query: pack(try matrix(p + "attn_q.weight", inputs: e, outputs: c.queryWidth)),
                key: pack(try matrix(p + "attn_k.weight", inputs: e, outputs: c.kvWidth)),
                value: pack(try matrix(p + "attn_v.weight", inputs: e, outputs: c.kvWidth)),
                attentionOutput: pack(try matrix(p + "attn_output.weight", inputs: c.queryWidth, outputs: e)),
                feedForwardNorm: try vector(p + "ffn_norm.weight", e),
                gate: pack(try matrix(p + "ffn_gate.weight", inputs: e, outputs: c.feedForwardWidth)),
                up: pack(try matrix(p + "ffn_up.weight", inputs: e, outputs: c.feedForwardWidth)),
                down: pack(try matrix(p + "ffn_down.weight", inputs: c.feedForwardWidth, outputs: e)))
        }
        outputNorm = try vector("output_norm.weight", e)
        // The embedding is read a row at a time from the mapping; the output layer (the embedding itself when tied) is repacked.
        output = PackedQuantDot.pack(lookup("output.weight") == nil ? tokenEmbedding : try matrix("output.weight", inputs: e, outputs: c.vocabularySize))
        self.ropeLayout = ropeLayout
    }

    /// Hugging Face name for a GGUF tensor name (`blk.3.attn_q.weight` → `model.layers.3.self_attn.q_proj.weight`).
    public static func huggingFaceName(_ gguf: String) -> String {
        let fixed = ["token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
                     "output.weight": "lm_head.weight"]
        if let f = fixed[gguf] { return f }
        let parts = gguf.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "blk" else { return gguf }
        let role = ["attn_norm.weight": "input_layernorm.weight", "attn_q.weight": "self_attn.q_proj.weight",
                    "attn_k.weight": "self_attn.k_proj.weight", "attn_v.weight": "self_attn.v_proj.weight",
                    "attn_output.weight": "self_attn.o_proj.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
                    "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
                    "ffn_down.weight": "mlp.down_proj.weight"][String(parts[2])] ?? String(parts[2])
        return "model.layers.\(parts[1]).\(role)"
    }
}
