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
    /// The same weights rearranged at load time for the kernels (row-interleaved blocks), if they were.
    /// The mapping itself is never changed.
    public var packed: PackedRows?

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

/// A weight matrix's blocks rearranged at load time, in memory of its own (64-byte aligned): the kernels
/// define the layout (`groupRows` rows interleaved per group); this type only owns the bytes.
public final class PackedRows: @unchecked Sendable {
    public let groupRows: Int
    public let byteCount: Int
    private let storage: UnsafeMutableRawPointer

    public init(groupRows: Int, byteCount: Int) {
        self.groupRows = groupRows
        self.byteCount = byteCount
        storage = .allocate(byteCount: max(byteCount, 64), alignment: 64)
    }

    deinit { storage.deallocate() }

    /// Writing while packing (once, before any kernel reads it), and reading in the kernels.
    package var baseAddress: UnsafeMutableRawPointer { storage }
}
