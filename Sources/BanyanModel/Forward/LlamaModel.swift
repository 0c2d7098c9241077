import BanyanKV
import BanyanKernels
import BanyanWeights
import Foundation

/// A Llama model ready to run: config, weights bound into the mapping, and the forward pass. Immutable:
/// many engines (each with its own KV cache and options) can share one model.
///
/// `forward` advances many sequences at once: all their new tokens go through each weight matrix
/// together, so the weights are read once per step however many sequences there are. Sequences, KV slots
/// and rollback belong to `Engine`, which calls it.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    public let pool: ThreadPool
    let rope: Rope
    /// The weights as the step reads them, without reference counting.
    let kernels: ModelKernels
    /// Files the weights live in, kept mapped.
    public let sourceDescription: String

    public init(config: LlamaConfig, weights: LlamaWeights, pool: ThreadPool = .shared, source: String = "") {
        self.config = config
        self.weights = weights
        self.pool = pool
        self.rope = Rope(config: config, layout: weights.ropeLayout)
        self.kernels = ModelKernels(weights)
        self.sourceDescription = source
    }

    /// Loads a GGUF file or a safetensors checkpoint directory.
    public convenience init(path: String, threads: Int? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelLoadError.notAModel(path: path, detail: "no such file or directory")
        }
        let pool = threads.map { ThreadPool(threads: $0) } ?? .shared
        if isDirectory.boolValue {
            let ckpt = try SafetensorsCheckpoint(directory: path)
            let config = try LlamaConfig(hf: ckpt.config)
            let weights = try LlamaWeights(config: config, ropeLayout: .halfSplit) {
                ckpt.tensor(named: LlamaWeights.huggingFaceName($0))
            }
            self.init(config: config, weights: weights, pool: pool, source: path)
        } else {
            let gguf = try GGUFFile(path: path)
            let config = try LlamaConfig(gguf: gguf)
            let weights = try LlamaWeights(config: config, ropeLayout: .adjacentPairs, lookup: gguf.tensor(named:))
            self.init(config: config, weights: weights, pool: pool, source: path)
        }
    }

    /// The KV geometry of this model: f16 elements under llama.cpp numerics, else f32.
    public func kvGeometry(pageSize: Int = 16, elementType: KVElementType? = nil, numerics: Numerics = .llamaCpp) -> KVGeometry {
        KVGeometry(layers: config.layerCount, kvWidth: config.kvWidth, pageSize: pageSize,
                   elementType: elementType ?? (numerics.attention == .f16 ? .f16 : .f32))
    }

    // MARK: the forward pass

    /// Runs every new token of `batch` through the network, writing its K/V into the reserved slots, and
    /// fills `outputs` (one per input, reusing their buffers) with logits and hidden states for the rows
    /// each input asked for.
    func forward(_ batch: StepBatch, cache: KVCache, options: ForwardOptions, state s: RunState,
                 into outputs: inout [StepOutput]) -> AttentionProfile {
        let c = config
        let n = batch.tokens.count
        s.reserve(rows: n)
        let quantize = options.numerics.quantizeActivations

        // Embeddings, and RoPE angles (they depend only on each row's position: once per step for all layers).
        let embd = kernels.tokenEmbedding
        for (r, t) in batch.tokens.enumerated() {
            Dequantize.row(embd.type, embd.base + Int(t) * embd.rowBytes, s.x[r], count: c.embeddingWidth)
            rope.angles(position: batch.positions[r], into: s.rope[r])
        }
        // The plan's buffers are the state's: taken for the step (a local is passed without copies), given back.
        var plan = AttentionPlan()
        swap(&plan, &s.plan)
        defer { swap(&plan, &s.plan) }
        plan.rebuild(batch, strategy: options.attentionStrategy, pageSize: cache.geometry.pageSize, chunk: AttentionChunks.size,
                     minimumSharedPrefix: options.minimumSharedPrefix)
        let e = c.embeddingWidth, featureCount = options.featureLayers.count
        s.reserveOutputs(rows: batch.wantedRows.count, vocabulary: c.vocabularySize, width: e, featureWidth: featureCount * e)
        for l in 0..<kernels.layers.count {
            let layer = kernels.layers[l]
            attentionBlock(layer: l, weights: layer, batch: batch, plan: &plan, cache: cache, precision: options.numerics.attention,
                           quantize: quantize, state: s)
            feedForwardBlock(weights: layer, rows: n, quantize: quantize, state: s)
            for f in 0..<featureCount where options.featureLayers[f] == l {
                for (k, r) in batch.wantedRows.enumerated() {
                    VectorMath.rmsNormalize(s.x[r], s.features + (k * featureCount + f) * e, count: e, epsilon: c.rmsEpsilon)
                }
            }
        }
        logits(batch, featureWidth: featureCount * e, quantize: quantize, state: s, into: &outputs)
        return plan.profile
    }

    /// x += Wo · attention(RoPE(Wq·norm(x)), cache ∪ RoPE(Wk·norm(x)), cache ∪ Wv·norm(x)).
    private func attentionBlock(layer l: Int, weights w: ModelKernels.Layer, batch: StepBatch, plan: inout AttentionPlan,
                                cache: KVCache, precision: AttentionPrecision, quantize: Bool, state s: RunState) {
        let c = config, n = batch.tokens.count
        rmsNorm(s.x, w.attentionNorm, into: s.h, rows: n)
        MatMul.linear(s.h.base, rows: n, count: 3, weight: { $0 == 0 ? w.query : $0 == 1 ? w.key : w.value },
                      output: { $0 == 0 ? s.q.base : $0 == 1 ? s.k.base : s.v.base }, pool: pool,
                      quantizeActivations: quantize, workspace: s.matmul)
        let slots = batch.rows
        eachRow(n) { r in
            rope.apply(s.q[r], heads: c.headCount, table: s.rope[r])
            rope.apply(s.k[r], heads: c.kvHeadCount, table: s.rope[r])
            cache.write(layer: l, at: slots[r].slot, key: s.k[r], value: s.v[r])
        }
        let start = MonotonicClock.seconds()
        attend(layer: l, plan: plan, positions: batch.positions, q: s.q, out: s.attention, cache: cache, precision: precision,
               workspace: s.attentionSpace)
        plan.profile.attentionSeconds += MonotonicClock.seconds() - start
        MatMul.linear(s.attention.base, rows: n, weight: w.attentionOutput, s.h.base, pool: pool, quantizeActivations: quantize,
                      workspace: s.matmul)
        addResidual(s.h, to: s.x, rows: n)
    }

    /// x += W2 · (silu(W1·norm(x)) ⊙ W3·norm(x)).
    private func feedForwardBlock(weights w: ModelKernels.Layer, rows n: Int, quantize: Bool, state s: RunState) {
        rmsNorm(s.x, w.feedForwardNorm, into: s.h, rows: n)
        MatMul.linear(s.h.base, rows: n, count: 2, weight: { $0 == 0 ? w.gate : w.up }, output: { $0 == 0 ? s.gate.base : s.up.base },
                      pool: pool, quantizeActivations: quantize, workspace: s.matmul)
        let width = config.feedForwardWidth
        eachRow(n) { r in VectorMath.swiGLU(s.gate[r], s.up[r], count: width) }
        MatMul.linear(s.gate.base, rows: n, weight: w.down, s.h.base, pool: pool, quantizeActivations: quantize, workspace: s.matmul)
        addResidual(s.h, to: s.x, rows: n)
    }

    /// Output norm and LM head for the rows asked for, every input's rows in one matmul (the output
    /// layer is read once per step, however many sequences), copied into each input's output.
    private func logits(_ batch: StepBatch, featureWidth: Int, quantize: Bool, state s: RunState, into outputs: inout [StepOutput]) {
        let c = config, e = c.embeddingWidth, vocabulary = c.vocabularySize
        let sources = batch.wantedRows
        for (k, r) in sources.enumerated() {
            VectorMath.rmsNorm(s.x[r], kernels.outputNorm, s.hidden + k * e, count: e, epsilon: c.rmsEpsilon)
        }
        if !sources.isEmpty {
            MatMul.linear(s.hidden, rows: sources.count, weight: kernels.output, s.logits, pool: pool, quantizeActivations: quantize,
                          workspace: s.matmul)
        }
        let inputs = batch.sequences.count
        if outputs.count > inputs { outputs.removeLast(outputs.count - inputs) }
        var first = 0
        for i in 0..<inputs {
            let k = batch.outputCounts[i]
            if i == outputs.count { outputs.append(StepOutput(vocabularySize: vocabulary)) }
            outputs[i].refill(sequence: batch.sequences[i], rows: k,
                              logits: UnsafeBufferPointer(start: s.logits + first * vocabulary, count: k * vocabulary),
                              hidden: UnsafeBufferPointer(start: s.hidden + first * e, count: k * e),
                              layerHidden: UnsafeBufferPointer(start: s.features + first * featureWidth, count: k * featureWidth),
                              vocabularySize: vocabulary)
            first += k
        }
    }

    private func rmsNorm(_ x: Rows, _ w: UnsafePointer<Float>, into y: Rows, rows n: Int) {
        let epsilon = config.rmsEpsilon
        eachRow(n) { r in VectorMath.rmsNorm(x[r], w, y[r], count: x.width, epsilon: epsilon) }
    }

    private func addResidual(_ h: Rows, to x: Rows, rows n: Int) {
        eachRow(n) { r in
            let p = x[r], q = h[r]
            for i in 0..<x.width { p[i] += q[i] }
        }
    }

    /// `body` for every row 0..<n: on the calling thread for a few rows (decode), split across the pool in
    /// chunks for many (prefill), where the per-row work of norms, RoPE and SwiGLU would otherwise leave
    /// the other threads waiting. Rows are independent, so the results are the same either way.
    @inline(__always)
    private func eachRow(_ n: Int, _ body: (Int) -> Void) {
        guard n >= 16, pool.threadCount > 1 else {
            for r in 0..<n { body(r) }
            return
        }
        let chunks = min(n, 4 * pool.threadCount), per = (n + chunks - 1) / chunks
        pool.parallelFor((n + per - 1) / per) { k in
            for r in (k * per)..<min(n, (k + 1) * per) { body(r) }
        }
    }
}
