/// GGUF metadata value type ids.
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    /// Smallest encoded size of one element, used to bound counts before reading.
    var minimumSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }

    /// Fixed size of a scalar element, nil for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .string, .array: return nil
        default: return minimumSize
        }
    }
}

/// One metadata value. Arrays stay in the mapping and are read lazily: the vocabulary of a model
/// is ~50k strings, and most callers need only a few keys.
public enum GGUFValue: Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
    case array(GGUFArray)

    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        case .array: return .array
        }
    }

    /// The value as an integer, for any integer type (and bool).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .int64(let v): return Int(v)
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: GGUFArray? {
        if case .array(let a) = self { return a }
        return nil
    }
}

/// An array value, a view into the mapped file.
public struct GGUFArray: Sendable {
    public let elementType: GGUFValueType
    public let count: Int
    let file: MappedFile
    /// Offset of the first element (for fixed-size elements).
    let dataOffset: Int
    /// For string arrays: offset and byte count of each string.
    let stringSpans: [(offset: Int, count: Int)]
    /// For arrays of arrays: the parsed sub-arrays.
    let nested: [GGUFArray]

    /// The raw bytes of string element `i` (byte-exact: tokenizer vocabularies depend on it).
    public func stringBytes(at i: Int) -> [UInt8] {
        let s = stringSpans[i]
        return file.bytes(at: s.offset, count: s.count)
    }

    /// Calls `body` with string element `i`'s bytes in place (no copy).
    public func withStringBytes<R>(at i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let s = stringSpans[i]
        return try body(UnsafeRawBufferPointer(start: file.base + s.offset, count: s.count))
    }

    public func string(at i: Int) -> String {
        withStringBytes(at: i) { String(decoding: $0, as: UTF8.self) }
    }

    /// All elements as strings (empty unless this is a string array).
    public var strings: [String] {
        elementType == .string ? (0..<count).map(string(at:)) : []
    }

    /// Element `i` as a value.
    public func element(at i: Int) -> GGUFValue {
        switch elementType {
        case .string: return .string(string(at: i))
        case .array: return .array(nested[i])
        default:
            let size = elementType.fixedSize!
            let p = file.base + dataOffset + i * size
            return GGUFArray.scalar(elementType, at: p)
        }
    }

    /// Numeric elements converted to Int (integer arrays) — e.g. token types.
    public var ints: [Int] { (0..<count).compactMap { element(at: $0).int } }

    /// Numeric elements converted to Float — e.g. SentencePiece scores.
    public var floats: [Float] { (0..<count).compactMap { element(at: $0).double.map(Float.init) } }

    static func scalar(_ type: GGUFValueType, at p: UnsafeRawPointer) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(p.load(as: UInt8.self))
        case .int8: return .int8(p.load(as: Int8.self))
        case .uint16: return .uint16(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
        case .int16: return .int16(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
        case .uint32: return .uint32(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        case .int32: return .int32(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
        case .float32: return .float32(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))))
        case .bool: return .bool(p.load(as: UInt8.self) != 0)
        case .uint64: return .uint64(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
        case .int64: return .int64(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
        case .float64: return .float64(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
        case .string, .array: preconditionFailure("not a scalar type")
        }
    }
}
