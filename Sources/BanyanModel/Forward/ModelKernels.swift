import BanyanKernels

/// The weights as a forward step reads them: kernel views of every matrix and pointers to every norm, in
/// plain values, so that the layer loop of a step copies and passes them without reference counting
/// (copying a `LayerWeights` retains some thirty references). Built once per model; it keeps the norms'
/// pinned copies, and the model keeps the weights the matrices point into. (Sendable: what the pointers
/// point at never changes after loading.)
struct ModelKernels: @unchecked Sendable {
    struct Layer {
        let attentionNorm: UnsafePointer<Float>
        let query, key, value, attentionOutput: WeightMatrix
        let feedForwardNorm: UnsafePointer<Float>
        let gate, up, down: WeightMatrix
    }

    let tokenEmbedding: WeightMatrix
    let layers: [Layer]
    let outputNorm: UnsafePointer<Float>
    let output: WeightMatrix
    private let norms: [PinnedFloats]

    init(_ w: LlamaWeights) {
        var norms: [PinnedFloats] = []
        func pin(_ values: [Float]) -> UnsafePointer<Float> {
            norms.append(PinnedFloats(values))
            return norms.last!.baseAddress
        }
        tokenEmbedding = WeightMatrix(borrowing: w.tokenEmbedding)
        layers = w.layers.map { l in
            Layer(attentionNorm: pin(l.attentionNorm), query: WeightMatrix(borrowing: l.query), key: WeightMatrix(borrowing: l.key),
                  value: WeightMatrix(borrowing: l.value), attentionOutput: WeightMatrix(borrowing: l.attentionOutput),
                  feedForwardNorm: pin(l.feedForwardNorm), gate: WeightMatrix(borrowing: l.gate), up: WeightMatrix(borrowing: l.up),
                  down: WeightMatrix(borrowing: l.down))
        }
        outputNorm = pin(w.outputNorm)
        output = WeightMatrix(borrowing: w.output)
        self.norms = norms
    }
}

