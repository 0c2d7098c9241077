/// A handle to one sequence in a `KVCache`.
public struct SequenceID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "seq\(rawValue)" }
    public static func < (a: SequenceID, b: SequenceID) -> Bool { a.rawValue < b.rawValue }
}

/// A paged KV cache shared by many sequences, cut as vLLM cuts it: a `PagePool` (reference counts and
/// the free list), one `BlockTable` per sequence, and the `KVStorage` holding the K/V bytes.
///
/// Forking copies a block table and retains its pages (no KV bytes move); the first write into a shared,
/// partly filled page copies that page only, and the last owner writes in place. Identity matters
/// (sequences point into this pool), hence a class. Not thread-safe: one engine owns it.
public final class KVCache {
    public let geometry: KVGeometry
    public var capacityPages: Int { pool.capacity }
    private var pool: PagePool
    private let storage: KVStorage
    private var tables: [Int: BlockTable] = [:]
    private var nextID = 0
    private var counters = KVStatistics()

    /// Record every allocation, fork, copy and free in `events` (off by default: a long run makes many).
    public var recordsEvents = false
    public private(set) var events: [KVEvent] = []
    /// The engine step events are stamped with; the engine advances it once per forward step.
    public private(set) var step = 0

    /// Reserves address space for `capacityTokens` tokens; memory is committed only as pages are written.
    public init(geometry: KVGeometry, capacityTokens: Int) throws(KVCacheError) {
        guard KVGeometry.pageSizes.contains(geometry.pageSize) else { throw .badPageSize(geometry.pageSize) }
        guard capacityTokens > 0 else { throw .badCapacity(capacityTokens) }
        self.geometry = geometry
        let pages = geometry.pages(forTokens: capacityTokens)
        storage = try KVStorage(geometry: geometry, capacityPages: pages)
        pool = PagePool(capacity: pages)
        counters.pagesTotal = pages
        counters.pageSize = geometry.pageSize
        counters.pageBytes = geometry.pageBytes
    }

    // MARK: sequences

    public func createSequence() -> SequenceID {
        defer { nextID += 1 }
        tables[nextID] = BlockTable()
        record(KVEvent(kind: .create, step: step, sequence: nextID))
        return SequenceID(rawValue: nextID)
    }

    public func contains(_ s: SequenceID) -> Bool { tables[s.rawValue] != nil }
    public var sequenceIDs: [SequenceID] { tables.keys.sorted().map(SequenceID.init) }

    public func length(of s: SequenceID) throws(KVCacheError) -> Int { try table(s).length }

    public func blockTable(of s: SequenceID) throws(KVCacheError) -> [Int32] { try table(s).pages }

    private func table(_ s: SequenceID) throws(KVCacheError) -> BlockTable {
        guard let t = tables[s.rawValue] else { throw .unknownSequence(s.rawValue) }
        return t
    }

    /// `n` new sequences sharing all of `s`'s pages: O(pages), no KV bytes copied.
    public func fork(_ s: SequenceID, count n: Int = 1) throws(KVCacheError) -> [SequenceID] {
        guard n >= 0 else { throw .badForkCount(n) }
        let parent = try table(s)
        let copiedBefore = storage.bytesCopied
        var children: [SequenceID] = []
        children.reserveCapacity(n)
        if n > 0 { for page in parent.pages { pool.retain(page, times: n) } }
        for _ in 0..<n {
            tables[nextID] = parent
            children.append(SequenceID(rawValue: nextID))
            nextID += 1
        }
        counters.forks += n
        // Measured, not assumed: whatever the storage copied while forking.
        counters.forkBytesCopied += storage.bytesCopied - copiedBefore
        if recordsEvents {
            record(KVEvent(kind: .fork, step: step, sequence: s.rawValue, children: children.map(\.rawValue), pages: parent.pages.count))
        }
        return children
    }

    /// Drops the sequence; pages no other sequence uses return to the pool.
    public func free(_ s: SequenceID) throws(KVCacheError) {
        let t = try table(s)
        record(KVEvent(kind: .freeSequence, step: step, sequence: s.rawValue, pages: t.pages.count))
        for page in t.pages { release(page) }
        tables[s.rawValue] = nil
    }

