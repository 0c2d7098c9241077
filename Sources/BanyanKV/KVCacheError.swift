/// Why the KV cache refused an operation. Nothing is changed when one of these is thrown.
public enum KVCacheError: Error, Equatable, CustomStringConvertible {
    case outOfPages(needed: Int, free: Int, pageSize: Int)
    case unknownSequence(Int)
    case badTruncation(sequence: Int, length: Int, requested: Int)
    case badPageSize(Int)
    case badCapacity(Int)
    case badForkCount(Int)
    case cannotReserve(bytes: Int)

    public var description: String {
        switch self {
        case .outOfPages(let needed, let free, let pageSize):
            return "KV cache is full: \(needed) more pages of \(pageSize) tokens needed, \(free) free (free sequences or raise the capacity)"
        case .unknownSequence(let s): return "sequence \(s) does not exist (already freed?)"
        case .badTruncation(let s, let length, let requested):
            return "cannot truncate sequence \(s) of length \(length) to \(requested)"
        case .badPageSize(let n): return "page size \(n) is outside 1...256 tokens"
        case .badCapacity(let n): return "a KV cache needs room for at least one token, not \(n)"
        case .badForkCount(let n): return "cannot fork into \(n) sequences"
        case .cannotReserve(let bytes): return "cannot reserve \(bytes) bytes of address space for the KV cache (lower the capacity)"
        }
    }
}
