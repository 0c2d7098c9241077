import Foundation

/// One `.safetensors` file: a JSON header and a data buffer, tensors viewed in place.
public struct SafetensorsFile: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: SafetensorsDType
        /// Row-major (PyTorch) shape, slowest-varying first.
        public let shape: [Int]
        /// Absolute file offset of the first byte.
        public let offset: Int
        public let byteCount: Int
    }

    public let file: MappedFile
    public let entries: [String: Entry]
    public let metadata: [String: String]

    static let maxHeader: UInt64 = 100_000_000

    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws(SafetensorsError) {
        let path = file.path
        self.file = file
        guard file.count >= 8 else { throw .fileTooSmall(path: path, size: file.count) }
        let n = UInt64(littleEndian: file.base.loadUnaligned(as: UInt64.self))
        guard n <= SafetensorsFile.maxHeader, n <= UInt64(file.count - 8) else {
            throw .headerTooLarge(path: path, length: n, fileSize: file.count)
        }
        let headerBytes = Data(bytes: file.base + 8, count: Int(n))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [])
        } catch {
            throw .headerNotJSON(path: path, detail: "\(error.localizedDescription)")
        }
        guard let object = json as? [String: Any] else { throw .headerNotJSON(path: path, detail: "top level is not an object") }

        let dataStart = 8 + Int(n)
        let bufferSize = file.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var spans: [(begin: Int, end: Int, name: String)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw .badEntry(path: path, tensor: name, detail: "metadata is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw .badEntry(path: path, tensor: name, detail: "metadata value '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw .badEntry(path: path, tensor: name, detail: "entry is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw .badEntry(path: path, tensor: name, detail: "missing dtype") }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw .unknownDType(path: path, tensor: name, dtype: dtypeName) }
            guard let shapeAny = info["shape"] as? [Any], let offsetsAny = info["data_offsets"] as? [Any], offsetsAny.count == 2 else {
                throw .badEntry(path: path, tensor: name, detail: "missing shape or data_offsets [begin, end]")
            }
            let shape = try shapeAny.map { (v: Any) throws(SafetensorsError) -> Int in
                guard let i = SafetensorsFile.integer(v), i >= 0 else { throw .badEntry(path: path, tensor: name, detail: "shape entries must be non-negative integers") }
                return i
            }
            guard let begin = SafetensorsFile.integer(offsetsAny[0]), let end = SafetensorsFile.integer(offsetsAny[1]),
                  begin >= 0, end >= begin else {
                throw .badEntry(path: path, tensor: name, detail: "data_offsets must be integers with 0 <= begin <= end")
            }
            var expected = dtype.size
            for d in shape {
                let (r, o) = expected.multipliedReportingOverflow(by: d)
                guard !o else { throw .sizeMismatch(path: path, tensor: name, expected: Int.max, actual: end - begin) }
                expected = r
            }
            guard end - begin == expected else { throw .sizeMismatch(path: path, tensor: name, expected: expected, actual: end - begin) }
            guard end <= bufferSize else { throw .bufferSizeMismatch(path: path, end: end, bufferSize: bufferSize) }
            let absolute = dataStart + begin
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, offset: absolute, byteCount: expected)
            spans.append((begin, end, name))
        }
        var next = 0
        for s in spans.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard s.begin == next else { throw .notContiguous(path: path, tensor: s.name, offset: s.begin, expected: next) }
            next = s.end
        }
        guard next == bufferSize else { throw .bufferSizeMismatch(path: path, end: next, bufferSize: bufferSize) }
        // Views are typed loads straight from the mapping: each tensor must sit on its element size.
        for e in entries.values where e.byteCount > 0 && e.offset % e.dtype.size != 0 {
            throw .misaligned(path: path, tensor: e.name, offset: e.offset, elementSize: e.dtype.size)
        }
        self.entries = entries
        self.metadata = metadata
    }

    private static func integer(_ v: Any) -> Int? {
        if let n = v as? NSNumber {
            let d = n.doubleValue
            guard d.rounded() == d, abs(d) < 9e15 else { return nil }
            return n.intValue
        }
        return nil
    }

    /// The tensor as a view in ggml order (shape reversed), if its dtype has a ggml equivalent.
    public func tensor(named name: String) -> TensorView? {
        guard let e = entries[name], let type = e.dtype.ggmlType else { return nil }
        let shape = e.shape.isEmpty ? [1] : Array(e.shape.reversed())
        return TensorView(name: name, type: type, shape: shape, offset: e.offset, byteCount: e.byteCount, file: file)
    }
}

extension SafetensorsFile {
    /// An F32 tensor's values, copied out of the mapping (for small tensors such as a PRM head).
    public func floats(_ e: Entry) throws(SafetensorsError) -> [Float] {
        guard e.dtype == .f32 else { throw .badEntry(path: file.path, tensor: e.name, detail: "expected F32, found \(e.dtype.rawValue)") }
        let count = e.byteCount / 4
        return (0..<count).map { file.base.loadUnaligned(fromByteOffset: e.offset + 4 * $0, as: Float.self) }
    }
}
