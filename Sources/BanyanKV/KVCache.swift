#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A handle to one sequence in a `KVCache`.
public struct SequenceID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "seq\(rawValue)" }
    public static func < (a: SequenceID, b: SequenceID) -> Bool { a.rawValue < b.rawValue }
}

/// A paged KV cache shared by many sequences.
///
/// Storage is one pool of pages; a page holds `pageSize` tokens' K and V for every layer, and a
/// sequence is a block table of page ids. Forking copies the table and bumps reference counts (no KV
/// bytes move); the first write into a shared, partly filled page copies that page only, and the last
/// owner writes in place. Identity matters (sequences point into this pool), hence a class.
/// Not thread-safe: one engine owns it.
public final class KVCache {
    public let geometry: KVGeometry
    public let capacityPages: Int
    /// K then V, each laid out [layer][page][slot][kvWidth] so a page's slots of one layer are contiguous.
    private let keys: UnsafeMutableRawPointer
    private let values: UnsafeMutableRawPointer
    private let storageBytes: Int
    private var refcounts: [Int32]
    private var freePages: [Int32]
    private var sequences: [Int: Sequence] = [:]
    private var nextID = 0
    private var counters = KVStatistics()

    /// Record every allocation, fork, copy and free in `events` (off by default: a long run makes many).
    public var recordsEvents = false
    public private(set) var events: [KVEvent] = []
    /// The engine step events are stamped with; the model advances it once per forward step.
    public private(set) var step = 0

    struct Sequence {
        var blockTable: [Int32] = []
        var length = 0
    }

