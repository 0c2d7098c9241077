import Banyan
import Foundation

/// The requests that take the engine for themselves once nothing else runs: the library's search (a
/// `search` object) and token-level beam search (`use_beam_search`).
final class SearchJobs {
    let scheduler: Scheduler
    private var searchers: [(SearchConfiguration, Searcher)] = []

    init(scheduler: Scheduler) { self.scheduler = scheduler }

    private var engine: Engine { scheduler.engine }
    private var metrics: ServerMetrics { scheduler.metrics }

    func run(_ job: Job) {
        let req = job.request
        do {
            if let configuration = req.search {
                try search(job, configuration)
            } else {
                try beamSearch(job)
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

    private func search(_ job: Job, _ configuration: SearchConfiguration) throws {
        let req = job.request
        let result = try searcher(for: configuration).run(SearchQuestion(req.question))
        let ranked = result.solutions.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }
        let choices = ranked.prefix(req.n).enumerated().map { i, s in
            FinishedChoice(index: i, text: s.element.text, finishReason: s.element.end == .endOfGeneration ? "stop" : "length",
                           logprobs: [], tokens: s.element.tokenCount, score: s.element.score, answer: s.element.answer)
        }
        let a = result.accounting
        metrics.promptTokens.increment(by: a.tokensPrefilled)
        metrics.generationTokens.increment(by: a.tokensDecoded)
        let summary: [String: Any] = ["answer": result.answer(configuration.rule) as Any, "strategy": result.label,
                                      "select": configuration.rule.rawValue, "prm": req.searchPRMName ?? configuration.prm.description,
                                      "n": configuration.n, "tokens_prefilled": a.tokensPrefilled, "tokens_decoded": a.tokensDecoded,
                                      "scorer_tokens": a.scorerTokens, "forward_steps": a.forwardSteps, "seconds": a.seconds,
                                      "solutions": result.solutions.count]
        metrics.timeToFirstToken.record(duration: ContinuousClock.now - job.arrival)
        job.events.yield(.completed(choices: choices, usage: Usage(promptTokens: a.tokensPrefilled, completionTokens: a.tokensDecoded, cachedTokens: 0),
                                    search: summary))
    }

    private func beamSearch(_ job: Job) throws {
        let req = job.request
        var cached = 0
        let (sequence, rest) = scheduler.prefillSequence(for: req.prompt, cached: &cached)
        defer { scheduler.keepOrFree(sequence, tokens: req.prompt) }
        let out = try engine.step([StepInput(sequence: sequence, tokens: rest)])
        metrics.promptTokens.increment(by: req.prompt.count)
        let tokenizer = scheduler.output.tokenizer
        let search = TokenBeamSearch(width: req.bestOf, maxTokens: req.maxTokens, endOfGeneration: tokenizer.endOfGeneration)
        let queue = scheduler.queue
        let beams = try search.run(engine: engine, from: sequence, logits: Array(out[0].logitsRow())) {
            queue.isCancelled(job.id) || queue.stopping
        }
        metrics.timeToFirstToken.record(duration: ContinuousClock.now - job.arrival)
        let choices = beams.prefix(req.n).enumerated().map { i, beam in scheduler.output.choice(beam: beam, index: i, stop: req.stop) }
        let decoded = beams.reduce(0) { $0 + $1.tokens.count }
        metrics.generationTokens.increment(by: decoded)
        job.events.yield(.completed(choices: choices, usage: Usage(promptTokens: req.prompt.count, completionTokens: decoded, cachedTokens: cached),
                                    search: nil))
    }

    /// A searcher per configuration, the last few kept (each holds its scorer's head or token PRM).
    private func searcher(for c: SearchConfiguration) throws -> Searcher {
        if let (_, s) = searchers.first(where: { $0.0 == c }) { return s }
        let s = try Searcher(engine: engine, tokenizer: scheduler.lm.tokenizer, configuration: c, threads: scheduler.configuration.threads)
        searchers.append((c, s))
        if searchers.count > 8 { searchers.removeFirst() }
        return s
    }
}
