import BanyanKV
import BanyanKernels

extension LlamaModel {
    /// Attention of every new row: first over shared prefixes (each prefix chunk converted once for all
    /// of its group's queries), then each sequence over its own keys, continuing the same running
    /// softmax state. Keys are visited in chunks at fixed absolute positions, one query at a time, so a
    /// row's result never depends on the batch. Work is split by chunks of query rows and by KV head.
    func attend(layer l: Int, plan: AttentionPlan, positions: [Int], q: Rows, out: Rows, cache: KVCache,
                precision: AttentionPrecision) {
        let c = config
        let hd = c.headDim, group = c.groupSize, heads = c.headCount
        let scale = 1 / Float(hd).squareRoot()
        let chunk = AttentionChunks.size
        let rowCount = positions.count
        // Running state per (row, head): max score, weight sum, unnormalized output.
        let stateM = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * heads)
        let stateL = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * heads)
        stateM.initialize(repeating: -.infinity, count: rowCount * heads)
        stateL.initialize(repeating: 0, count: rowCount * heads)
        out.base.initialize(repeating: 0, count: rowCount * out.width)
        defer { stateM.deallocate(); stateL.deallocate() }

        struct Job { let unit: AttentionPlan.Unit; let rows: ArraySlice<Int>; let kvHead: Int }
        for units in [plan.prefixes, plan.own] where !units.isEmpty {
            var jobs: [Job] = []
            for unit in units {
                for lo in stride(from: 0, to: unit.rows.count, by: 64) {
                    let rows = unit.rows[lo..<min(lo + 64, unit.rows.count)]
                    for h in 0..<c.kvHeadCount { jobs.append(Job(unit: unit, rows: rows, kvHead: h)) }
                }
            }
            pool.parallelFor(jobs.count) { j in
                let job = jobs[j], unit = job.unit
                let last = unit.causal ? job.rows.map { positions[$0] }.max()! + 1 : unit.keys.upperBound
                let keys = unit.keys.lowerBound..<min(unit.keys.upperBound, last)
                let m = job.rows.count * group
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * chunk * hd + m * hd + chunk + 8)
                defer { scratch.deallocate() }
                let kb = scratch, vb = kb + chunk * hd, qb = Rows(base: vb + chunk * hd, width: hd), sb = qb.base + m * hd
                // q meets the f16 keys at f16 precision, and weights meet V at f16 (llama.cpp's numerics).
                for (a, r) in job.rows.enumerated() {
                    for g in 0..<group {
                        let src = q[r] + (job.kvHead * group + g) * hd, dst = qb[a * group + g]
                        for i in 0..<hd { dst[i] = precision.round(src[i]) }
                    }
                }
                var start = keys.lowerBound / chunk * chunk
                while start < keys.upperBound {
                    let span = max(start, keys.lowerBound)..<min(start + chunk, keys.upperBound)
                    cache.gather(layer: l, table: unit.table, positions: span,
                                 columns: (job.kvHead * hd)..<((job.kvHead + 1) * hd), keys: kb, values: vb)
                    for (a, r) in job.rows.enumerated() {
                        let visible = unit.causal ? min(span.upperBound, positions[r] + 1) - span.lowerBound : span.count
                        guard visible > 0 else { continue }
                        for g in 0..<group {
                            let head = job.kvHead * group + g
                            OnlineAttention.accumulate(query: qb[a * group + g], keys: kb, values: vb, count: visible,
                                                       headSize: hd, scale: scale, scores: sb, roundWeightsToHalf: precision == .f16,
                                                       m: &stateM[r * heads + head], l: &stateL[r * heads + head],
                                                       o: out[r] + head * hd)
                        }
                    }
                    start += chunk
                }
            }
        }
        for r in 0..<rowCount {
            for head in 0..<heads {
                let inverse = 1 / stateL[r * heads + head]
                let o = out[r] + head * hd
                for i in 0..<hd { o[i] *= inverse }
            }
        }
    }
}
