/// A bounds-checked little-endian reader over a mapped file. Every read checks the remaining length
/// first, so a corrupted count or length can never read outside the file.
struct ByteCursor {
    let file: MappedFile
    private(set) var offset: Int

    init(file: MappedFile, offset: Int = 0) {
        self.file = file
        self.offset = offset
    }

    var remaining: Int { file.count - offset }

    /// Throws `truncated` unless `n` more bytes exist.
    func require(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard n >= 0, n <= remaining else {
            throw .truncated(what: what(), offset: offset, needed: n, available: max(remaining, 0))
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size, what())
        let v = T(littleEndian: file.base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A u64-length-prefixed string; the length is checked against what is left of the file.
    mutating func readStringSpan(_ what: @autoclosure () -> String) throws(GGUFError) -> (offset: Int, count: Int) {
        let at = offset
        let length = try read(UInt64.self, "length of \(what())")
        guard length <= UInt64(remaining) else {
            throw .lengthPastEnd(what: what(), offset: at, length: length, available: remaining)
        }
        let span = (offset: offset, count: Int(length))
        offset += Int(length)
        return span
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let span = try readStringSpan(what())
        return String(decoding: UnsafeRawBufferPointer(start: file.base + span.offset, count: span.count), as: UTF8.self)
    }

    mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        try require(n, what())
        offset += n
    }
}
