import BanyanKernels

/// The memory one step's attention works in, kept between steps and grown when a step needs more (so a
/// decode step allocates nothing here): the running softmax state of every (row, head), and per job the
/// query rows rounded to the cache's precision, the chunk's scores and its K/V row addresses.
final class AttentionWorkspace {
    /// Running max score and weight sum per (row, head).
    private(set) var maxima: UnsafeMutablePointer<Float>
    private(set) var sums: UnsafeMutablePointer<Float>
    private var stateCapacity = 0
    private var scratchBase: UnsafeMutableRawPointer
    private var jobCapacity = 0
    private(set) var jobBytes = 0
    /// The jobs of the current pass (reused: no per-layer array).
    var jobs = ScratchList<AttentionJob>(capacity: 64)

    init() {
        maxima = .allocate(capacity: 1)
        sums = .allocate(capacity: 1)
        scratchBase = .allocate(byteCount: 64, alignment: 64)
    }

    deinit {
        maxima.deallocate()
        sums.deallocate()
        scratchBase.deallocate()
    }

    /// Room for `count` (row, head) states.
    func reserveStates(_ count: Int) {
        guard count > stateCapacity else { return }
        maxima.deallocate()
        sums.deallocate()
        stateCapacity = max(count, 2 * stateCapacity)
        maxima = .allocate(capacity: stateCapacity)
        sums = .allocate(capacity: stateCapacity)
    }

    /// Room for `jobs` jobs of up to `queries` query rows of `headSize` floats over chunks of `chunk` keys.
    func reserveJobs(_ jobs: Int, queries: Int, headSize: Int, chunk: Int) {
        let bytes = ((queries * headSize + chunk + 8) * MemoryLayout<Float>.stride + 2 * chunk * MemoryLayout<UnsafeRawPointer>.stride + 63) / 64 * 64
        if bytes * jobs > jobCapacity {
            scratchBase.deallocate()
            jobCapacity = max(bytes * jobs, 2 * jobCapacity)
            scratchBase = .allocate(byteCount: jobCapacity, alignment: 64)
        }
        jobBytes = bytes
    }

    /// Every job's scratch, as a plain value the pass's workers hold (valid until the next `reserveJobs`).
    var jobScratch: JobScratch { JobScratch(base: scratchBase, jobBytes: jobBytes) }

    struct JobScratch {
        let base: UnsafeMutableRawPointer
        let jobBytes: Int

        /// Job `j`'s scratch: `queries` rows of `headSize` floats, `chunk + 8` scores, `chunk` key and `chunk`
        /// value row addresses.
        func job(_ j: Int, queries: Int, headSize: Int, chunk: Int)
            -> (queries: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                keys: UnsafeMutablePointer<UnsafeRawPointer>, values: UnsafeMutablePointer<UnsafeRawPointer>) {
            let base = self.base + j * jobBytes
            let q = base.bindMemory(to: Float.self, capacity: queries * headSize + chunk + 8)
            let addresses = (base + (queries * headSize + chunk + 8) * MemoryLayout<Float>.stride)
                .bindMemory(to: UnsafeRawPointer.self, capacity: 2 * chunk)
            return (q, q + queries * headSize, addresses, addresses + chunk)
        }
    }
}

/// One piece of a pass's attention: up to 64 of a unit's query rows against one KV head, for some or all
/// of the query heads that share it.
struct AttentionJob {
    /// Index into the pass's units.
    let unit: Int
    /// Positions into the unit's `rows`.
    let rows: Range<Int>
    let kvHead: Int
    /// The query heads of the KV head's group (0..<groupSize) this job serves.
    let groupHeads: Range<Int>
}
