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
    /// Files the weights live in, kept mapped.
    public let sourceDescription: String

    public init(config: LlamaConfig, weights: LlamaWeights, pool: ThreadPool = .shared, source: String = "") {
        self.config = config
        self.weights = weights
        self.pool = pool
        self.rope = Rope(config: config, layout: weights.ropeLayout)
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
    /// returns logits and hidden states for the rows each input asked for.
    func forward(_ batch: StepBatch, cache: KVCache, options: ForwardOptions, state s: RunState) -> (outputs: [StepOutput], profile: AttentionProfile) {
        let c = config
        let n = batch.tokens.count
        s.reserve(rows: n)
        let quantize = options.numerics.quantizeActivations

        // Embeddings, and RoPE angles (they depend only on each row's position: once per step for all layers).
        let embd = weights.tokenEmbedding
        for (r, t) in batch.tokens.enumerated() {
            Dequantize.row(embd.type, embd.baseAddress + Int(t) * embd.rowBytes, s.x[r], count: c.embeddingWidth)
            rope.angles(position: batch.rows[r].position, into: s.rope[r])
        }
        var plan = AttentionPlan(strategy: options.attentionStrategy, starts: batch.starts, counts: batch.inputs.map(\.tokens.count),
                                 tables: batch.tables, firstRow: batch.firstRow, pageSize: cache.geometry.pageSize,
                                 chunk: AttentionChunks.size, minimumSharedPrefix: options.minimumSharedPrefix)
        let positions = batch.rows.map(\.position)
        let wanted = batch.wantedRows
        let e = c.embeddingWidth, featureCount = options.featureLayers.count
        var layerHidden = [Float](repeating: 0, count: featureCount == 0 ? 0 : wanted.count * featureCount * e)
        for (l, layer) in weights.layers.enumerated() {
            attentionBlock(layer: l, weights: layer, batch: batch, plan: &plan, positions: positions, cache: cache,
                           precision: options.numerics.attention, quantize: quantize, state: s)
            feedForwardBlock(weights: layer, rows: n, quantize: quantize, state: s)
            for (f, chosen) in options.featureLayers.enumerated() where chosen == l {
                layerHidden.withUnsafeMutableBufferPointer { out in
                    for (k, r) in wanted.enumerated() {
                        VectorMath.rmsNormalize(s.x[r], out.baseAddress! + (k * featureCount + f) * e, count: e, epsilon: c.rmsEpsilon)
                    }
                }
            }
        }
        return (logits(batch, wanted: wanted, layerHidden: layerHidden, quantize: quantize, state: s), plan.profile)
    }

    /// x += Wo · attention(RoPE(Wq·norm(x)), cache ∪ RoPE(Wk·norm(x)), cache ∪ Wv·norm(x)).
    private func attentionBlock(layer l: Int, weights w: LayerWeights, batch: StepBatch, plan: inout AttentionPlan, positions: [Int],
                                cache: KVCache, precision: AttentionPrecision, quantize: Bool, state s: RunState) {
        let c = config, n = batch.tokens.count
        rmsNorm(s.x, w.attentionNorm, into: s.h, rows: n)
        MatMul.linear(s.h.base, rows: n, weights: w.queryKeyValue, s.queryKeyValue, pool: pool,
                      quantizeActivations: quantize, workspace: s.matmul)
        let slots = batch.rows
        eachRow(n) { r in
            rope.apply(s.q[r], heads: c.headCount, table: s.rope[r])
            rope.apply(s.k[r], heads: c.kvHeadCount, table: s.rope[r])
            cache.write(layer: l, at: slots[r].slot, key: s.k[r], value: s.v[r])
        }
        let start = MonotonicClock.seconds()
        attend(layer: l, plan: plan, positions: positions, q: s.q, out: s.attention, cache: cache, precision: precision,
               workspace: s.attentionSpace)
        plan.profile.attentionSeconds += MonotonicClock.seconds() - start
        MatMul.linear(s.attention.base, rows: n, weight: w.attentionOutput, s.h.base, pool: pool, quantizeActivations: quantize,
                      workspace: s.matmul)
        addResidual(s.h, to: s.x, rows: n)
    }

    /// x += W2 · (silu(W1·norm(x)) ⊙ W3·norm(x)).
    private func feedForwardBlock(weights w: LayerWeights, rows n: Int, quantize: Bool, state s: RunState) {
        rmsNorm(s.x, w.feedForwardNorm, into: s.h, rows: n)
        MatMul.linear(s.h.base, rows: n, weights: w.gateAndUp, s.gateAndUp, pool: pool, quantizeActivations: quantize,
                      workspace: s.matmul)
        let width = config.feedForwardWidth
        eachRow(n) { r in VectorMath.swiGLU(s.gate[r], s.up[r], count: width) }
        MatMul.linear(s.gate.base, rows: n, weight: w.down, s.h.base, pool: pool, quantizeActivations: quantize, workspace: s.matmul)
        addResidual(s.h, to: s.x, rows: n)
    }

    /// Output norm and LM head for the rows asked for, every input's rows in one matmul (the output
    /// layer is read once per step, however many sequences).
    private func logits(_ batch: StepBatch, wanted sources: [Int], layerHidden: [Float], quantize: Bool, state s: RunState) -> [StepOutput] {
        let c = config, e = c.embeddingWidth, vocabulary = c.vocabularySize
        let perRow = sources.isEmpty ? 0 : layerHidden.count / sources.count
        var hidden = [Float](repeating: 0, count: sources.count * e)
        var logits = [Float](repeating: 0, count: sources.count * vocabulary)
        if !sources.isEmpty {
            hidden.withUnsafeMutableBufferPointer { hb in
                let out = Rows(base: hb.baseAddress!, width: e)
                weights.outputNorm.withUnsafeBufferPointer { w in
                    for (k, r) in sources.enumerated() {
                        VectorMath.rmsNorm(s.x[r], w.baseAddress!, out[k], count: e, epsilon: c.rmsEpsilon)
                    }
                }
                logits.withUnsafeMutableBufferPointer { lb in
                    MatMul.linear(hb.baseAddress!, rows: sources.count, weight: weights.output, lb.baseAddress!, pool: pool,
                                  quantizeActivations: quantize, workspace: s.matmul)
                }
            }
        }
        var outputs: [StepOutput] = []
        var first = 0
        for input in batch.inputs {
            let k = input.wanted.count
            outputs.append(StepOutput(sequence: input.sequence, rows: k, logits: Array(logits[(first * vocabulary)..<((first + k) * vocabulary)]),
                                      hidden: Array(hidden[(first * e)..<((first + k) * e)]),
                                      layerHidden: Array(layerHidden[(first * perRow)..<((first + k) * perRow)]), vocabularySize: vocabulary))
            first += k
        }
        return outputs
    }

    private func rmsNorm(_ x: Rows, _ weight: [Float], into y: Rows, rows n: Int) {
        let epsilon = config.rmsEpsilon
        weight.withUnsafeBufferPointer { w in
            let w = w.baseAddress!
            eachRow(n) { r in VectorMath.rmsNorm(x[r], w, y[r], count: x.width, epsilon: epsilon) }
        }
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
