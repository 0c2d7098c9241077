/// Why a GGUF file was rejected. Every case names the byte offset where the problem was found.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case fileTooSmall(size: Int)
    case badMagic(found: [UInt8])
    case unsupportedVersion(UInt32)
    case bigEndian(version: UInt32)
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    case countTooLarge(what: String, offset: Int, count: UInt64, available: Int)
    case lengthPastEnd(what: String, offset: Int, length: UInt64, available: Int)
    case unknownValueType(key: String, offset: Int, type: UInt32)
    case arrayTooDeep(key: String, offset: Int)
    case duplicateKey(String, offset: Int)
    case badAlignment(offset: Int, detail: String)
    case badTensorName(offset: Int, detail: String)
    case duplicateTensor(String, offset: Int)
    case badDimensions(tensor: String, offset: Int, detail: String)
    case unknownTensorType(tensor: String, offset: Int, type: UInt32)
    case misalignedTensor(tensor: String, offset: Int, dataOffset: UInt64, alignment: Int)
    case tensorPastEnd(tensor: String, offset: Int, end: UInt64, fileSize: Int)
    case overlappingTensors(first: String, second: String, offset: Int)

    public var description: String {
        switch self {
        case .fileTooSmall(let size):
            return "not a GGUF file: only \(size) bytes, a GGUF header needs at least 24"
        case .badMagic(let found):
            let hex = found.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return "not a GGUF file: magic at offset 0 is [\(hex)], expected \"GGUF\" (47 47 55 46)"
        case .unsupportedVersion(let v):
            return "GGUF version \(v) at offset 4 is not supported (versions 2 and 3 are)"
        case .bigEndian(let v):
            return "big-endian GGUF (version field reads \(v) at offset 4) is not supported"
        case .truncated(let what, let offset, let needed, let available):
            return "file truncated: reading \(what) at offset \(offset) needs \(needed) bytes, \(available) remain"
        case .countTooLarge(let what, let offset, let count, let available):
            return "\(what) at offset \(offset) is \(count), more than the \(available) bytes left in the file can hold"
        case .lengthPastEnd(let what, let offset, let length, let available):
            return "\(what) at offset \(offset) has length \(length), past the end of the file (\(available) bytes remain)"
        case .unknownValueType(let key, let offset, let type):
            return "metadata '\(key)' at offset \(offset) has unknown value type \(type)"
        case .arrayTooDeep(let key, let offset):
            return "metadata '\(key)' at offset \(offset) nests arrays deeper than 8 levels"
        case .duplicateKey(let key, let offset):
            return "metadata key '\(key)' at offset \(offset) appears twice"
        case .badAlignment(let offset, let detail):
            return "general.alignment at offset \(offset): \(detail)"
        case .badTensorName(let offset, let detail):
            return "tensor name at offset \(offset): \(detail)"
        case .duplicateTensor(let name, let offset):
            return "tensor '\(name)' at offset \(offset) appears twice"
        case .badDimensions(let tensor, let offset, let detail):
            return "tensor '\(tensor)' at offset \(offset): \(detail)"
        case .unknownTensorType(let tensor, let offset, let type):
            return "tensor '\(tensor)' at offset \(offset) has unknown or removed ggml type \(type)"
        case .misalignedTensor(let tensor, let offset, let dataOffset, let alignment):
            return "tensor '\(tensor)' (info at offset \(offset)) has data offset \(dataOffset), not a multiple of the alignment \(alignment)"
        case .tensorPastEnd(let tensor, let offset, let end, let fileSize):
            return "tensor '\(tensor)' (info at offset \(offset)) ends at byte \(end), past the end of the \(fileSize)-byte file: model is corrupted or incomplete"
        case .overlappingTensors(let first, let second, let offset):
            return "tensors '\(first)' and '\(second)' overlap at byte \(offset)"
        }
    }
}
