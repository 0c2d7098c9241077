import Banyan
import Foundation

/// A request handed from an HTTP handler to the engine thread, with the stream its events go to.
final class Job: @unchecked Sendable {
    let id: Int
    let request: GenerationRequest
    let events: AsyncStream<ServerEvent>.Continuation
    let arrival = ContinuousClock.now

    init(id: Int, request: GenerationRequest, events: AsyncStream<ServerEvent>.Continuation) {
        self.id = id
        self.request = request
        self.events = events
    }

    /// Searches and token beam searches take the engine for themselves.
    var exclusive: Bool { request.search != nil || request.beamSearch }

    func fail(_ error: APIError) {
        events.yield(.failed(error))
        events.finish()
    }
}

/// What the HTTP handlers and the engine thread share, behind one lock: the jobs handed over and not yet
/// taken, the cancellations, the stop deadline, and the model's status.
final class RequestQueue: @unchecked Sendable {
    /// What the handlers may read once the model is loaded.
    struct Loaded: @unchecked Sendable {
        let tokenizer: LoadedTokenizer
        let contextLength: Int
        let modelName: String
        let created: Int
        /// The longest token's text in bytes: no text of more than `context ×` this many bytes fits a context.
        let maxTokenBytes: Int
    }

    enum Status { case loading, ready, failed(String), stopped }

    /// What the engine thread takes each time it wakes.
    struct Intake {
        var jobs: [Job]
        var cancelled: Set<Int>
        var deadline: ContinuousClock.Instant?
    }

    private let limit: Int
    private let metrics: ServerMetrics
    private let lock = NSCondition()
    private var inbox: [Job] = []
    private var cancelled: Set<Int> = []
    private var nextID = 0
    /// Jobs the engine thread holds but has not admitted (counted against the queue limit).
    private var waitingCount = 0
    private var stopDeadline: ContinuousClock.Instant?
    private var status_: Status = .loading
    private var loaded_: Loaded?
    private var exited = false

    init(limit: Int, metrics: ServerMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    var status: Status { lock.withLock { status_ } }
    var loaded: Loaded? { lock.withLock { loaded_ } }
    var hasExited: Bool { lock.withLock { exited } }

    /// Queues a request; its events arrive on the returned stream. A full queue is a 429 and a loading or
    /// stopping server a 503, with nothing queued.
    func submit(_ request: GenerationRequest) throws(APIError) -> (id: Int, events: AsyncStream<ServerEvent>) {
        lock.lock()
        defer { lock.unlock() }
        guard case .ready = status_, stopDeadline == nil else {
            metrics.requestsRejected.increment()
            if case .loading = status_ { throw .loading() }
            throw .busy("the server is shutting down")
        }
        guard waitingCount + inbox.count < limit else {
            metrics.requestsRejected.increment()
            throw .busy("\(limit) requests are already waiting; retry shortly", status: 429)
        }
        let id = nextID
        nextID += 1
        let (stream, continuation) = AsyncStream.makeStream(of: ServerEvent.self, bufferingPolicy: .unbounded)
        continuation.onTermination = { [weak self] _ in self?.cancel(id) }
        inbox.append(Job(id: id, request: request, events: continuation))
        lock.signal()
        return (id, stream)
    }

    /// Stops a request (the client went away): its sequences are freed before the next step.
    func cancel(_ id: Int) {
        lock.withLock {
            cancelled.insert(id)
            lock.signal()
        }
    }

    /// Whether `id` was cancelled and the engine thread has not yet taken the cancellation.
    func isCancelled(_ id: Int) -> Bool { lock.withLock { cancelled.contains(id) } }

    /// Stops accepting; running requests get until the deadline to finish.
    func stop(after seconds: Double) {
        lock.withLock {
            if stopDeadline == nil { stopDeadline = .now + .milliseconds(Int(seconds * 1000)) }
            lock.signal()
        }
    }

    var stopping: Bool { lock.withLock { stopDeadline != nil } }

    /// Waits until there is something to do (`idle`: the engine thread has nothing running), then takes it.
    func take(idle: Bool, waiting: Int) -> Intake {
        lock.lock()
        defer { lock.unlock() }
        waitingCount = waiting
        while idle && inbox.isEmpty && cancelled.isEmpty && stopDeadline == nil { lock.wait() }
        let intake = Intake(jobs: inbox, cancelled: cancelled, deadline: stopDeadline)
        inbox = []
        cancelled = []
        waitingCount += intake.jobs.count
        return intake
    }

    /// Requests handed over and not yet taken, plus those the engine thread holds waiting.
    func setWaiting(_ count: Int) -> Int {
        lock.withLock {
            waitingCount = count
            return count + inbox.count
        }
    }

    func ready(_ loaded: Loaded) {
        lock.withLock {
            loaded_ = loaded
            status_ = .ready
        }
    }

    func failed(_ why: String) {
        lock.withLock {
            status_ = .failed(why)
            exited = true
        }
    }

    /// The engine thread is gone: whatever is still queued is answered 503.
    func exit() {
        lock.withLock {
            for j in inbox { j.fail(.busy("the server stopped")) }
            inbox = []
            status_ = .stopped
            exited = true
        }
    }
}
