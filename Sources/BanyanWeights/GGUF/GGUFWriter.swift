/// Builds a GGUF file in memory: metadata, tensor infos, aligned tensor data.
/// Used to write small test models and files of one's own; the reader accepts everything it writes.
public struct GGUFWriter {
    public struct Tensor {
        public var name: String
        public var type: GGMLType
        /// ggml order, fastest-varying first.
        public var shape: [Int]
        public var data: [UInt8]

        public init(name: String, type: GGMLType, shape: [Int], data: [UInt8]) {
            self.name = name
            self.type = type
            self.shape = shape
            self.data = data
        }
    }

    public var version: UInt32 = 3
    public var alignment = 32
    public private(set) var metadata: [(String, GGUFWritable)] = []
    public private(set) var tensors: [Tensor] = []

    public init() {}

    public mutating func set(_ key: String, _ value: GGUFWritable) {
        metadata.removeAll { $0.0 == key }
        metadata.append((key, value))
    }

    public mutating func add(_ tensor: Tensor) { tensors.append(tensor) }

    /// A float32 tensor from values in ggml order.
    public mutating func addF32(_ name: String, shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for v in values { bytes.appendLE(v.bitPattern) }
        add(Tensor(name: name, type: .f32, shape: shape, data: bytes))
    }

    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out += GGUFFile.magic
        out.appendLE(version)
        out.appendLE(UInt64(tensors.count))
        out.appendLE(UInt64(metadata.count))
        for (key, value) in metadata {
            out.appendGGUFString(key)
            out.appendLE(value.ggufType.rawValue)
            value.write(to: &out)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            out.appendGGUFString(t.name)
            out.appendLE(UInt32(t.shape.count))
            for d in t.shape { out.appendLE(UInt64(d)) }
            out.appendLE(t.type.rawValue)
            out.appendLE(UInt64(o))
        }
        out += [UInt8](repeating: 0, count: (alignment - out.count % alignment) % alignment)
        for t in tensors {
            out += t.data
            out += [UInt8](repeating: 0, count: (alignment - t.data.count % alignment) % alignment)
        }
        return out
    }
}

/// A value the writer can encode as GGUF metadata.
public protocol GGUFWritable {
    var ggufType: GGUFValueType { get }
    func write(to out: inout [UInt8])
}

extension UInt8: GGUFWritable { public var ggufType: GGUFValueType { .uint8 }; public func write(to out: inout [UInt8]) { out.append(self) } }
extension Int8: GGUFWritable { public var ggufType: GGUFValueType { .int8 }; public func write(to out: inout [UInt8]) { out.appendLE(self) } }
extension UInt16: GGUFWritable { public var ggufType: GGUFValueType { .uint16 }; public func write(to out: inout [UInt8]) { out.appendLE(self) } }
extension Int16: GGUFWritable { public var ggufType: GGUFValueType { .int16 }; public func write(to out: inout [UInt8]) { out.appendLE(self) } }
extension UInt32: GGUFWritable { public var ggufType: GGUFValueType { .uint32 }; public func write(to out: inout [UInt8]) { out.appendLE(self) } }
extension Int32: GGUFWritable { public var ggufType: GGUFValueType { .int32 }; public func write(to out: inout [UInt8]) { out.appendLE(self) } }
extension UInt64: GGUFWritable { public var ggufType: GGUFValueType { .uint64 }; public func write(to out: inout [UInt8]) { out.appendLE(self) } }
extension Int64: GGUFWritable { public var ggufType: GGUFValueType { .int64 }; public func write(to out: inout [UInt8]) { out.appendLE(self) } }
extension Float: GGUFWritable { public var ggufType: GGUFValueType { .float32 }; public func write(to out: inout [UInt8]) { out.appendLE(bitPattern) } }
extension Double: GGUFWritable { public var ggufType: GGUFValueType { .float64 }; public func write(to out: inout [UInt8]) { out.appendLE(bitPattern) } }
extension Bool: GGUFWritable { public var ggufType: GGUFValueType { .bool }; public func write(to out: inout [UInt8]) { out.append(self ? 1 : 0) } }
extension String: GGUFWritable { public var ggufType: GGUFValueType { .string }; public func write(to out: inout [UInt8]) { out.appendGGUFString(self) } }

/// An array value; elements must all have `elementType`.
public struct GGUFWritableArray: GGUFWritable {
    public let elementType: GGUFValueType
    public let elements: [GGUFWritable]
    public init(_ elementType: GGUFValueType, _ elements: [GGUFWritable]) {
        self.elementType = elementType
        self.elements = elements
    }
    public var ggufType: GGUFValueType { .array }
    public func write(to out: inout [UInt8]) {
        out.appendLE(elementType.rawValue)
        out.appendLE(UInt64(elements.count))
        for e in elements { e.write(to: &out) }
    }
}

extension Array where Element == UInt8 {
    /// Appends `v`'s bytes, little-endian (also used by the tests and the corruption sweep).
    package mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendGGUFString(_ s: String) {
        appendLE(UInt64(s.utf8.count))
        append(contentsOf: s.utf8)
    }
}
