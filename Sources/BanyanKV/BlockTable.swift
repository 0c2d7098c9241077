/// A sequence as the cache sees it: the pages holding its tokens, in order, and how many tokens it has.
/// Token `p` lives in page `pages[p / pageSize]`, slot `p % pageSize`.
public struct BlockTable: Sendable, Equatable {
    public internal(set) var pages: [Int32] = []
    public internal(set) var length = 0

    public init() {}

    /// Where position `p` lives.
    public func slot(of position: Int, pageSize: Int) -> KVSlot {
        KVSlot(page: pages[position / pageSize], slot: Int32(position % pageSize))
    }
}

/// Where one token's K and V live: a page and a slot within it.
public struct KVSlot: Sendable, Equatable {
    public var page: Int32
    public var slot: Int32
    public init(page: Int32, slot: Int32) {
        self.page = page
        self.slot = slot
    }
}
