#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A handle to one sequence in a `KVCache`.
public struct SequenceID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public var description: String { "seq\(rawValue)" }
}

/// Shape of the cache: what one token stores per layer.
public struct KVGeometry: Sendable, Equatable {
    public var layers: Int
    /// Floats of K (and of V) per token per layer: KV heads × head size.
    public var kvWidth: Int
    public var pageSize: Int

    public init(layers: Int, kvWidth: Int, pageSize: Int = 16) {
        self.layers = layers
        self.kvWidth = kvWidth
        self.pageSize = pageSize
    }

    /// Bytes of K plus V for one page across all layers.
    public var pageBytes: Int { 2 * layers * pageSize * kvWidth * MemoryLayout<Float>.size }
}

/// Counters a researcher reads to see how sharing behaves.
public struct KVStatistics: Sendable, Equatable {
    public var pagesTotal = 0
    public var pagesUsed = 0
    public var peakPagesUsed = 0
    public var forks = 0
    public var copyOnWriteCopies = 0
    public var copyOnWriteBytes = 0
}

/// A paged KV cache shared by many sequences.
///
/// Storage is one pool of pages; a page holds `pageSize` tokens' K and V for every layer, and a
/// sequence is a block table of page ids. Forking copies the table and bumps reference counts (no KV
/// bytes move); the first write into a shared, partly filled page copies that page only.
/// Identity matters (sequences point into this pool), hence a class. Not thread-safe: one engine owns it.
public final class KVCache {
    public let geometry: KVGeometry
    public let capacityPages: Int
    private let keys: UnsafeMutablePointer<Float>
    private let values: UnsafeMutablePointer<Float>
    private let storageBytes: Int
    private var refcounts: [Int32]
    private var freePages: [Int32]
    private var sequences: [Int: Sequence] = [:]
    private var nextID = 0
    public private(set) var statistics = KVStatistics()

    struct Sequence {
        var blockTable: [Int32] = []
        var length = 0
    }

    /// Reserves address space for `capacityTokens` tokens; memory is committed only as pages are written.
    public init(geometry: KVGeometry, capacityTokens: Int) {
        self.geometry = geometry
        capacityPages = max(1, (capacityTokens + geometry.pageSize - 1) / geometry.pageSize)
        let floatsPerSide = capacityPages * geometry.layers * geometry.pageSize * geometry.kvWidth
        storageBytes = floatsPerSide * MemoryLayout<Float>.size
        let p = mmap(nil, 2 * storageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(p != nil && p != UnsafeMutableRawPointer(bitPattern: -1), "cannot reserve \(2 * storageBytes) bytes for the KV cache")
        keys = p!.bindMemory(to: Float.self, capacity: 2 * floatsPerSide)
        values = keys + floatsPerSide
        refcounts = [Int32](repeating: 0, count: capacityPages)
        freePages = (0..<Int32(capacityPages)).reversed()
        statistics.pagesTotal = capacityPages
    }

    deinit { munmap(UnsafeMutableRawPointer(keys), 2 * storageBytes) }

    // MARK: sequences

    public func createSequence() -> SequenceID {
        defer { nextID += 1 }
        sequences[nextID] = Sequence()
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
        let parent = try sequence(s)
        var children: [SequenceID] = []
        children.reserveCapacity(n)
        for _ in 0..<n {
            for page in parent.blockTable { refcounts[Int(page)] += 1 }
            sequences[nextID] = parent
            children.append(SequenceID(rawValue: nextID))
            nextID += 1
        }
        statistics.forks += n
        return children
    }

    /// Drops the sequence; pages no other sequence uses return to the pool.
    public func free(_ s: SequenceID) throws(KVCacheError) {
        let seq = try sequence(s)
        for page in seq.blockTable { release(page) }
        sequences[s.rawValue] = nil
    }

    /// Rolls a sequence back to its first `length` tokens (lookahead, rollback).
    public func truncate(_ s: SequenceID, to length: Int) throws(KVCacheError) {
        var seq = try sequence(s)
        guard length >= 0, length <= seq.length else { throw .badTruncation(sequence: s.rawValue, length: seq.length, requested: length) }
        let keep = (length + geometry.pageSize - 1) / geometry.pageSize
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
            statistics.pagesUsed -= 1
        }
    }

    private func allocatePage() -> Int32 {
        let page = freePages.removeLast()
        refcounts[Int(page)] = 1
        statistics.pagesUsed += 1
        statistics.peakPagesUsed = max(statistics.peakPagesUsed, statistics.pagesUsed)
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
        let lastShared = filledInLast != 0 && refcounts[Int(seq.blockTable.last!)] > 1
        let newPages = (seq.length + n + ps - 1) / ps - seq.blockTable.count + (lastShared && n > 0 ? 1 : 0)
        guard newPages <= freePages.count else { throw .outOfPages(needed: newPages, free: freePages.count, pageSize: ps) }
        if lastShared && n > 0 {
            let old = seq.blockTable.removeLast()
            let copy = allocatePage()
            copyPage(from: old, to: copy, slots: filledInLast)
            release(old)
            seq.blockTable.append(copy)
        }
        var slots: [(page: Int32, slot: Int32)] = []
        slots.reserveCapacity(n)
        for i in 0..<n {
            let position = seq.length + i
            if position / ps == seq.blockTable.count { seq.blockTable.append(allocatePage()) }
            slots.append((seq.blockTable[position / ps], Int32(position % ps)))
        }
        seq.length += n
        sequences[s.rawValue] = seq
        return slots
    }

    private func copyPage(from: Int32, to: Int32, slots: Int) {
        let floats = slots * geometry.kvWidth
        for layer in 0..<geometry.layers {
            keyRow(layer: layer, page: to, slot: 0).update(from: keyRow(layer: layer, page: from, slot: 0), count: floats)
            valueRow(layer: layer, page: to, slot: 0).update(from: valueRow(layer: layer, page: from, slot: 0), count: floats)
        }
        statistics.copyOnWriteCopies += 1
        statistics.copyOnWriteBytes += 2 * geometry.layers * floats * MemoryLayout<Float>.size
    }

    // MARK: storage access (the model's attention reads and writes through these)

    @inline(__always) private func offset(layer: Int, page: Int32, slot: Int) -> Int {
        ((layer * capacityPages + Int(page)) * geometry.pageSize + slot) * geometry.kvWidth
    }

    /// K of one token in one layer (`kvWidth` floats). Pages are contiguous per layer, so a page's
    /// slots follow each other.
    @inline(__always) public func keyRow(layer: Int, page: Int32, slot: Int) -> UnsafeMutablePointer<Float> {
        keys + offset(layer: layer, page: page, slot: slot)
    }

    @inline(__always) public func valueRow(layer: Int, page: Int32, slot: Int) -> UnsafeMutablePointer<Float> {
        values + offset(layer: layer, page: page, slot: slot)
    }

    /// Reference count of a page (for tests and traces).
    public func referenceCount(of page: Int32) -> Int { Int(refcounts[Int(page)]) }

    /// Logical tokens (sum of sequence lengths) against physical tokens stored (pages in use × page size).
    public var logicalTokens: Int { sequences.values.reduce(0) { $0 + $1.length } }
    public var physicalBytes: Int { statistics.pagesUsed * geometry.pageBytes }
}
