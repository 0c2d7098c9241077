import Banyan
import Foundation

/// The one thread that owns the model and its engine. It loads the model, then repeatedly takes what the
/// handlers queued (`RequestQueue`), applies cancellations and the stop deadline, hands exclusive jobs
/// (searches, beam searches) to `SearchJobs` once nothing else runs, and advances everything else one
/// engine step at a time (`Scheduler`).
final class EngineLoop: @unchecked Sendable {
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let queue: RequestQueue

    init(configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.configuration = configuration
        self.metrics = metrics
        queue = RequestQueue(limit: configuration.queueLimit, metrics: metrics)
    }

    var status: RequestQueue.Status { queue.status }
    var loaded: RequestQueue.Loaded? { queue.loaded }

    func submit(_ request: GenerationRequest) throws(APIError) -> (id: Int, events: AsyncStream<ServerEvent>) { try queue.submit(request) }
    func cancel(_ id: Int) { queue.cancel(id) }

    /// Starts the thread: it loads the model, then serves until `stop`.
    func start() {
        let thread = Thread(block: { [self] in self.main() })
        thread.name = "banyan-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops accepting; running requests get `seconds` to finish, then are cancelled; returns when the thread has exited.
    func stop(after seconds: Double) async {
        queue.stop(after: seconds)
        while !queue.hasExited { try? await Task.sleep(for: .milliseconds(20)) }
    }

    // MARK: the engine thread

    private func main() {
        let lm: LanguageModel
        do {
            let path = configuration.model?.isEmpty == true ? nil : configuration.model
            lm = try LanguageModel.load(path, threads: configuration.threads, capacity: KVCapacity(tokens: configuration.kvCapacity))
        } catch {
            queue.failed(String(describing: error))
            return
        }
        let name = configuration.modelName ?? (lm.path as NSString).lastPathComponent
        queue.ready(RequestQueue.Loaded(tokenizer: lm.tokenizer, contextLength: lm.model.config.contextLength, modelName: name,
                                        created: Int(Date().timeIntervalSince1970),
                                        maxTokenBytes: lm.tokenizer.tokenizer.vocabulary.texts.reduce(1) { max($0, $1.count) }))
        let scheduler = Scheduler(lm: lm, configuration: configuration, metrics: metrics, queue: queue)
        serve(scheduler, SearchJobs(scheduler: scheduler))
        scheduler.stopAll(.busy("the server stopped before this request finished"))
        queue.exit()
    }

    private func serve(_ scheduler: Scheduler, _ jobs: SearchJobs) {
        while true {
            let intake = queue.take(idle: scheduler.isIdle, waiting: scheduler.waiting.count)
            scheduler.waiting += intake.jobs
            if !intake.cancelled.isEmpty { scheduler.cancel(intake.cancelled) }
            if let deadline = intake.deadline {
                scheduler.refuseWaiting(.busy("the server is shutting down"))
                if scheduler.running.isEmpty { return }
                if ContinuousClock.now >= deadline { return }
            }
            if let job = scheduler.takeExclusive() { jobs.run(job) }
            scheduler.step()
            scheduler.updateGauges()
        }
    }
}