    /// Reserves address space for `capacityTokens` tokens; memory is committed only as pages are written.
    public init(geometry: KVGeometry, capacityTokens: Int) throws(KVCacheError) {
        guard KVGeometry.pageSizes.contains(geometry.pageSize) else { throw .badPageSize(geometry.pageSize) }
        guard capacityTokens > 0 else { throw .badCapacity(capacityTokens) }
        self.geometry = geometry
        capacityPages = geometry.pages(forTokens: capacityTokens)
        storageBytes = capacityPages * geometry.pageBytes / 2
        let p = mmap(nil, 2 * storageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else { throw .cannotReserve(bytes: 2 * storageBytes) }
        keys = p
        values = p + storageBytes
        refcounts = [Int32](repeating: 0, count: capacityPages)
        freePages = (0..<Int32(capacityPages)).reversed()
        counters.pagesTotal = capacityPages
        counters.pageSize = geometry.pageSize
        counters.pageBytes = geometry.pageBytes
    }

    deinit { munmap(keys, 2 * storageBytes) }

    // MARK: sequences

    public func createSequence() -> SequenceID {
        defer { nextID += 1 }
        sequences[nextID] = Sequence()
        record(KVEvent(kind: .create, step: step, sequence: nextID))
        return SequenceID(rawValue: nextID)
    }

    public func contains(_ s: SequenceID) -> Bool { sequences[s.rawValue] != nil }
    public var sequenceIDs: [SequenceID] { sequences.keys.sorted().map(SequenceID.init) }

    public func length(of s: SequenceID) throws(KVCacheError) -> Int { try sequence(s).length }

    public func blockTable(of s: SequenceID) throws(KVCacheError) -> [Int32] { try sequence(s).blockTable }

    private func sequence(_ s: SequenceID) throws(KVCacheError) -> Sequence {
        guard let seq = sequences[s.rawValue] else { throw .unknownSequence(s.rawValue) }
        return seq
    }

    /// `n` new sequences sharing all of `s`'s pages: O(pages), no KV bytes copied.
    public func fork(_ s: SequenceID, count n: Int = 1) throws(KVCacheError) -> [SequenceID] {
        guard n >= 0 else { throw .badForkCount(n) }
        let parent = try sequence(s)
        var children: [SequenceID] = []
        children.reserveCapacity(n)
        for page in parent.blockTable { refcounts[Int(page)] += Int32(n) }
        for _ in 0..<n {
            sequences[nextID] = parent
            children.append(SequenceID(rawValue: nextID))
            nextID += 1
        }
        counters.forks += n
        if recordsEvents {
            record(KVEvent(kind: .fork, step: step, sequence: s.rawValue, children: children.map(\.rawValue), pages: parent.blockTable.count))
        }
        return children
    }

    /// Drops the sequence; pages no other sequence uses return to the pool.
    public func free(_ s: SequenceID) throws(KVCacheError) {
        let seq = try sequence(s)
        record(KVEvent(kind: .freeSequence, step: step, sequence: s.rawValue, pages: seq.blockTable.count))
        for page in seq.blockTable { release(page) }
        sequences[s.rawValue] = nil
    }

    /// Rolls a sequence back to its first `length` tokens (lookahead, rollback).
    public func truncate(_ s: SequenceID, to length: Int) throws(KVCacheError) {
        var seq = try sequence(s)
        guard length >= 0, length <= seq.length else { throw .badTruncation(sequence: s.rawValue, length: seq.length, requested: length) }
        let keep = geometry.pages(forTokens: length)
        record(KVEvent(kind: .truncate, step: step, sequence: s.rawValue, pages: keep, length: length))
        for page in seq.blockTable[keep...] { release(page) }
        seq.blockTable.removeLast(seq.blockTable.count - keep)
        seq.length = length
        sequences[s.rawValue] = seq
    }

    private func release(_ page: Int32) {
        refcounts[Int(page)] -= 1
        precondition(refcounts[Int(page)] >= 0, "page \(page) released more often than referenced")
        if refcounts[Int(page)] == 0 {
            freePages.append(page)
            counters.pagesUsed -= 1
            record(KVEvent(kind: .freePage, step: step, page: Int(page)))
        }
    }

    private func allocatePage(for s: SequenceID) -> Int32 {
        let page = freePages.removeLast()
        refcounts[Int(page)] = 1
        counters.pagesUsed += 1
        counters.peakPagesUsed = max(counters.peakPagesUsed, counters.pagesUsed)
        record(KVEvent(kind: .allocate, step: step, sequence: s.rawValue, page: Int(page)))
        return page
    }

    public var freePageCount: Int { freePages.count }

    /// Makes room for `n` more tokens of `s` and returns where each goes, as (page, slot) pairs.
    /// A shared, partly filled last page is copied first (copy-on-write). Throws, changing nothing,
    /// when the pool cannot supply the pages.
    public func reserve(_ s: SequenceID, tokens n: Int) throws(KVCacheError) -> [(page: Int32, slot: Int32)] {
        var seq = try sequence(s)
        let ps = geometry.pageSize
        let filledInLast = seq.length % ps
        let lastShared = n > 0 && filledInLast != 0 && refcounts[Int(seq.blockTable.last!)] > 1
        let newPages = geometry.pages(forTokens: seq.length + n) - seq.blockTable.count + (lastShared ? 1 : 0)
        guard newPages <= freePages.count else { throw .outOfPages(needed: newPages, free: freePages.count, pageSize: ps) }
        if lastShared {
            let old = seq.blockTable.removeLast()
            let copy = allocatePage(for: s)
            let bytes = copyPage(from: old, to: copy, slots: filledInLast)
            record(KVEvent(kind: .copyOnWrite, step: step, sequence: s.rawValue, page: Int(old), newPage: Int(copy),
                           slots: filledInLast, bytes: bytes))
            release(old)
            seq.blockTable.append(copy)
        }
        var slots: [(page: Int32, slot: Int32)] = []
        slots.reserveCapacity(n)
        for i in 0..<n {
            let position = seq.length + i
            if position / ps == seq.blockTable.count { seq.blockTable.append(allocatePage(for: s)) }
            slots.append((seq.blockTable[position / ps], Int32(position % ps)))
        }
        seq.length += n
        sequences[s.rawValue] = seq
        return slots
    }

    private func copyPage(from: Int32, to: Int32, slots: Int) -> Int {
        let bytes = slots * geometry.kvWidth * geometry.elementType.byteCount
        for layer in 0..<geometry.layers {
            keyRow(layer: layer, page: to, slot: 0).copyMemory(from: keyRow(layer: layer, page: from, slot: 0), byteCount: bytes)
            valueRow(layer: layer, page: to, slot: 0).copyMemory(from: valueRow(layer: layer, page: from, slot: 0), byteCount: bytes)
        }
        counters.copyOnWriteCopies += 1
        counters.copyOnWriteBytes += 2 * geometry.layers * bytes
        return 2 * geometry.layers * bytes
    }

    // MARK: events

    @inline(__always) private func record(_ event: @autoclosure () -> KVEvent) {
        if recordsEvents { events.append(event()) }
    }

    /// Called by the engine once per forward step, so events can be grouped by step.
    public func advanceStep() { step += 1 }

    public func clearEvents() { events.removeAll(keepingCapacity: true) }

    // MARK: storage access (the model's attention reads and writes through these)

    @inline(__always) private func byteOffset(layer: Int, page: Int32, slot: Int) -> Int {
        ((layer * capacityPages + Int(page)) * geometry.pageSize + slot) * geometry.kvWidth * geometry.elementType.byteCount
    }

    /// K of one token in one layer (`kvWidth` elements of `elementType`). A page's slots follow each other.
    @inline(__always) public func keyRow(layer: Int, page: Int32, slot: Int) -> UnsafeMutableRawPointer {
        keys + byteOffset(layer: layer, page: page, slot: slot)
    }

    @inline(__always) public func valueRow(layer: Int, page: Int32, slot: Int) -> UnsafeMutableRawPointer {
        values + byteOffset(layer: layer, page: page, slot: slot)
    }

    /// Stores one token's K and V (`kvWidth` floats each), converting to the element type.
    public func write(layer: Int, page: Int32, slot: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        KVRows.store(key, to: keyRow(layer: layer, page: page, slot: slot), count: geometry.kvWidth, as: geometry.elementType)
        KVRows.store(value, to: valueRow(layer: layer, page: page, slot: slot), count: geometry.kvWidth, as: geometry.elementType)
    }

    /// Copies K and V of positions `range` of a sequence (given by its block table) for the columns
    /// `columns` of each token (one KV head) into contiguous f32 rows of `columns.count` floats.
    /// Attention then runs as dense matrix products on them.
    public func gather(layer: Int, table: [Int32], positions range: Range<Int>, columns: Range<Int>,
                       keys k: UnsafeMutablePointer<Float>, values v: UnsafeMutablePointer<Float>) {
        let ps = geometry.pageSize, type = geometry.elementType, width = columns.count
        let columnBytes = columns.lowerBound * type.byteCount
        var position = range.lowerBound, row = 0
        while position < range.upperBound {
            let page = table[position / ps]
            let slot = position % ps
            let run = min(ps - slot, range.upperBound - position)
            let rowBytes = geometry.kvWidth * type.byteCount
            let kp = keyRow(layer: layer, page: page, slot: slot) + columnBytes
            let vp = valueRow(layer: layer, page: page, slot: slot) + columnBytes
            for j in 0..<run {
                KVRows.load(UnsafeRawPointer(kp + j * rowBytes), into: k + (row + j) * width, count: width, as: type)
                KVRows.load(UnsafeRawPointer(vp + j * rowBytes), into: v + (row + j) * width, count: width, as: type)
            }
            position += run
            row += run
        }
    }

    /// Reference count of a page (for tests and traces).
    public func referenceCount(of page: Int32) -> Int { Int(refcounts[Int(page)]) }

    /// The counters, with the sharing figures computed from the live sequences.
    public var statistics: KVStatistics {
        var s = counters
        s.sequences = sequences.count
        s.logicalTokens = sequences.values.reduce(0) { $0 + $1.length }
        s.physicalTokens = s.pagesUsed * geometry.pageSize
        s.pagesShared = refcounts.reduce(0) { $0 + ($1 > 1 ? 1 : 0) }
        return s
    }

    public var physicalBytes: Int { counters.pagesUsed * geometry.pageBytes }

    /// Bytes the live sequences would hold if none shared a page (each its own copy).
    public var independentBytes: Int { independentBytes(of: sequenceIDs) }

    /// Bytes these sequences would hold as independent copies.
    public func independentBytes(of ids: [SequenceID]) -> Int {
        ids.reduce(0) { $0 + geometry.pages(forTokens: sequences[$1.rawValue]?.length ?? 0) } * geometry.pageBytes
    }

    /// Checks the bookkeeping: every page's reference count equals the number of block tables naming
    /// it, free pages are exactly those with count 0, and the used-page counter agrees. Returns the
    /// violations found (empty when sound). O(pages + table entries): for tests and debugging.
    public func invariantViolations() -> [String] {
        var expected = [Int32](repeating: 0, count: capacityPages)
        var problems: [String] = []
        for (id, seq) in sequences {
            if seq.blockTable.count != geometry.pages(forTokens: seq.length) {
                problems.append("seq\(id): \(seq.blockTable.count) pages for \(seq.length) tokens")
            }
            for page in seq.blockTable { expected[Int(page)] += 1 }
        }
        for page in 0..<capacityPages where expected[page] != refcounts[page] {
            problems.append("page \(page): reference count \(refcounts[page]), referenced \(expected[page]) times")
        }
        let free = Set(freePages)
        if free.count != freePages.count { problems.append("a page is on the free list twice") }
        for page in 0..<capacityPages where (refcounts[page] == 0) != free.contains(Int32(page)) {
            problems.append("page \(page): count \(refcounts[page]) but \(free.contains(Int32(page)) ? "" : "not ")free")
        }
        let used = refcounts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        if used != counters.pagesUsed { problems.append("pagesUsed \(counters.pagesUsed), counted \(used)") }
        return problems
    }
}
