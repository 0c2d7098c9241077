import Banyan

/// Continuous batching on the engine thread: every running request's choices advance in the same engine
/// step, waiting requests join between steps when admission finds sequences and pages for them (their
/// prompts prefilled in that same step, forking a cached prefix where one matches), and finished,
/// cancelled or failed requests give their sequences back at once.
final class Scheduler {
    let lm: LanguageModel
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let output: OutputProcessor
    let queue: RequestQueue
    private(set) var cache: PrefixCache
    /// Requests taken from the queue, not yet admitted, in arrival order.
    var waiting: [Job] = []
    private(set) var running: [ScheduledRequest] = []
    /// The last engine step's outputs, kept so the next step refills their buffers.
    private var outputs: [StepOutput] = []

    init(lm: LanguageModel, configuration: ServerConfiguration, metrics: ServerMetrics, queue: RequestQueue) {
        self.lm = lm
        self.queue = queue
        self.configuration = configuration
        self.metrics = metrics
        output = OutputProcessor(tokenizer: lm.tokenizer.tokenizer, metrics: metrics)
        cache = PrefixCache(pageSize: lm.engine.cache.geometry.pageSize, capacity: configuration.prefixCacheEntries)
    }

    var engine: Engine { lm.engine }
    var isIdle: Bool { running.isEmpty && waiting.isEmpty }

    /// The waiting request at the head of the queue, if it needs the engine to itself and nothing runs.
    func takeExclusive() -> Job? {
        guard let head = waiting.first, head.exclusive, running.isEmpty else { return nil }
        return waiting.removeFirst()
    }

    // MARK: one step

