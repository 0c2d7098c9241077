/// Why a safetensors file or checkpoint was rejected.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case fileTooSmall(path: String, size: Int)
    case headerTooLarge(path: String, length: UInt64, fileSize: Int)
    case headerNotJSON(path: String, detail: String)
    case badEntry(path: String, tensor: String, detail: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case sizeMismatch(path: String, tensor: String, expected: Int, actual: Int)
    case notContiguous(path: String, tensor: String, offset: Int, expected: Int)
    case bufferSizeMismatch(path: String, end: Int, bufferSize: Int)
    case misaligned(path: String, tensor: String, offset: Int, elementSize: Int)
    case badIndex(path: String, detail: String)
    case missingFile(path: String)
    case badConfig(path: String, detail: String)

    public var description: String {
        switch self {
        case .fileTooSmall(let p, let s): return "\(p): \(s) bytes is too small for a safetensors file (header length needs 8)"
        case .headerTooLarge(let p, let l, let f): return "\(p): header length \(l) at offset 0 exceeds the file (\(f) bytes) or the 100 MB limit"
        case .headerNotJSON(let p, let d): return "\(p): header at offset 8 is not a JSON object: \(d)"
        case .badEntry(let p, let t, let d): return "\(p): tensor '\(t)': \(d)"
        case .unknownDType(let p, let t, let d): return "\(p): tensor '\(t)' has unknown dtype '\(d)'"
        case .sizeMismatch(let p, let t, let e, let a): return "\(p): tensor '\(t)' spans \(a) bytes but its shape and dtype need \(e)"
        case .notContiguous(let p, let t, let o, let e): return "\(p): tensor '\(t)' starts at data offset \(o), expected \(e) (gap or overlap)"
        case .bufferSizeMismatch(let p, let e, let b): return "\(p): tensors end at data offset \(e) but the data buffer is \(b) bytes"
        case .misaligned(let p, let t, let o, let s): return "\(p): tensor '\(t)' at file offset \(o) is not aligned to its \(s)-byte elements"
        case .badIndex(let p, let d): return "\(p): \(d)"
        case .missingFile(let p): return "\(p) does not exist"
        case .badConfig(let p, let d): return "\(p): \(d)"
        }
    }
}
