import Banyan
import Foundation

/// The one thread that owns the model and its engine, and runs continuous batching: every running
/// request's choices advance in the same engine step, new requests join between steps (their prompts
/// prefilled in that same step, forking a cached prefix where one matches), and finished, cancelled or
/// disconnected requests give their sequences back at once. Searches and beam searches take the engine
/// for themselves when they reach the head of the queue and the requests before them have finished.
final class EngineLoop: @unchecked Sendable {
    /// A request waiting or running, with the stream its events go to.
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
        var exclusive: Bool { request.search != nil || request.beamSearch }
    }

    /// What the handlers may read once the model is loaded.
    struct Loaded: @unchecked Sendable {
        let tokenizer: LoadedTokenizer
        let contextLength: Int
        let modelName: String
        let created: Int
    }

    enum Status { case loading, ready, failed(String), stopped }

    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    private let lock = NSCondition()
    private var inbox: [Job] = []
    private var cancelled: Set<Int> = []
    private var nextID = 0
    private var waitingCount = 0
    /// The last engine step's outputs, kept so the next step refills their buffers.
    private var outputs: [StepOutput] = []
    private var stopDeadline: ContinuousClock.Instant?
    private var status_: Status = .loading
    private var loaded_: Loaded?
    private var exited = false

    init(configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.configuration = configuration
        self.metrics = metrics
    }

    var status: Status { lock.withLock { status_ } }
    var loaded: Loaded? { lock.withLock { loaded_ } }

    /// Starts the thread: it loads the model, then serves until `stop`.
    func start() {
        let thread = Thread(block: { [self] in self.main() })
        thread.name = "banyan-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

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
        guard waitingCount + inbox.count < configuration.queueLimit else {
            metrics.requestsRejected.increment()
            throw .busy("\(configuration.queueLimit) requests are already waiting; retry shortly", status: 429)
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
        lock.lock()
        cancelled.insert(id)
        lock.signal()
        lock.unlock()
    }

    /// Stops accepting; running requests get `seconds` to finish, then are cancelled; returns when the thread has exited.
    func stop(after seconds: Double) async {
        lock.withLock {
            if stopDeadline == nil { stopDeadline = .now + .milliseconds(Int(seconds * 1000)) }
            lock.signal()
        }
        while !(lock.withLock { exited }) { try? await Task.sleep(for: .milliseconds(20)) }
    }

    // MARK: the engine thread

    private var lm: LanguageModel!
    private var engine: Engine { lm.engine }
    private var cache: PrefixCache!
    private var waiting: [Job] = []
    private var running: [Running] = []
    private var searchers: [(SearchConfiguration, Searcher)] = []

    /// A running generation request and its choices.
    final class Running {
        let job: Job
        var prompt: SequenceID?
        var cachedTokens = 0
        var choices: [Choice] = []
        var firstToken = false
        /// Answered already (failed); only to be dropped from the running list.
        var done = false
        init(job: Job) { self.job = job }
    }

    struct Choice {
        var index: Int
        var sequence: SequenceID
        var sampler: Sampler
        var logits: [Float] = []
        var stream: TextStream
        var tokens: [Int32] = []
        var logprobs: [TokenLogprob] = []
        var text = ""
        var cumulative = 0.0
        var finish: String?
        var lastToken = ContinuousClock.now
    }

    private func main() {
        do {
            var configurationModel = configuration.model
            if configurationModel?.isEmpty == true { configurationModel = nil }
            lm = try LanguageModel.load(configurationModel, threads: configuration.threads, capacity: KVCapacity(tokens: configuration.kvCapacity))
            cache = PrefixCache(pageSize: engine.cache.geometry.pageSize, capacity: configuration.prefixCacheEntries)
            let name = configuration.modelName ?? (lm.path as NSString).lastPathComponent
            lock.withLock {
                loaded_ = Loaded(tokenizer: lm.tokenizer, contextLength: lm.model.config.contextLength, modelName: name,
                                 created: Int(Date().timeIntervalSince1970))
                status_ = .ready
            }
        } catch {
            lock.withLock {
                status_ = .failed(String(describing: error))
                exited = true
            }
            return
        }
        serve()
        for r in running { finish(r, failing: .busy("the server stopped before this request finished")) }
        for j in waiting { fail(j, .busy("the server stopped")) }
        while let s = cache.evictOldest() { try? engine.free(s) }
        lock.withLock {
            for j in inbox { j.events.yield(.failed(.busy("the server stopped"))); j.events.finish() }
            inbox = []
            status_ = .stopped
            exited = true
        }
    }

    private func serve() {
        while true {
            lock.lock()
            while inbox.isEmpty && cancelled.isEmpty && running.isEmpty && waiting.isEmpty && stopDeadline == nil { lock.wait() }
            waiting += inbox
            inbox = []
            let cancels = cancelled
            cancelled = []
            let deadline = stopDeadline
            waitingCount = waiting.count
            lock.unlock()

            if !cancels.isEmpty { applyCancels(cancels) }
            if let deadline {
                for j in waiting { fail(j, .busy("the server is shutting down")) }
                waiting = []
                if running.isEmpty { return }
                if ContinuousClock.now >= deadline {
                    for r in running { finish(r, failing: .busy("the server is shutting down")) }
                    running = []
                    return
                }
            }
            if let head = waiting.first, head.exclusive {
                if running.isEmpty {
                    waiting.removeFirst()
                    runExclusive(head)
                }
            }
            step()
            updateGauges()
        }
    }

    private func applyCancels(_ ids: Set<Int>) {
        waiting.removeAll { j in
            guard ids.contains(j.id) else { return false }
            j.events.finish()
            return true
        }
        running.removeAll { r in
            guard ids.contains(r.job.id) else { return false }
            release(r)
            r.job.events.finish()
            return true
        }
    }

    // MARK: continuous batching

    private func step() {
        var inputs: [StepInput] = []
        enum Purpose { case prefill(Running), decode(Running, Int) }
        var purposes: [Purpose] = []

        // Every running choice samples its next token from the last step's logits.
        for r in running where r.prompt == nil {
            for k in r.choices.indices where r.choices[k].finish == nil {
                if let token = sample(r, k) {
                    inputs.append(StepInput(sequence: r.choices[k].sequence, tokens: [token]))
                    purposes.append(.decode(r, k))
                }
            }
        }
        var completed: [Running] = []
        running.removeAll { r in
            if r.done { return true }
            guard r.prompt == nil, r.choices.allSatisfy({ $0.finish != nil }) else { return false }
            completed.append(r)
            return true
        }
        // The gauges first: a client that reads /metrics right after its answer sees its request gone.
        if !completed.isEmpty { updateGauges() }
        for r in completed { complete(r) }

        // New requests join while there are sequences and pages for them.
        while let job = waiting.first, !job.exclusive {
            let verdict = admission(job)
            if verdict == .wait { break }
            waiting.removeFirst()
            if verdict == .reject { continue }
            let r = Running(job: job)
            let (sequence, computed) = prefillSequence(for: job.request.prompt, cached: &r.cachedTokens)
            r.prompt = sequence
            inputs.append(StepInput(sequence: sequence, tokens: computed))
            purposes.append(.prefill(r))
            running.append(r)
        }
        guard !inputs.isEmpty else { return }
        do { try engine.step(inputs, into: &outputs) } catch {
            // Admission keeps room for every running request, so this is a bug or an exhausted pool: fail the step's requests.
            for case .prefill(let r) in purposes { try? engine.free(r.prompt!); r.prompt = nil }
            let failed = Set(purposes.map { p -> Int in switch p { case .prefill(let r), .decode(let r, _): return r.job.id } })
            running.removeAll { r in
                guard failed.contains(r.job.id) else { return false }
                finish(r, failing: .server("the engine step failed: \(error)"))
                return true
            }
            return
        }
        for (purpose, out) in zip(purposes, outputs) {
            switch purpose {
            case .decode(let r, let k): r.choices[k].logits = Array(out.logitsRow())
            case .prefill(let r): startChoices(r, logits: Array(out.logitsRow()))
            }
        }
    }

    /// Whether `job` fits now: sequences under --parallel, and pages for its worst case beside every running
    /// request's (evicting cached prompts if that makes room). A job that cannot fit even in an idle
    /// server is answered 503 and dropped.
    private enum Admission { case admit, wait, reject }

    private func admission(_ job: Job) -> Admission {
        let width = job.request.width
        let busy = running.reduce(0) { $0 + ($1.prompt == nil ? $1.choices.filter { $0.finish == nil }.count : $1.job.request.width) }
        guard busy + width <= configuration.parallel else { return .wait }
        let pageSize = engine.cache.geometry.pageSize
        func pages(_ tokens: Int) -> Int { (tokens + pageSize - 1) / pageSize }
        let need = width * (pages(job.request.prompt.count + job.request.maxTokens + 1) + 1)
        var outstanding = 0
        for r in running {
            let total = r.job.request.prompt.count + r.job.request.maxTokens + 1
            for c in r.choices where c.finish == nil { outstanding += pages(total) + 1 - pages((try? engine.length(of: c.sequence)) ?? 0) }
            if r.prompt != nil { outstanding += r.job.request.width * (pages(total) + 1) }
        }
        while engine.cache.freePageCount - outstanding < need, let s = cache.evictOldest() { try? engine.free(s) }
        if engine.cache.freePageCount - outstanding >= need { return .admit }
        if running.isEmpty {
            metrics.requestsRejected.increment()
            fail(job, .busy("the KV cache cannot hold this request (\(need) pages needed); retry with a shorter prompt or max_tokens"))
            return .reject
        }
        return .wait
    }

    /// A sequence holding `prompt` but its last tokens, and the tokens still to compute: a fork of the
    /// cached prompt sharing the longest prefix, or a new sequence.
    private func prefillSequence(for prompt: [Int32], cached: inout Int) -> (SequenceID, [Int32]) {
        metrics.prefixCacheQueries.increment()
        if configuration.prefixCacheEntries > 0, let hit = cache.lookup(prompt), let child = try? engine.fork(hit.sequence)[0] {
            do {
                try engine.truncate(child, to: hit.shared)
                metrics.prefixCacheHits.increment()
                cached = hit.shared
                return (child, Array(prompt[hit.shared...]))
            } catch {
                try? engine.free(child)
            }
        }
        return (engine.createSequence(), prompt)
    }

    /// The prompt is in the cache: fork it into the request's choices and keep it as a cached prefix.
    private func startChoices(_ r: Running, logits: [Float]) {
        let req = r.job.request
        let prompt = r.prompt!
        r.prompt = nil
        metrics.promptTokens.increment(by: req.prompt.count)
        guard let sequences = try? engine.fork(prompt, count: req.bestOf) else {
            try? engine.free(prompt)
            return finish(r, failing: .server("could not fork the prompt"))
        }
        for (i, s) in sequences.enumerated() {
            var p = req.sampling
            p.seed = req.sampling.seed &+ UInt64(i)
            r.choices.append(Choice(index: i, sequence: s, sampler: Sampler(p), logits: logits,
                                    stream: TextStream(tokenizer: lm.tokenizer.tokenizer, stopStrings: req.stop)))
        }
        keepOrFree(prompt, tokens: req.prompt)
    }

    private func keepOrFree(_ prompt: SequenceID, tokens: [Int32]) {
        guard configuration.prefixCacheEntries > 0, !cache.contains(tokens) else { try? engine.free(prompt); return }
        for s in cache.insert(prompt, tokens: tokens) { try? engine.free(s) }
    }

    /// Samples choice `k`'s next token and reports it; returns the token to feed, or nil when the choice ended.
    private func sample(_ r: Running, _ k: Int) -> Int32? {
        let req = r.job.request
        var c = r.choices[k]
        defer { r.choices[k] = c }
        let history = req.prompt + c.tokens
        if req.ignoreEOS { for t in lm.tokenizer.tokenizer.endOfGeneration where Int(t) < c.logits.count { c.logits[Int(t)] = -.infinity } }
        let token = c.sampler.sample(c.logits[...], history: history)
        let now = ContinuousClock.now
        if !r.firstToken {
            r.firstToken = true
            metrics.timeToFirstToken.record(duration: now - r.job.arrival)
        } else if !c.tokens.isEmpty {
            metrics.interTokenLatency.record(duration: now - c.lastToken)
        }
        c.lastToken = now
        let needsLogprob = req.logprobs != nil || req.bestOf > req.n
        let lp = needsLogprob ? TokenBeamSearch.logSoftmax(c.logits) : []
        if !lp.isEmpty { c.cumulative += Double(lp[Int(token)]) }
        if lm.tokenizer.tokenizer.endOfGeneration.contains(token) {
            end(r, &c, reason: "stop")
            return nil
        }
        c.tokens.append(token)
        metrics.generationTokens.increment()
        var logprobs: [TokenLogprob] = []
        if let top = req.logprobs { logprobs = [logprob(token, lp, top: top)] }
        let piece = c.stream.append(token)
        c.logprobs += logprobs
        c.text += piece
        if !piece.isEmpty || !logprobs.isEmpty, req.stream { r.job.events.yield(.text(choice: c.index, text: piece, logprobs: logprobs)) }
        if c.stream.stopped { end(r, &c, reason: "stop"); return nil }
        if c.tokens.count >= req.maxTokens { end(r, &c, reason: "length"); return nil }
        return token
    }

    private func end(_ r: Running, _ c: inout Choice, reason: String) {
        let rest = c.stream.finish()
        c.text += rest
        if r.job.request.stream && !rest.isEmpty { r.job.events.yield(.text(choice: c.index, text: rest, logprobs: [])) }
        c.finish = reason
        if r.job.request.stream && r.job.request.bestOf == r.job.request.n { r.job.events.yield(.finished(choice: c.index, reason: reason)) }
        try? engine.free(c.sequence)
    }

    private func logprob(_ token: Int32, _ lp: [Float], top: Int) -> TokenLogprob {
        let tok = lm.tokenizer.tokenizer
        func entry(_ t: Int32) -> (String, [UInt8], Double) {
            let bytes = tok.bytes(of: t, renderSpecial: false)
            return (String(decoding: bytes, as: UTF8.self), bytes, Double(lp[Int(t)]))
        }
        let chosen = entry(token)
        return TokenLogprob(token: chosen.0, bytes: chosen.1, logprob: chosen.2,
                            top: TokenBeamSearch.top(lp, top).map { entry(Int32($0)) }.map { (token: $0.0, bytes: $0.1, logprob: $0.2) })
    }

    /// Every choice ended: the choices to return (best_of: the n most likely) and the usage.
    private func complete(_ r: Running) {
        let req = r.job.request
        var finished = r.choices.map { c in
            FinishedChoice(index: c.index, text: c.text, finishReason: c.finish ?? "stop", logprobs: c.logprobs, tokens: c.tokens.count,
                           score: req.bestOf > req.n ? c.cumulative : nil, answer: nil)
        }
        if req.bestOf > req.n {
            finished = Array(finished.sorted { ($0.score ?? 0, -$0.index) > ($1.score ?? 0, -$1.index) }.prefix(req.n))
            for i in finished.indices { finished[i].index = i }
        }
        let usage = Usage(promptTokens: req.prompt.count, completionTokens: r.choices.reduce(0) { $0 + $1.tokens.count }, cachedTokens: r.cachedTokens)
        r.job.events.yield(.completed(choices: finished, usage: usage, search: nil))
        r.job.events.finish()
        metrics.requestsFinished.increment()
        metrics.requestLatency.record(duration: ContinuousClock.now - r.job.arrival)
    }

    /// Frees everything a running request holds.
    private func release(_ r: Running) {
        if let p = r.prompt { try? engine.free(p) }
        r.prompt = nil
        for c in r.choices where c.finish == nil { try? engine.free(c.sequence) }
        for k in r.choices.indices { r.choices[k].finish = r.choices[k].finish ?? "cancelled" }
    }

    private func finish(_ r: Running, failing error: APIError) {
        r.done = true
        release(r)
        r.job.events.yield(.failed(error))
        r.job.events.finish()
    }

    private func fail(_ job: Job, _ error: APIError) {
        job.events.yield(.failed(error))
        job.events.finish()
    }

    // MARK: searches and beam searches (the engine to themselves)

    private func runExclusive(_ job: Job) {
        let req = job.request
        do {
            if let configuration = req.search {
                let searcher = try searcherFor(configuration)
                let result = try searcher.run(SearchQuestion(req.question))
                let ranked = result.solutions.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }
                let choices = ranked.prefix(req.n).enumerated().map { i, s in
                    FinishedChoice(index: i, text: s.element.text, finishReason: s.element.end == .endOfGeneration ? "stop" : "length",
                                   logprobs: [], tokens: s.element.tokenCount, score: s.element.score, answer: s.element.answer)
                }
                let a = result.accounting
                metrics.promptTokens.increment(by: a.tokensPrefilled)
                metrics.generationTokens.increment(by: a.tokensDecoded)
                let summary: [String: Any] = ["answer": result.answer(configuration.rule) as Any, "strategy": result.label,
                                              "select": configuration.rule.rawValue, "prm": configuration.prm.description,
                                              "n": configuration.n, "tokens_prefilled": a.tokensPrefilled, "tokens_decoded": a.tokensDecoded,
                                              "scorer_tokens": a.scorerTokens, "forward_steps": a.forwardSteps, "seconds": a.seconds,
                                              "solutions": result.solutions.count]
                metrics.timeToFirstToken.record(duration: ContinuousClock.now - job.arrival)
                job.events.yield(.completed(choices: choices, usage: Usage(promptTokens: a.tokensPrefilled, completionTokens: a.tokensDecoded,
                                                                             cachedTokens: 0), search: summary))
            } else {
                var cached = 0
                let (sequence, rest) = prefillSequence(for: req.prompt, cached: &cached)
                defer { keepOrFree(sequence, tokens: req.prompt) }
                let out = try engine.step([StepInput(sequence: sequence, tokens: rest)])
                metrics.promptTokens.increment(by: req.prompt.count)
                let search = TokenBeamSearch(width: req.bestOf, maxTokens: req.maxTokens, endOfGeneration: lm.tokenizer.tokenizer.endOfGeneration)
                let beams = try search.run(engine: engine, from: sequence, logits: Array(out[0].logitsRow())) { [self] in
                    lock.withLock { cancelled.contains(job.id) }
                }
                metrics.timeToFirstToken.record(duration: ContinuousClock.now - job.arrival)
                var choices: [FinishedChoice] = []
                for (i, beam) in beams.prefix(req.n).enumerated() {
                    var stream = TextStream(tokenizer: lm.tokenizer.tokenizer, stopStrings: req.stop)
                    for t in beam.tokens where !stream.stopped { _ = stream.append(t) }
                    _ = stream.finish()
                    choices.append(FinishedChoice(index: i, text: stream.text, finishReason: beam.endedByModel || stream.stopped ? "stop" : "length",
                                                  logprobs: [], tokens: beam.tokens.count, score: beam.logProbability, answer: nil))
                }
                let decoded = beams.reduce(0) { $0 + $1.tokens.count }
                metrics.generationTokens.increment(by: decoded)
                job.events.yield(.completed(choices: choices, usage: Usage(promptTokens: req.prompt.count, completionTokens: decoded,
                                                                             cachedTokens: cached), search: nil))
            }
            metrics.requestsFinished.increment()
            metrics.requestLatency.record(duration: ContinuousClock.now - job.arrival)
        } catch let error as SearchConfigurationError {
            job.events.yield(.failed(.invalid(String(describing: error), param: "search")))
        } catch {
            job.events.yield(.failed(.server(String(describing: error))))
        }
        job.events.finish()
    }

    private func searcherFor(_ c: SearchConfiguration) throws -> Searcher {
        if let (_, s) = searchers.first(where: { $0.0 == c }) { return s }
        let s = try Searcher(engine: engine, tokenizer: lm.tokenizer, configuration: c, threads: configuration.threads)
        searchers.append((c, s))
        if searchers.count > 8 { searchers.removeFirst() }
        return s
    }

    // MARK: gauges

    private func updateGauges() {
        let stats = engine.statistics
        metrics.requestsRunning.record(running.count)
        metrics.requestsWaiting.record(lock.withLock { waiting.count + inbox.count })
        metrics.kvPagesUsed.record(stats.pagesUsed)
        metrics.kvUsage.record(Double(stats.pagesUsed) / Double(max(stats.pagesTotal, 1)))
        var cachePages = Set<Int32>()
        for e in cache.entries.values { cachePages.formUnion((try? engine.cache.blockTable(of: e.sequence)) ?? []) }
        metrics.prefixCachePages.record(cachePages.count)
        lock.withLock { waitingCount = waiting.count }
    }
}