    func step() {
        var inputs: [StepInput] = []
        enum Purpose { case prefill(ScheduledRequest), decode(ScheduledRequest, Int) }
        var purposes: [Purpose] = []

        // Every decoding choice samples its next token from the last step's logits.
        for r in running {
            guard case .decoding = r.state else { continue }
            for k in r.choices.indices where r.choices[k].finish == nil {
                switch output.sample(r, k) {
                case .feed(let token):
                    inputs.append(StepInput(sequence: r.choices[k].sequence, tokens: [token]))
                    purposes.append(.decode(r, k))
                case .ended:
                    try? engine.free(r.choices[k].sequence)
                }
            }
        }
        var completed: [ScheduledRequest] = []
        running.removeAll { r in
            if r.isDone { return true }
            guard r.isComplete else { return false }
            completed.append(r)
            return true
        }
        // The gauges first: a client that reads /metrics right after its answer sees its request gone.
        if !completed.isEmpty { updateGauges() }
        for r in completed { complete(r) }

        // Waiting requests join while there are sequences and pages for them.
        while let job = waiting.first, !job.exclusive {
            let verdict = admission(job)
            if verdict == .wait { break }
            waiting.removeFirst()
            if verdict == .reject { continue }
            var cached = 0
            let (sequence, computed) = prefillSequence(for: job.request.prompt, cached: &cached)
            let r = ScheduledRequest(job: job, prompt: sequence, cachedTokens: cached)
            inputs.append(StepInput(sequence: sequence, tokens: computed))
            purposes.append(.prefill(r))
            running.append(r)
        }
        guard !inputs.isEmpty else { return }
        do { try engine.step(inputs, into: &outputs) } catch {
            // Admission keeps room for every running request, so this is a bug or an exhausted pool: fail the step's requests.
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

    private func complete(_ r: ScheduledRequest) {
        let (choices, usage) = output.completion(r)
        r.state = .done
        r.job.events.yield(.completed(choices: choices, usage: usage, search: nil))
        r.job.events.finish()
        metrics.requestsFinished.increment()
        metrics.requestLatency.record(duration: ContinuousClock.now - r.job.arrival)
    }

    // MARK: admission

    enum Admission { case admit, wait, reject }

    /// Whether `job` fits now: sequences under --parallel, and pages for its worst case beside every running
    /// request's (evicting cached prompts if that makes room). A job that cannot fit even in an idle
    /// server is answered 503 and dropped.
    func admission(_ job: Job) -> Admission {
        let width = job.request.width
        let busy = running.reduce(0) { $0 + $1.liveSequences }
        guard busy + width <= configuration.parallel else { return .wait }
        let pageSize = engine.cache.geometry.pageSize
        func pages(_ tokens: Int) -> Int { (tokens + pageSize - 1) / pageSize }
        let need = width * (pages(job.request.prompt.count + job.request.maxTokens + 1) + 1)
        var outstanding = 0
        for r in running {
            let total = r.request.prompt.count + r.request.maxTokens + 1
            switch r.state {
            case .prefilling: outstanding += r.request.width * (pages(total) + 1)
            case .decoding:
                for c in r.choices where c.finish == nil { outstanding += pages(total) + 1 - pages((try? engine.length(of: c.sequence)) ?? 0) }
            case .done: break
            }
        }
        while engine.cache.freePageCount - outstanding < need, let s = cache.evictOldest() { try? engine.free(s) }
        if engine.cache.freePageCount - outstanding >= need { return .admit }
        if running.isEmpty {
            metrics.requestsRejected.increment()
            job.fail(.busy("the KV cache cannot hold this request (\(need) pages needed); retry with a shorter prompt or max_tokens"))
            return .reject
        }
        return .wait
    }

    // MARK: the prefix cache

    /// A sequence holding `prompt` but its last tokens, and the tokens still to compute: a fork of the
    /// cached prompt sharing the longest prefix, or a new sequence.
    func prefillSequence(for prompt: [Int32], cached: inout Int) -> (SequenceID, [Int32]) {
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

    /// Keeps a computed prompt as a cached prefix (evicting the least recently used), or frees it.
    func keepOrFree(_ prompt: SequenceID, tokens: [Int32]) {
        guard configuration.prefixCacheEntries > 0, !cache.contains(tokens) else { try? engine.free(prompt); return }
        for s in cache.insert(prompt, tokens: tokens) { try? engine.free(s) }
    }

    /// The prompt is in the cache: fork it into the request's choices and keep it as a cached prefix.
    private func startChoices(_ r: ScheduledRequest, logits: [Float]) {
        guard case .prefilling(let prompt) = r.state else { return }
        let req = r.request
        metrics.promptTokens.increment(by: req.prompt.count)
        guard let sequences = try? engine.fork(prompt, count: req.bestOf) else {
            try? engine.free(prompt)
            r.state = .decoding
            return finish(r, failing: .server("could not fork the prompt"))
        }
        for (i, s) in sequences.enumerated() {
            var p = req.sampling
            p.seed = req.sampling.seed &+ UInt64(i)
            r.choices.append(Choice(index: i, sequence: s, sampler: Sampler(p), logits: logits,
                                    stream: TextStream(tokenizer: output.tokenizer, stopStrings: req.stop)))
        }
        r.state = .decoding
        keepOrFree(prompt, tokens: req.prompt)
    }

    // MARK: ending requests early

    /// Frees everything a request holds and marks it done.
    private func release(_ r: ScheduledRequest) {
        switch r.state {
        case .prefilling(let p): try? engine.free(p)
        case .decoding: for c in r.choices where c.finish == nil { try? engine.free(c.sequence) }
        case .done: break
        }
        for k in r.choices.indices { r.choices[k].finish = r.choices[k].finish ?? "cancelled" }
        r.state = .done
    }

    /// Answers a request with an error, freeing what it holds.
    func finish(_ r: ScheduledRequest, failing error: APIError) {
        release(r)
        r.job.fail(error)
    }

    /// The clients of these requests went away.
    func cancel(_ ids: Set<Int>) {
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

    /// Refuses every waiting request (the server is stopping).
    func refuseWaiting(_ error: APIError) {
        for j in waiting { j.fail(error) }
        waiting = []
    }

    /// Fails every running request and frees every cached prompt.
    func stopAll(_ error: APIError) {
        for r in running { finish(r, failing: error) }
        running = []
        refuseWaiting(error)
        while let s = cache.evictOldest() { try? engine.free(s) }
    }

    // MARK: gauges

    func updateGauges() {
        let stats = engine.statistics
        metrics.requestsRunning.record(running.count)
        metrics.requestsWaiting.record(queue.setWaiting(waiting.count))
        metrics.kvPagesUsed.record(stats.pagesUsed)
        metrics.kvUsage.record(Double(stats.pagesUsed) / Double(max(stats.pagesTotal, 1)))
        var cachePages = Set<Int32>()
        for e in cache.entries.values { cachePages.formUnion((try? engine.cache.blockTable(of: e.sequence)) ?? []) }
        metrics.prefixCachePages.record(cachePages.count)
    }
}
