import BanyanKV
import BanyanKernels

extension LlamaModel {
    /// Attention of every new row: first over shared prefixes (each prefix chunk read once for all of its
    /// group's queries), then each sequence over its own keys, continuing the same running softmax
    /// state. Keys are visited in chunks at fixed absolute positions, one query at a time, so a row's
    /// result never depends on the batch. The cache's pages are read in place (f16 converted in
    /// registers). Work is split by chunks of query rows and by KV head; its memory is `workspace`'s.
    func attend(layer l: Int, plan: AttentionPlan, positions: [Int], q: Rows, out: Rows, cache: KVCache,
                precision: AttentionPrecision, workspace w: AttentionWorkspace) {
        let c = config
        let hd = c.headDim, group = c.groupSize, heads = c.headCount
        let scale = 1 / Float(hd).squareRoot()
        let chunk = AttentionChunks.size, rowsPerJob = 64
        let rowCount = positions.count
        let half = cache.geometry.elementType == .f16
        out.base.initialize(repeating: 0, count: rowCount * out.width)
        // Running state per (row, head), continued from a shared prefix's pass into the row's own.
        w.reserveStates(rowCount * heads)
        let (stateM, stateL) = (w.maxima, w.sums)
        stateM.initialize(repeating: -.infinity, count: rowCount * heads)
        stateL.initialize(repeating: 0, count: rowCount * heads)

        for pass in 0..<2 {
            let units = pass == 0 ? plan.prefixes : plan.own
            guard !units.isEmpty else { continue }
            w.jobs.removeAll()
            // Fewer (unit, row chunk, KV head) jobs than two per thread (one sequence decoding: 3 KV heads on
            // 2 threads) leave a thread idle for a third of the pass: then each query head is its own job.
            // Every (row, head) state sees the same keys in the same order either way.
            var coarse = 0
            for unit in units { coarse += (unit.rows.count + rowsPerJob - 1) / rowsPerJob * c.kvHeadCount }
            let parts = pool.threadCount > 1 && coarse < 2 * pool.threadCount ? group : 1
            for (u, unit) in units.enumerated() {
                for lo in stride(from: 0, to: unit.rows.count, by: rowsPerJob) {
                    for h in 0..<c.kvHeadCount {
                        for p in 0..<parts {
                            w.jobs.append(AttentionJob(unit: u, rows: lo..<min(lo + rowsPerJob, unit.rows.count), kvHead: h,
                                                       groupHeads: (p * group / parts)..<((p + 1) * group / parts)))
                        }
                    }
                }
            }
            w.reserveJobs(w.jobs.count, queries: rowsPerJob * group, headSize: hd, chunk: chunk)
            do {
                let jobs = w.jobs.elements
                units.withUnsafeBufferPointer { units in
                    plan.rowList.withUnsafeBufferPointer { rowList in
                        plan.pages.withUnsafeBufferPointer { pages in
                            positions.withUnsafeBufferPointer { positions in
                                pool.parallelFor(jobs.count, job: AttentionPass(
                                    layer: l, jobs: jobs, units: units, rowList: rowList, pages: pages, positions: positions, q: q,
                                    out: out, rows: cache.rowLocator, precision: precision, scratch: w.jobScratch, headSize: hd, group: group,
                                    heads: heads, scale: scale, chunk: chunk, half: half, maxima: stateM, sums: stateL))
                            }
                        }
                    }
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

/// One pass of attention jobs (a pool job: dispatched with no allocation). Job `j` takes its rows of one
/// attention unit and one KV head: the group's queries are rounded into scratch, then each 32-key chunk's
/// rows are read in place and folded into the running softmax state.
///
/// Plain values only (buffers the caller holds for the dispatch, unowned references), so that the pool's
/// workers copy it per chunk without reference counting.
private struct AttentionPass: ParallelJob {
    let layer: Int
    let jobs: UnsafeBufferPointer<AttentionJob>
    let units: UnsafeBufferPointer<AttentionPlan.Unit>
    let rowList: UnsafeBufferPointer<Int>
    let pages: UnsafeBufferPointer<Int32>
    let positions: UnsafeBufferPointer<Int>
    let q: Rows, out: Rows
    let rows: KVRowLocator
    let precision: AttentionPrecision
    let scratch: AttentionWorkspace.JobScratch
    let headSize: Int, group: Int, heads: Int
    let scale: Float
    let chunk: Int
    let half: Bool
    let maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>

    func run(_ j: Int) {
        let hd = headSize
        let job = jobs[j], unit = units[job.unit]
        let queryRows = rowList[(unit.rows.lowerBound + job.rows.lowerBound)..<(unit.rows.lowerBound + job.rows.upperBound)]
        let table = UnsafeBufferPointer(rebasing: pages[unit.table])
        let last = unit.causal ? positions[queryRows.last!] + 1 : unit.keys.upperBound
        let keys = unit.keys.lowerBound..<min(unit.keys.upperBound, last)
        let m = queryRows.count * group
        let scratch = self.scratch.job(j, queries: m, headSize: hd, chunk: chunk)
        let qb = Rows(base: scratch.queries, width: hd), sb = scratch.scores
        // q meets the f16 keys at f16 precision, and weights meet V at f16 (llama.cpp's numerics).
        for (a, r) in queryRows.enumerated() {
            for g in job.groupHeads {
                let src = q[r] + (job.kvHead * group + g) * hd, dst = qb[a * group + g]
                for i in 0..<hd { dst[i] = precision.round(src[i]) }
            }
        }
        var start = keys.lowerBound / chunk * chunk
        while start < keys.upperBound {
            let span = max(start, keys.lowerBound)..<min(start + chunk, keys.upperBound)
            rows.rowAddresses(layer: layer, table: table, positions: span, column: job.kvHead * hd,
                               keys: scratch.keys, values: scratch.values)
            for (a, r) in queryRows.enumerated() {
                let visible = unit.causal ? min(span.upperBound, positions[r] + 1) - span.lowerBound : span.count
                guard visible > 0 else { continue }
                for g in job.groupHeads {
                    let head = job.kvHead * group + g, state = r * heads + head
                    if half {
                        OnlineAttention.accumulate(query: qb[a * group + g], rows: HalfRows(keys: scratch.keys, values: scratch.values),
                                                   count: visible, headSize: hd, scale: scale, scores: sb,
                                                   roundWeightsToHalf: precision == .f16, m: &maxima[state], l: &sums[state],
                                                   o: out[r] + head * hd)
                    } else {
                        OnlineAttention.accumulate(query: qb[a * group + g], rows: FloatRows(keys: scratch.keys, values: scratch.values),
                                                   count: visible, headSize: hd, scale: scale, scores: sb,
                                                   roundWeightsToHalf: precision == .f16, m: &maxima[state], l: &sums[state],
                                                   o: out[r] + head * hd)
                    }
                }
            }
            start += chunk
        }
    }
}
