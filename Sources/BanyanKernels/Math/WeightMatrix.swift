import BanyanWeights

/// A weight matrix as the kernels read it: where its bytes are and how they are laid out, in plain values
/// with no references, so a forward pass copies and passes it without reference counting.
///
/// It borrows the memory of the `TensorView` it was made from (the mapping, and the repacked rows if
/// any); whoever keeps one must keep that view alive. A model's weights live as long as the model, which
/// is how `LlamaModel` uses it; the `TensorView` entry points of `MatMul` make and drop one per call.
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    /// Elements per row (the product's inputs) and rows (its outputs).
    public let rowLength: Int
    public let rowCount: Int
    public let rowBytes: Int
    package let base: UnsafeRawPointer
    let packed: UnsafeRawPointer?

    /// The kernels' view of `tensor`, valid while `tensor` (its mapping and packed rows) is alive.
    package init(borrowing tensor: TensorView) {
        type = tensor.type
        rowLength = tensor.rowLength
        rowCount = tensor.rowCount
        rowBytes = tensor.rowBytes
        base = tensor.baseAddress
        packed = tensor.packed.map { UnsafeRawPointer($0.baseAddress) }
    }
}

/// Floats in memory of their own at a fixed address (a norm's weights, say), so that a forward pass can
/// hold a plain pointer to them instead of an array it would retain on every read.
public final class PinnedFloats: @unchecked Sendable {
    public let count: Int
    private let storage: UnsafeMutablePointer<Float>

    public init(_ values: [Float]) {
        count = values.count
        storage = .allocate(capacity: max(values.count, 1))
        _ = UnsafeMutableBufferPointer(start: storage, count: values.count).initialize(from: values)
    }

    deinit { storage.deallocate() }

    /// Valid while this object is alive.
    package var baseAddress: UnsafePointer<Float> { UnsafePointer(storage) }
}