    /// Rolls a sequence back to its first `length` tokens (look-ahead, rollback).
    public func truncate(_ s: SequenceID, to length: Int) throws(KVCacheError) {
        var t = try table(s)
        guard length >= 0, length <= t.length else { throw .badTruncation(sequence: s.rawValue, length: t.length, requested: length) }
        let keep = geometry.pages(forTokens: length)
        record(KVEvent(kind: .truncate, step: step, sequence: s.rawValue, pages: keep, length: length))
        for page in t.pages[keep...] { release(page) }
        t.pages.removeLast(t.pages.count - keep)
        t.length = length
        tables[s.rawValue] = t
    }

    private func release(_ page: Int32) {
        if pool.release(page) { record(KVEvent(kind: .freePage, step: step, page: Int(page))) }
    }

    private func takePage(for s: SequenceID) -> Int32 {
        let page = pool.take()!  // callers check the free count first
        record(KVEvent(kind: .allocate, step: step, sequence: s.rawValue, page: Int(page)))
        return page
    }

    public var freePageCount: Int { pool.freeCount }

    /// Pages `n` more tokens of `s` would take from the pool (a shared, partly filled last page counts:
    /// it is copied first).
    public func pagesNeeded(_ s: SequenceID, tokens n: Int) throws(KVCacheError) -> Int {
        let t = try table(s)
        let lastShared = n > 0 && t.length % geometry.pageSize != 0 && pool.referenceCount(of: t.pages.last!) > 1
        return geometry.pages(forTokens: t.length + n) - t.pages.count + (lastShared ? 1 : 0)
    }

    /// Makes room for `n` more tokens of `s` and returns where each goes. A shared, partly filled last
    /// page is copied first (copy-on-write). Throws, changing nothing, when the pool cannot supply the pages.
    public func reserve(_ s: SequenceID, tokens n: Int) throws(KVCacheError) -> [KVSlot] {
        var slots: [KVSlot] = []
        slots.reserveCapacity(n)
        try reserve(s, tokens: n, appendingSlotsTo: &slots)
        return slots
    }

    /// `reserve(_:tokens:)` into the caller's buffer: an engine step reuses one, so reserving allocates
    /// nothing (the table is updated in place, not copied, unless a fork still shares its page list).
    public func reserve(_ s: SequenceID, tokens n: Int, appendingSlotsTo slots: inout [KVSlot]) throws(KVCacheError) {
        let needed = try pagesNeeded(s, tokens: n)
        let ps = geometry.pageSize
        guard needed <= pool.freeCount else { throw .outOfPages(needed: needed, free: pool.freeCount, pageSize: ps) }
        // Out of the dictionary while it changes, so its page list is not shared and grows in place.
        var t = tables.removeValue(forKey: s.rawValue)!
        defer { tables[s.rawValue] = t }
        let filledInLast = t.length % ps
        if n > 0 && filledInLast != 0 && pool.referenceCount(of: t.pages.last!) > 1 {
            let old = t.pages.removeLast()
            let copy = takePage(for: s)
            let bytes = storage.copy(page: old, to: copy, slots: filledInLast)
            counters.copyOnWriteCopies += 1
            counters.copyOnWriteBytes += bytes
            record(KVEvent(kind: .copyOnWrite, step: step, sequence: s.rawValue, page: Int(old), newPage: Int(copy),
                           slots: filledInLast, bytes: bytes))
            release(old)
            t.pages.append(copy)
        }
        for i in 0..<n {
            let position = t.length + i
            if position / ps == t.pages.count { t.pages.append(takePage(for: s)) }
            slots.append(t.slot(of: position, pageSize: ps))
        }
        t.length += n
    }

    /// Appends `s`'s block table (its pages in order) to `pages`, without handing out the cache's array.
    public func appendBlockTable(of s: SequenceID, to pages: inout [Int32]) throws(KVCacheError) {
        guard let t = tables[s.rawValue] else { throw .unknownSequence(s.rawValue) }
        pages.append(contentsOf: t.pages)
    }

    // MARK: events

    @inline(__always) private func record(_ event: @autoclosure () -> KVEvent) {
        if recordsEvents { events.append(event()) }
    }

