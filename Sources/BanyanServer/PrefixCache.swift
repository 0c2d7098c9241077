import Banyan

/// Prompts kept in the KV cache after their requests, so a later prompt that begins the same way forks
/// their pages instead of computing them again (a repeated system prompt, a growing chat).
///
/// Each entry is a sequence holding one prompt. Entries are found by the hash of each full page of tokens
/// chained to the hash of the page before it (vLLM's block hashes), then checked token by token; the
/// longest match wins, and the match continues token by token past the last common full page. Least
/// recently used entries are evicted when the cache is full or the pool needs their pages.
struct PrefixCache {
    struct Entry {
        var sequence: SequenceID
        var tokens: [Int32]
        var hashes: [UInt64]
        var lastUse: Int
    }

    let pageSize: Int
    let capacity: Int
    private(set) var entries: [Int: Entry] = [:]
    private var index: [UInt64: Set<Int>] = [:]
    private var nextID = 0
    private var clock = 0

    init(pageSize: Int, capacity: Int) {
        self.pageSize = pageSize
        self.capacity = capacity
    }

    /// Chained hashes of `tokens`' full pages (FNV-1a over the parent hash and the page's tokens).
    func hashes(_ tokens: [Int32]) -> [UInt64] {
        var out: [UInt64] = []
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for start in stride(from: 0, to: tokens.count - pageSize + 1, by: pageSize) where tokens.count >= pageSize {
            for t in tokens[start..<(start + pageSize)] {
                for byte in withUnsafeBytes(of: t.littleEndian, Array.init) {
                    h ^= UInt64(byte)
                    h = h &* 0x100_0000_01b3
                }
            }
            out.append(h)
        }
        return out
    }

    /// The entry sharing the longest prefix with `tokens`, and how many tokens it shares (at most
    /// `tokens.count - 1`: the last prompt token is always computed, for its logits).
    mutating func lookup(_ tokens: [Int32]) -> (sequence: SequenceID, shared: Int)? {
        let chain = hashes(tokens)
        var candidates = Set(entries.keys)
        var pages = 0
        for h in chain {
            let next = candidates.intersection(index[h] ?? [])
            if next.isEmpty { break }
            candidates = next
            pages += 1
        }
        var best: (id: Int, shared: Int)?
        for id in candidates {
            let e = entries[id]!
            var shared = 0
            let limit = min(e.tokens.count, tokens.count - 1)
            // The chained hashes say the first `pages` pages agree; check them too (a collision must not share KV).
            while shared < limit && e.tokens[shared] == tokens[shared] { shared += 1 }
            if best == nil || shared > best!.shared || (shared == best!.shared && e.lastUse > entries[best!.id]!.lastUse) {
                best = (id, shared)
            }
        }
        guard let best, best.shared > 0 else { return nil }
        clock += 1
        entries[best.id]!.lastUse = clock
        return (entries[best.id]!.sequence, best.shared)
    }

    /// Whether a prompt is already cached exactly.
    func contains(_ tokens: [Int32]) -> Bool { entries.values.contains { $0.tokens == tokens } }

    /// Keeps `sequence` (holding exactly `tokens`); returns the sequences evicted to make room, for the caller to free.
    mutating func insert(_ sequence: SequenceID, tokens: [Int32]) -> [SequenceID] {
        clock += 1
        let id = nextID
        nextID += 1
        let chain = hashes(tokens)
        entries[id] = Entry(sequence: sequence, tokens: tokens, hashes: chain, lastUse: clock)
        for h in chain { index[h, default: []].insert(id) }
        var evicted: [SequenceID] = []
        while entries.count > capacity, let s = evictOldest() { evicted.append(s) }
        return evicted
    }

    /// Drops the least recently used entry; returns its sequence for the caller to free.
    mutating func evictOldest() -> SequenceID? {
        guard let (id, e) = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return nil }
        entries[id] = nil
        for h in e.hashes {
            index[h]?.remove(id)
            if index[h]?.isEmpty == true { index[h] = nil }
        }
        return e.sequence
    }

    /// Pages the entries hold at most (shared pages counted once per entry).
    var pagesHeld: Int { entries.values.reduce(0) { $0 + ($1.tokens.count + pageSize - 1) / pageSize } }
    var isEmpty: Bool { entries.isEmpty }
}
