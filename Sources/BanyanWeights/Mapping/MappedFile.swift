#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be mapped.
public enum MappedFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, errno: Int32)
    case cannotStat(path: String, errno: Int32)
    case notARegularFile(path: String)
    case empty(path: String)
    case mmapFailed(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let e): return "cannot open \(path): \(String(cString: strerror(e)))"
        case .cannotStat(let path, let e): return "cannot stat \(path): \(String(cString: strerror(e)))"
        case .notARegularFile(let path): return "\(path) is not a regular file"
        case .empty(let path): return "\(path) is empty (0 bytes)"
        case .mmapFailed(let path, let e): return "cannot map \(path) into memory: \(String(cString: strerror(e)))"
        }
    }
}

/// A read-only view of a whole file through `mmap`: weights are never copied, the kernel pages them in.
/// Identity matters (the mapping is unmapped once, when the last tensor view lets go), hence a class.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let count: Int
    package let base: UnsafeRawPointer
    private let ownsHeapCopy: Bool
    /// Keeps the original alive when this is a shorter view of another file.
    private let parent: MappedFile?
    package var ownsMemory: Bool { ownsHeapCopy || parent?.ownsMemory == true }

    public init(path: String) throws(MappedFileError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotStat(path: path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path: path) }
        let size = Int(st.st_size)
        guard size > 0 else { throw .empty(path: path) }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else { throw .mmapFailed(path: path, errno: errno) }
        self.path = path
        self.count = size
        self.base = UnsafeRawPointer(p)
        self.ownsHeapCopy = false
        self.parent = nil
    }

    init(sharing parent: MappedFile, count: Int) {
        self.path = parent.path
        self.count = Swift.min(count, parent.count)
        self.base = parent.base
        self.ownsHeapCopy = false
        self.parent = parent
    }

    /// Holds `bytes` in memory as if they were a file: used by tests and by corrupted-header checks,
    /// which parse thousands of variants without touching the disk.
    public init(bytes: [UInt8], name: String = "<memory>") {
        let n = max(bytes.count, 1)
        let p = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress { p.copyMemory(from: s, byteCount: bytes.count) }
        }
        self.path = name
        self.count = bytes.count
        self.base = UnsafeRawPointer(p)
        self.ownsHeapCopy = true
        self.parent = nil
    }

    deinit {
        if parent != nil { return }
        if ownsHeapCopy {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        }
    }

    /// Copies `length` bytes at `offset` (bounds are the caller's to have checked).
    package func bytes(at offset: Int, count length: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: base + offset, count: length))
    }

    /// Hints that the whole mapping will be read soon (the forward pass streams every weight).
    public func adviseWillNeed() {
        _ = madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_WILLNEED)
    }
}

extension MappedFile {
    /// A shorter view of the same bytes, as if the file had been truncated (for corruption tests).
    package func truncated(to length: Int) -> MappedFile {
        MappedFile(sharing: self, count: length)
    }

    /// Overwrites one byte of an in-memory file (for corruption tests). Mapped files are read-only.
    package func poke(_ byte: UInt8, at offset: Int) {
        precondition(ownsMemory && offset < count)
        UnsafeMutableRawPointer(mutating: base).storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
    }
}
