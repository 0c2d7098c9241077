/// A tensor's bytes in place inside a mapped file: shape, type and a view, never a copy.
///
/// `shape` is ggml order, fastest-varying first: a weight matrix is `[inputs, outputs]`,
/// so `shape[0]` is the row length and each of the `shape[1]` rows is contiguous.
public struct TensorView: Sendable {
    public let name: String
    public let type: GGMLType
    public let shape: [Int]
    /// Absolute offset of the first byte in the file.
    public let offset: Int
    public let byteCount: Int
    public let file: MappedFile

    public init(name: String, type: GGMLType, shape: [Int], offset: Int, byteCount: Int, file: MappedFile) {
        self.name = name
        self.type = type
        self.shape = shape
        self.offset = offset
        self.byteCount = byteCount
        self.file = file
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var rowLength: Int { shape.first ?? 1 }
    public var rowCount: Int { elementCount / max(rowLength, 1) }
    /// Bytes per row (row stride).
    public var rowBytes: Int { type.rowBytes(elements: rowLength) ?? 0 }

    /// Start of the data. The mapping stays alive as long as this view (through `file`).
    package var baseAddress: UnsafeRawPointer { file.base + offset }
}
