import BanyanKernels

/// `count` rows of `width` floats in one buffer; row `r` starts at `r * width`.
struct Rows {
    let base: UnsafeMutablePointer<Float>
    let width: Int
    @inline(__always) subscript(_ r: Int) -> UnsafeMutablePointer<Float> { base + r * width }
}

/// The activations of one step, kept between steps and grown when a step has more rows than any before,
/// so the residual stream and the matmul outputs are not reallocated per token (llama2.c's RunState, for
/// many rows). The matmuls' quantized activations and tile lists live in `matmul`, attention's state and
/// scratch in `attentionSpace`.
final class RunState {
    let matmul = MatMulWorkspace()
    let attentionSpace = AttentionWorkspace()
    private(set) var capacity = 0
    private var storage: UnsafeMutablePointer<Float>?
    private let widths: [Int]
    /// Residual stream, normalized input of the next matmul, q, k, v, attention output, gate, up, RoPE angles.
    private(set) var x, h, q, k, v, attention, gate, up, rope: Rows

    /// Logits, final hidden states and feature-layer states of the rows that return outputs.
    private(set) var logits = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var hidden = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var features = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var outputCapacity = (logits: 1, hidden: 1, features: 1)
    /// The attention plan and its buffers, kept between steps.
    var plan = AttentionPlan()

    init(_ c: LlamaConfig) {
        widths = [c.embeddingWidth, c.embeddingWidth, c.queryWidth, c.kvWidth, c.kvWidth, c.queryWidth,
                  c.feedForwardWidth, c.feedForwardWidth, c.headDim]
        let empty = Rows(base: UnsafeMutablePointer(bitPattern: 64)!, width: 0)
        (x, h, q, k, v, attention, gate, up, rope) = (empty, empty, empty, empty, empty, empty, empty, empty, empty)
    }

    deinit {
        storage?.deallocate()
        logits.deallocate()
        hidden.deallocate()
        features.deallocate()
    }

    /// Makes room for `rows` output rows of `vocabulary` logits, `width` hidden floats and `featureWidth`
    /// feature floats each.
    func reserveOutputs(rows: Int, vocabulary: Int, width: Int, featureWidth: Int) {
        func grow(_ p: inout UnsafeMutablePointer<Float>, _ capacity: inout Int, _ needed: Int) {
            guard needed > capacity else { return }
            p.deallocate()
            capacity = max(needed, 2 * capacity)
            p = .allocate(capacity: capacity)
        }
        grow(&logits, &outputCapacity.logits, rows * vocabulary)
        grow(&hidden, &outputCapacity.hidden, rows * width)
        grow(&features, &outputCapacity.features, rows * featureWidth)
    }

    /// Makes room for `rows` rows of every buffer.
    func reserve(rows: Int) {
        guard rows > capacity else { return }
        storage?.deallocate()
        capacity = max(rows, capacity * 2)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: capacity * widths.reduce(0, +))
        storage = p
        var offset = 0
        var views: [Rows] = []
        for w in widths {
            views.append(Rows(base: p + offset, width: w))
            offset += capacity * w
        }
        (x, h, q, k, v, attention, gate, up, rope) = (views[0], views[1], views[2], views[3], views[4], views[5], views[6], views[7], views[8])
    }
}