    /// Called by the engine once per forward step, so events can be grouped by step.
    public func advanceStep() { step += 1 }

    public func clearEvents() { events.removeAll(keepingCapacity: true) }

    // MARK: K/V bytes (the forward pass reads and writes through these; pointers never leave the package)

    /// Stores one token's K and V (`kvWidth` floats each), converting to the element type.
    package func write(layer: Int, at slot: KVSlot, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        storage.write(layer: layer, at: slot, key: key, value: value)
    }

    /// Copies K and V of positions `range` of a sequence (given by its block table) for the columns
    /// `columns` of each token (one KV head) into contiguous f32 rows of `columns.count` floats.
    package func gather(layer: Int, table: [Int32], positions range: Range<Int>, columns: Range<Int>,
                        keys k: UnsafeMutablePointer<Float>, values v: UnsafeMutablePointer<Float>) {
        storage.gather(layer: layer, table: table, positions: range, columns: columns, keys: k, values: v)
    }

    /// Where the K and V rows are, for attention to read the pages in place: valid while no page is freed.
    package var rowLocator: KVRowLocator { storage.rowLocator }

    /// Stores one token's K and V from arrays of `kvWidth` floats.
    public func write(layer: Int, at slot: KVSlot, key: [Float], value: [Float]) {
        precondition(key.count == geometry.kvWidth && value.count == geometry.kvWidth, "K and V rows hold kvWidth floats")
        key.withUnsafeBufferPointer { k in
            value.withUnsafeBufferPointer { v in storage.write(layer: layer, at: slot, key: k.baseAddress!, value: v.baseAddress!) }
        }
    }

    /// K and V of a sequence's positions `range`, columns `columns`, as f32 rows.
    public func read(layer: Int, sequence s: SequenceID, positions range: Range<Int>, columns: Range<Int>) throws(KVCacheError)
        -> (keys: [Float], values: [Float]) {
        let t = try table(s)
        precondition(range.upperBound <= t.length && columns.upperBound <= geometry.kvWidth, "read past the sequence or the row")
        var k = [Float](repeating: 0, count: range.count * columns.count), v = k
        k.withUnsafeMutableBufferPointer { kb in
            v.withUnsafeMutableBufferPointer { vb in
                storage.gather(layer: layer, table: t.pages, positions: range, columns: columns, keys: kb.baseAddress!, values: vb.baseAddress!)
            }
        }
        return (k, v)
    }

    // MARK: figures

    /// Reference count of a page (for tests and traces).
    public func referenceCount(of page: Int32) -> Int { pool.referenceCount(of: page) }

    /// The counters, with the sharing figures computed from the live sequences.
    public var statistics: KVStatistics {
        var s = counters
        s.pagesUsed = pool.pagesUsed
        s.peakPagesUsed = pool.peakPagesUsed
        s.sequences = tables.count
        s.logicalTokens = tables.values.reduce(0) { $0 + $1.length }
        s.physicalTokens = s.pagesUsed * geometry.pageSize
        s.pagesShared = pool.sharedCount
        s.bytesCopied = storage.bytesCopied
        return s
    }

    public var physicalBytes: Int { pool.pagesUsed * geometry.pageBytes }

    /// Bytes the live sequences would hold if none shared a page (each its own copy).
    public var independentBytes: Int { independentBytes(of: sequenceIDs) }

    /// Bytes these sequences would hold as independent copies.
    public func independentBytes(of ids: [SequenceID]) -> Int {
        ids.reduce(0) { $0 + geometry.pages(forTokens: tables[$1.rawValue]?.length ?? 0) } * geometry.pageBytes
    }

    /// Checks the bookkeeping: every page's reference count equals the number of block tables naming
    /// it, free pages are exactly those with count 0, and the used-page counter agrees. Returns the
    /// violations found (empty when sound). O(pages + table entries): for tests and debugging.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        for (id, t) in tables where t.pages.count != geometry.pages(forTokens: t.length) {
            problems.append("seq\(id): \(t.pages.count) pages for \(t.length) tokens")
        }
        return problems + pool.violations(against: tables.values.map(\.pages))
    }
}
