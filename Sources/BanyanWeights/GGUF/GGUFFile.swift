/// A parsed GGUF file: metadata and a tensor table whose data stays in the mapping.
///
/// Every count, length, offset and size is checked against the file before use, so a corrupted or
/// truncated file fails with a `GGUFError` naming the byte offset, never with a crash.
public struct GGUFFile: Sendable {
    public let file: MappedFile
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [TensorView]
    public let alignment: Int
    /// Absolute offset where tensor data starts.
    public let dataStart: Int
    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]

    public static let magic: [UInt8] = [0x47, 0x47, 0x55, 0x46]
    static let maxArrayDepth = 8

    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws(GGUFError) {
        self.file = file
        guard file.count >= 24 else { throw .fileTooSmall(size: file.count) }
        let head = file.bytes(at: 0, count: 4)
        guard head == GGUFFile.magic else { throw .badMagic(found: head) }
        var cursor = ByteCursor(file: file, offset: 4)
        let version = try cursor.read(UInt32.self, "version")
        if version & 0xFFFF == 0 && version != 0 { throw .bigEndian(version: version) }
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        self.version = version

        let tensorCountOffset = cursor.offset
        let tensorCount = try cursor.read(UInt64.self, "tensor count")
        let kvCountOffset = cursor.offset
        let kvCount = try cursor.read(UInt64.self, "metadata count")
        // The smallest key-value pair is 13 bytes, the smallest tensor info 32: bound counts by what remains.
        guard kvCount <= UInt64(cursor.remaining / 13) else {
            throw .countTooLarge(what: "metadata count", offset: kvCountOffset, count: kvCount, available: cursor.remaining)
        }
        guard tensorCount <= UInt64(cursor.remaining / 32) else {
            throw .countTooLarge(what: "tensor count", offset: tensorCountOffset, count: tensorCount, available: cursor.remaining)
        }

        var metadata: [(key: String, value: GGUFValue)] = []
        metadata.reserveCapacity(Int(kvCount))
        var metadataIndex: [String: Int] = [:]
        var alignment = 32
        for _ in 0..<Int(kvCount) {
            let keyOffset = cursor.offset
            let key = try cursor.readString("metadata key")
            let typeOffset = cursor.offset
            let rawType = try cursor.read(UInt32.self, "value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw .unknownValueType(key: key, offset: typeOffset, type: rawType)
            }
            let valueOffset = cursor.offset
            let value = try GGUFFile.readValue(type, key: key, cursor: &cursor, depth: 0)
            guard metadataIndex[key] == nil else { throw .duplicateKey(key, offset: keyOffset) }
            if key == "general.alignment" {
                guard case .uint32(let a) = value else {
                    throw .badAlignment(offset: valueOffset, detail: "type is \(type), expected uint32")
                }
                guard a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                    throw .badAlignment(offset: valueOffset, detail: "\(a) is not a power of two up to 1 MiB")
                }
                alignment = Int(a)
            }
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }

        struct Info { let name: String; let type: GGMLType; let shape: [Int]; let dataOffset: UInt64; let bytes: Int; let at: Int }
        var infos: [Info] = []
        infos.reserveCapacity(Int(tensorCount))
        var tensorIndex: [String: Int] = [:]
        for _ in 0..<Int(tensorCount) {
            let at = cursor.offset
            let nameSpan = try cursor.readStringSpan("tensor name")
            guard nameSpan.count > 0, nameSpan.count < 64 else {
                throw .badTensorName(offset: at, detail: "length \(nameSpan.count), must be 1…63 bytes")
            }
            let name = String(decoding: UnsafeRawBufferPointer(start: file.base + nameSpan.offset, count: nameSpan.count), as: UTF8.self)
            guard tensorIndex[name] == nil else { throw .duplicateTensor(name, offset: at) }
            let dimsOffset = cursor.offset
            let nDims = try cursor.read(UInt32.self, "dimension count of '\(name)'")
            guard (1...4).contains(nDims) else {
                throw .badDimensions(tensor: name, offset: dimsOffset, detail: "\(nDims) dimensions, must be 1…4")
            }
            var shape: [Int] = []
            var elements = 1
            for d in 0..<Int(nDims) {
                let dimOffset = cursor.offset
                let dim = try cursor.read(UInt64.self, "dimension \(d) of '\(name)'")
                guard dim > 0, dim <= UInt64(Int32.max) else {
                    throw .badDimensions(tensor: name, offset: dimOffset, detail: "dimension \(d) is \(dim), must be 1…\(Int32.max)")
                }
                let (e, o) = elements.multipliedReportingOverflow(by: Int(dim))
                guard !o, e <= file.count * 8 else {
                    throw .badDimensions(tensor: name, offset: dimOffset, detail: "element count overflows or exceeds what the file can hold")
                }
                elements = e
                shape.append(Int(dim))
            }
            let typeOffset = cursor.offset
            let rawType = try cursor.read(UInt32.self, "type of '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw .unknownTensorType(tensor: name, offset: typeOffset, type: rawType)
            }
            guard let rowBytes = type.rowBytes(elements: shape[0]) else {
                throw .badDimensions(tensor: name, offset: dimsOffset,
                                     detail: "row length \(shape[0]) is not a multiple of \(type)'s block size \(type.blockSize)")
            }
            let (bytes, o) = rowBytes.multipliedReportingOverflow(by: elements / shape[0])
            guard !o else { throw .badDimensions(tensor: name, offset: dimsOffset, detail: "byte size overflows") }
            let dataOffset = try cursor.read(UInt64.self, "data offset of '\(name)'")
            tensorIndex[name] = infos.count
            infos.append(Info(name: name, type: type, shape: shape, dataOffset: dataOffset, bytes: bytes, at: at))
        }

        let infosEnd = cursor.offset
        let dataStart = (infosEnd + alignment - 1) / alignment * alignment
        var tensors: [TensorView] = []
        tensors.reserveCapacity(infos.count)
        for info in infos {
            guard info.dataOffset % UInt64(alignment) == 0 else {
                throw .misalignedTensor(tensor: info.name, offset: info.at, dataOffset: info.dataOffset, alignment: alignment)
            }
            let (start, o1) = UInt64(dataStart).addingReportingOverflow(info.dataOffset)
            let (end, o2) = start.addingReportingOverflow(UInt64(info.bytes))
            guard !o1, !o2, end <= UInt64(file.count) else {
                throw .tensorPastEnd(tensor: info.name, offset: info.at, end: o1 || o2 ? .max : end, fileSize: file.count)
            }
            tensors.append(TensorView(name: info.name, type: info.type, shape: info.shape,
                                      offset: Int(start), byteCount: info.bytes, file: file))
        }
        let byStart = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw .overlappingTensors(first: a.name, second: b.name, offset: b.offset)
        }

        self.metadata = metadata
        self.metadataIndex = metadataIndex
        self.alignment = alignment
        self.dataStart = dataStart
        self.tensors = tensors
        self.tensorIndex = tensorIndex
    }

    private static func readValue(_ type: GGUFValueType, key: String, cursor: inout ByteCursor, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case .string:
            return .string(try cursor.readString("string value of '\(key)'"))
        case .array:
            guard depth < maxArrayDepth else { throw .arrayTooDeep(key: key, offset: cursor.offset) }
            let typeOffset = cursor.offset
            let rawType = try cursor.read(UInt32.self, "array element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw .unknownValueType(key: key, offset: typeOffset, type: rawType)
            }
            let countOffset = cursor.offset
            let count = try cursor.read(UInt64.self, "array length of '\(key)'")
            guard count <= UInt64(cursor.remaining / elementType.minimumSize) else {
                throw .countTooLarge(what: "array length of '\(key)'", offset: countOffset, count: count, available: cursor.remaining)
            }
            let n = Int(count)
            let dataOffset = cursor.offset
            var spans: [(offset: Int, count: Int)] = []
            var nested: [GGUFArray] = []
            switch elementType {
            case .string:
                spans.reserveCapacity(n)
                for _ in 0..<n { spans.append(try cursor.readStringSpan("string element of '\(key)'")) }
            case .array:
                for _ in 0..<n {
                    guard case .array(let a) = try readValue(.array, key: key, cursor: &cursor, depth: depth + 1) else { continue }
                    nested.append(a)
                }
            default:
                try cursor.skip(n * elementType.fixedSize!, "elements of '\(key)'")
            }
            return .array(GGUFArray(elementType: elementType, count: n, file: cursor.file, dataOffset: dataOffset,
                                    stringSpans: spans, nested: nested))
        default:
            let size = type.fixedSize!
            try cursor.require(size, "value of '\(key)'")
            let v = GGUFArray.scalar(type, at: cursor.file.base + cursor.offset)
            try cursor.skip(size, "value of '\(key)'")
            return v
        }
    }

    public subscript(key: String) -> GGUFValue? {
        metadataIndex[key].map { metadata[$0].value }
    }

    public func tensor(named name: String) -> TensorView? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// `general.architecture`, e.g. "llama".
    public var architecture: String? { self["general.architecture"]?.string }

    /// Number of tensors of each type, by ggml type name.
    public var tensorTypeCounts: [String: Int] {
        tensors.reduce(into: [:]) { $0[$1.type.name, default: 0] += 1 }
    }
}
