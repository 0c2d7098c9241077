/// Counters a researcher reads to see how sharing behaves. Cumulative counters (forks, copies) grow
/// for the life of the cache; the rest describe the cache as it is now.
public struct KVStatistics: Sendable, Equatable, Codable {
    public var pageSize = 0
    public var pageBytes = 0
    public var pagesTotal = 0
    public var pagesUsed = 0
    /// Pages referenced by more than one sequence.
    public var pagesShared = 0
    public var peakPagesUsed = 0
    public var sequences = 0
    /// Tokens as the sequences see them (sum of their lengths).
    public var logicalTokens = 0
    /// Token slots held in pages in use (pages used × page size).
    public var physicalTokens = 0
    public var forks = 0
    /// KV bytes the storage copied while forking: none, by design; measured from the storage's own copy
    /// counter, so a fork that copied would show.
    public var forkBytesCopied = 0
    /// Every KV byte the storage copied between pages, for any reason (copy-on-write and forks add up to it).
    public var bytesCopied = 0
    public var copyOnWriteCopies = 0
    public var copyOnWriteBytes = 0

    public var physicalBytes: Int { pagesUsed * pageBytes }
    public var peakBytes: Int { peakPagesUsed * pageBytes }
    /// Logical over physical tokens: above 1 when sequences share pages.
    public var sharingRatio: Double { physicalTokens == 0 ? 0 : Double(logicalTokens) / Double(physicalTokens) }
}
