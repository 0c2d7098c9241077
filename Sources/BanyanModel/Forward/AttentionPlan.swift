import BanyanKV

/// How attention reads the cache when sequences share a prefix.
public enum AttentionStrategy: String, Sendable, CaseIterable, Codable {
    /// Every sequence attends over its own block table, reading shared pages once per sequence.
    case perSequence = "per-sequence"
    /// Sequences whose block tables start with the same pages form a group: the group's queries attend
    /// over the shared prefix together (its KV read once per step), then each sequence continues over
    /// its own suffix from that running softmax state. The result is bit-for-bit the per-sequence one.
    case sharedPrefix = "shared-prefix"
}

/// What one step's attention did, so that a researcher can see which path ran and what it read.
public struct AttentionProfile: Sendable, Equatable, Codable {
    /// Groups of sequences that attended over a shared prefix together.
    public var sharedGroups = 0
    /// Sequences inside those groups.
    public var sequencesInGroups = 0
    /// Sum over groups of the shared prefix length in tokens.
    public var sharedPrefixTokens = 0
    /// Cached positions read per layer and KV head: a shared prefix counts once per group.
    public var positionsRead = 0
    /// Positions a per-sequence pass would have read.
    public var positionsPerSequence = 0
    public var attentionSeconds = 0.0
    public var stepSeconds = 0.0
}

/// The work of one step's attention: units of query rows, each over a range of one block table.
struct AttentionPlan {
    struct Unit {
        /// Step rows (new tokens) whose queries this unit serves.
        var rows: [Int]
        var table: [Int32]
        /// Cached positions read.
        var keys: Range<Int>
        /// A row sees only positions up to its own (prefill / extend); false when every row sees all.
        var causal: Bool
    }

    /// Shared prefixes, attended first; each row's running state then continues in `own`.
    var prefixes: [Unit] = []
    /// One unit per sequence: its own keys (all of them, or those after its group's prefix).
    var own: [Unit] = []
    var profile = AttentionProfile()

    /// `starts[i]` is input i's length before this step, `counts[i]` its new tokens, `tables[i]` its block
    /// table after reserving them, `firstRow[i]` the step row of its first new token.
    init(strategy: AttentionStrategy, starts: [Int], counts: [Int], tables: [[Int32]], firstRow: [Int],
         pageSize: Int, chunk: Int, minimumSharedPrefix: Int) {
        var prefixOf = [Int](repeating: 0, count: starts.count)
        if strategy == .sharedPrefix {
            // Sequences that begin with the same physical page may share a prefix.
            var byFirstPage: [Int32: [Int]] = [:]
            for i in starts.indices where starts[i] >= pageSize { byFirstPage[tables[i][0], default: []].append(i) }
            for members in byFirstPage.values.sorted(by: { $0[0] < $1[0] }) where members.count >= 2 {
                // Whole pages before every member's first new token, identical in every table.
                var pages = members.map { starts[$0] / pageSize }.min()!
                let reference = tables[members[0]]
                for m in members.dropFirst() {
                    let t = tables[m]
                    var same = 0
                    while same < pages && t[same] == reference[same] { same += 1 }
                    pages = same
                }
                // Cut at a chunk boundary, so each sequence's keys are visited in the usual chunks.
                let prefix = pages * pageSize / chunk * chunk
                guard prefix >= max(minimumSharedPrefix, 1) else { continue }
                prefixes.append(Unit(rows: members.flatMap { firstRow[$0]..<(firstRow[$0] + counts[$0]) }, table: reference,
                                     keys: 0..<prefix, causal: false))
                for m in members { prefixOf[m] = prefix }
                profile.sharedGroups += 1
                profile.sequencesInGroups += members.count
                profile.sharedPrefixTokens += prefix
                profile.positionsRead += prefix
            }
        }
        for i in starts.indices {
            let end = starts[i] + counts[i]
            own.append(Unit(rows: Array(firstRow[i]..<(firstRow[i] + counts[i])), table: tables[i],
                            keys: prefixOf[i]..<end, causal: true))
            profile.positionsRead += end - prefixOf[i]
            profile.positionsPerSequence += end
        }
    }
}
