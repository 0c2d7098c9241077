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
///
/// Plain storage that a step rebuilds in place (`rebuild` keeps every buffer's capacity), so that planning
/// allocates nothing once warm and the units are plain values: a unit names its rows and its block table
/// as ranges into `rowList` and `pages`.
struct AttentionPlan {
    struct Unit {
        /// Step rows (new tokens) whose queries this unit serves: a range of `rowList`.
        var rows: Range<Int>
        /// Its block table: a range of `pages`.
        var table: Range<Int>
        /// Cached positions read.
        var keys: Range<Int>
        /// A row sees only positions up to its own (prefill / extend); false when every row sees all.
        var causal: Bool
    }

    /// Shared prefixes, attended first; each row's running state then continues in `own`.
    private(set) var prefixes: [Unit] = []
    /// One unit per sequence: its own keys (all of them, or those after its group's prefix).
    private(set) var own: [Unit] = []
    private(set) var rowList: [Int] = []
    private(set) var pages: [Int32] = []
    var profile = AttentionProfile()
    // Scratch of the grouping, kept for its capacity.
    private var prefixOf: [Int] = []
    private var groupOf: [Int] = []
    private var groupOfFirstPage: [Int32: Int] = [:]

    /// Plans `batch`: input i has `starts[i]` tokens before this step, `counts[i]` new ones from step row
    /// `firstRow[i]`, and its block table after reserving them at `batch.tables[i]` of `batch.pages`.
    mutating func rebuild(_ batch: StepBatch, strategy: AttentionStrategy, pageSize: Int, chunk: Int, minimumSharedPrefix: Int) {
        let inputs = batch.starts.count
        prefixes.removeAll(keepingCapacity: true)
        own.removeAll(keepingCapacity: true)
        rowList.removeAll(keepingCapacity: true)
        pages.removeAll(keepingCapacity: true)
        pages.append(contentsOf: batch.pages)
        profile = AttentionProfile()
        prefixOf.removeAll(keepingCapacity: true)
        prefixOf.append(contentsOf: repeatElement(0, count: inputs))
        if strategy == .sharedPrefix {
            // Sequences that begin with the same physical page may share a prefix: group them by that page,
            // groups numbered in order of their first member.
            groupOfFirstPage.removeAll(keepingCapacity: true)
            groupOf.removeAll(keepingCapacity: true)
            var groups = 0
            for i in 0..<inputs {
                guard batch.starts[i] >= pageSize else { groupOf.append(-1); continue }
                let first = batch.pages[batch.tables[i].lowerBound]
                if let g = groupOfFirstPage[first] {
                    groupOf.append(g)
                } else {
                    groupOfFirstPage[first] = groups
                    groupOf.append(groups)
                    groups += 1
                }
            }
            for g in 0..<groups {
                guard let leader = groupOf.firstIndex(of: g) else { continue }
                // Whole pages before every member's first new token, identical in every table.
                var members = 0, shared = Int.max
                let reference = batch.tables[leader]
                for m in leader..<inputs where groupOf[m] == g {
                    members += 1
                    let table = batch.tables[m]
                    var same = 0
                    let limit = min(shared, batch.starts[m] / pageSize)
                    while same < limit && batch.pages[table.lowerBound + same] == batch.pages[reference.lowerBound + same] { same += 1 }
                    shared = same
                }
                guard members >= 2 else { continue }
                // Cut at a chunk boundary, so each sequence's keys are visited in the usual chunks.
                let prefix = shared * pageSize / chunk * chunk
                guard prefix >= max(minimumSharedPrefix, 1) else { continue }
                let firstListed = rowList.count
                for m in leader..<inputs where groupOf[m] == g {
                    rowList.append(contentsOf: batch.firstRow[m]..<(batch.firstRow[m] + batch.counts[m]))
                    prefixOf[m] = prefix
                }
                prefixes.append(Unit(rows: firstListed..<rowList.count, table: reference, keys: 0..<prefix, causal: false))
                profile.sharedGroups += 1
                profile.sequencesInGroups += members
                profile.sharedPrefixTokens += prefix
                profile.positionsRead += prefix
            }
        }
        for i in 0..<inputs {
            let end = batch.starts[i] + batch.counts[i]
            let firstListed = rowList.count
            rowList.append(contentsOf: batch.firstRow[i]..<(batch.firstRow[i] + batch.counts[i]))
            own.append(Unit(rows: firstListed..<rowList.count, table: batch.tables[i], keys: prefixOf[i]..<end, causal: true))
            profile.positionsRead += end - prefixOf[i]
            profile.positionsPerSequence += end
        }
    }
}
