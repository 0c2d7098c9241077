import Foundation
import Synchronization

/// A persistent pool for short parallel loops (a matrix-vector product takes tens of microseconds).
///
/// Workers spin on an atomic generation counter between jobs, so a job starts in well under a
/// microsecond, and park on a condition variable only after `parkAfterSeconds` without work, so an idle
/// pool costs nothing. The limit is in time, not spins: a spin count meant ~10 µs on a fast core, shorter
/// than the serial work between two matmuls of a decode step (sampling, attention set-up), so workers
/// parked and were woken by a futex call ~150 times per token (8% of decode time in `perf`). The calling thread takes part in every job. Measured on this machine kind, parking
/// pools and `concurrentPerform` gave no speed-up for jobs this short; spinning gave 2× on 2 cores.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int
    /// What the workers share. They hold it, not the pool, so the pool can go away while they wind down.
    private let state = WorkerState()
    /// One job at a time: callers on other threads (two models sharing `.shared`) wait their turn.
    private let callerLock = NSLock()

    /// Idle time before a worker parks: longer than the gaps inside and between decode steps.
    static let parkAfterSeconds = 0.002

    public init(threads: Int) {
        threadCount = max(1, threads)
        let state = self.state
        for _ in 1..<threadCount {
            let t = Thread { state.workerLoop() }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    deinit { state.stop() }

    func dispatch(_ job: any ParallelJob, count: Int) {
        callerLock.lock()
        defer { callerLock.unlock() }
        state.run(job, count: count, helpers: threadCount - 1)
    }

    /// The pool sized for this machine's active cores.
    public static let shared = ThreadPool(threads: ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(i)` for every i in 0..<count, spread over the pool; returns when all are done.
    /// Chunks are claimed dynamically, so uneven chunks balance themselves. Safe to call from several
    /// threads (jobs then run one after another); not from inside `body`.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if threadCount == 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        callerLock.lock()
        defer { callerLock.unlock() }
        withoutActuallyEscaping(body) { escapable in
            state.run(ClosureJob(body: escapable), count: count, helpers: threadCount - 1)
        }
    }
}

/// A parallel loop's body as a value: `run(i)` for each index. Handing one to the pool allocates
/// nothing, where a closure handed to other threads is boxed on the heap; that matters for the matmuls and
/// attention that every decode step dispatches ~150 times.
public protocol ParallelJob {
    func run(_ index: Int)
}

/// What the workers hold: a pointer to the caller's job, small enough for an existential's inline buffer.
struct JobReference<Job: ParallelJob>: ParallelJob {
    let job: UnsafePointer<Job>
    @inline(__always) func run(_ index: Int) { job.pointee.run(index) }
}

extension ThreadPool {
    /// `job.run(i)` for every i in 0..<count, spread over the pool; returns when all are done. No heap
    /// allocation: the workers read the job where the caller keeps it.
    public func parallelFor<Job: ParallelJob>(_ count: Int, job: Job) {
        if threadCount == 1 || count <= 1 {
            for i in 0..<count { job.run(i) }
            return
        }
        withUnsafePointer(to: job) { p in dispatch(JobReference(job: p), count: count) }
    }
}

private final class WorkerState: @unchecked Sendable {
    let generation = Atomic<Int>(0)
    let pending = Atomic<Int>(0)
    let nextChunk = Atomic<Int>(0)
    let parked = Atomic<Int>(0)
    let shutdown = Atomic<Bool>(false)
    let condition = NSCondition()
    var job: (any ParallelJob)?
    var chunkCount = 0

    func run(_ body: any ParallelJob, count: Int, helpers: Int) {
        job = body
        chunkCount = count
        nextChunk.store(0, ordering: .relaxed)
        pending.store(helpers, ordering: .relaxed)
        publish()
        runChunks()
        while pending.load(ordering: .acquiring) > 0 {}
        // Workers call through `job` and release it before counting down, so nothing keeps `body`.
        job = nil
    }

    func stop() {
        shutdown.store(true, ordering: .sequentiallyConsistent)
        publish()
    }

    private func publish() {
        generation.add(1, ordering: .sequentiallyConsistent)
        if parked.load(ordering: .sequentiallyConsistent) > 0 {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
    }

    private func runChunks() {
        // The closure is read once per job: read per chunk, it was retained and released every time.
        guard let body = job else { return }
        let count = chunkCount
        while true {
            let i = nextChunk.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body.run(i)
        }
    }

    func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            var idleSince = 0.0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 1023 != 0 { continue }
                let now = MonotonicClock.seconds()
                if idleSince == 0 { idleSince = now }
                if now - idleSince < ThreadPool.parkAfterSeconds { continue }
                condition.lock()
                parked.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                parked.subtract(1, ordering: .sequentiallyConsistent)
                condition.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if shutdown.load(ordering: .sequentiallyConsistent) { return }
            runChunks()
            pending.subtract(1, ordering: .releasing)
        }
    }
}

/// A closure as a job (boxed: the closure API allocates once per dispatch).
private struct ClosureJob: ParallelJob {
    let body: (Int) -> Void
    func run(_ index: Int) { body(index) }
}
