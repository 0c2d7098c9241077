/// The pages of a KV cache as numbers: reference counts and a free list, with no storage behind them.
///
/// A page is free when no block table names it. Taking a page sets its count to 1; every further
/// table that names it (a fork) retains it; releasing the last reference puts it back on the free list.
/// Freed pages are reused first (last in, first out), so a long run keeps touching the same memory.
public struct PagePool: Sendable {
    public let capacity: Int
    private var refcounts: [Int32]
    private var freeList: [Int32]
    public private(set) var pagesUsed = 0
    public private(set) var peakPagesUsed = 0

    public init(capacity: Int) {
        self.capacity = capacity
        refcounts = [Int32](repeating: 0, count: capacity)
        freeList = (0..<Int32(capacity)).reversed()
    }

    public var freeCount: Int { freeList.count }

    /// Takes a free page (count 1), or nil when none is left.
    public mutating func take() -> Int32? {
        guard let page = freeList.popLast() else { return nil }
        refcounts[Int(page)] = 1
        pagesUsed += 1
        peakPagesUsed = max(peakPagesUsed, pagesUsed)
        return page
    }

    /// One more table names `page` (`times` more, for a fork into several children).
    public mutating func retain(_ page: Int32, times: Int = 1) {
        precondition(refcounts[Int(page)] > 0, "page \(page) retained while free")
        refcounts[Int(page)] += Int32(times)
    }

    /// One reference fewer; returns true when the page went back to the free list.
    @discardableResult
    public mutating func release(_ page: Int32) -> Bool {
        refcounts[Int(page)] -= 1
        precondition(refcounts[Int(page)] >= 0, "page \(page) released more often than referenced")
        guard refcounts[Int(page)] == 0 else { return false }
        freeList.append(page)
        pagesUsed -= 1
        return true
    }

    public func referenceCount(of page: Int32) -> Int { Int(refcounts[Int(page)]) }

    /// Pages named by more than one table.
    public var sharedCount: Int { refcounts.reduce(0) { $0 + ($1 > 1 ? 1 : 0) } }

    /// Disagreements between the counts and `tables` (every page's count must equal the number of
    /// times the tables name it, and exactly the pages with count 0 must be free). Empty when sound.
    public func violations(against tables: [[Int32]]) -> [String] {
        var expected = [Int32](repeating: 0, count: capacity)
        for table in tables { for page in table { expected[Int(page)] += 1 } }
        var problems: [String] = []
        for page in 0..<capacity where expected[page] != refcounts[page] {
            problems.append("page \(page): reference count \(refcounts[page]), referenced \(expected[page]) times")
        }
        let free = Set(freeList)
        if free.count != freeList.count { problems.append("a page is on the free list twice") }
        for page in 0..<capacity where (refcounts[page] == 0) != free.contains(Int32(page)) {
            problems.append("page \(page): count \(refcounts[page]) but \(free.contains(Int32(page)) ? "" : "not ")free")
        }
        let used = refcounts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        if used != pagesUsed { problems.append("pagesUsed \(pagesUsed), counted \(used)") }
        return problems
    }
}
