import BanyanKV

/// One step's work as the forward pass sees it, after the engine reserved KV slots: every new token's
/// position and slot, and each input's start, first row and block table.
///
/// The engine keeps one and refills it each step (`clear` keeps every buffer's capacity), so building a
/// step allocates nothing once warm; block tables are copied into `pages`, so the batch holds no
/// reference to the cache's own arrays (which would make the next reserve copy them).
struct StepBatch {
    struct Row { let position: Int; let slot: KVSlot }
    private(set) var tokens: [Int32] = []
    private(set) var rows: [Row] = []
    /// Each row's position (the same as `rows[r].position`, as attention reads it).
    private(set) var positions: [Int] = []
    /// Per input: its sequence, length before this step, new tokens, first step row, and block table after
    /// reserving (a range of `pages`).
    private(set) var sequences: [SequenceID] = []
    private(set) var starts: [Int] = []
    private(set) var counts: [Int] = []
    private(set) var firstRow: [Int] = []
    private(set) var tables: [Range<Int>] = []
    var pages: [Int32] = []
    /// Per input, how many rows it asked outputs for; and every input's output rows, in order.
    private(set) var outputCounts: [Int] = []
    private(set) var wantedRows: [Int] = []
    /// Slots the cache hands out for one input (scratch).
    var slots: [KVSlot] = []

    mutating func clear() {
        tokens.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        sequences.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        firstRow.removeAll(keepingCapacity: true)
        tables.removeAll(keepingCapacity: true)
        pages.removeAll(keepingCapacity: true)
        outputCounts.removeAll(keepingCapacity: true)
        wantedRows.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
    }

    /// Adds an input whose `slots` were just reserved from length `start`; its block table follows, appended
    /// to `pages` by the caller and closed by `endTable`.
    mutating func append(_ input: StepInput, start: Int) {
        let first = rows.count
        sequences.append(input.sequence)
        starts.append(start)
        counts.append(input.tokens.count)
        firstRow.append(first)
        tables.append(pages.count..<pages.count)
        tokens.append(contentsOf: input.tokens)
        for (j, slot) in slots.enumerated() {
            rows.append(Row(position: start + j, slot: slot))
            positions.append(start + j)
        }
        let wanted = input.wanted
        outputCounts.append(wanted.count)
        for r in wanted { wantedRows.append(first + r) }
    }

    /// The last input's block table is `pages` from where `append` left them.
    mutating func endTable() {
        tables[tables.count - 1] = tables[tables.count - 1].lowerBound..<pages.count
    }
}
