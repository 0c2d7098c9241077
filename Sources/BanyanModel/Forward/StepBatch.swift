import BanyanKV

/// One step's work as the forward pass sees it, after the engine reserved KV slots: every new token's
/// position and slot, and each input's block table, start and first row.
struct StepBatch {
    struct Row { let position: Int; let slot: KVSlot }
    let inputs: [StepInput]
    let tokens: [Int32]
    let rows: [Row]
    /// Per input: length before this step, first step row, block table after reserving.
    let starts: [Int]
    let firstRow: [Int]
    let tables: [[Int32]]

    /// The step rows that return outputs, every input's in order.
    var wantedRows: [Int] {
        var rows: [Int] = []
        for (i, input) in inputs.enumerated() { rows += input.wanted.map { firstRow[i] + $0 } }
        return rows
    }
}
