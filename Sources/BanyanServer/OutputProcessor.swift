import Banyan

/// Turns sampled tokens into what a client sees: text released past stop strings, log-probabilities,
/// finish reasons, streamed events, and at the end the choices to return (best_of: the n most likely).
struct OutputProcessor {
    let tokenizer: Tokenizer
    let metrics: ServerMetrics

    /// What a choice does after its token is sampled.
    enum Next {
        /// Feed this token in the next step.
        case feed(Int32)
        /// The choice ended (its `finish` is set); its sequence is to be freed.
        case ended
    }

    /// Samples choice `k`'s next token from its logits and reports it.
    func sample(_ r: ScheduledRequest, _ k: Int) -> Next {
        let req = r.request
        var c = r.choices[k]
        defer { r.choices[k] = c }
        if req.ignoreEOS { for t in tokenizer.endOfGeneration where Int(t) < c.logits.count { c.logits[Int(t)] = -.infinity } }
        let token = c.sampler.sample(c.logits[...], history: req.prompt + c.tokens)
        recordLatency(r, &c)
        let needsLogprob = req.logprobs != nil || req.bestOf > req.n
        let lp = needsLogprob ? TokenBeamSearch.logSoftmax(c.logits) : []
        if !lp.isEmpty { c.cumulativeLogprob += Double(lp[Int(token)]) }
        if tokenizer.endOfGeneration.contains(token) {
            end(r, &c, reason: "stop")
            return .ended
        }
        c.tokens.append(token)
        metrics.generationTokens.increment()
        let logprobs = req.logprobs.map { [logprob(token, lp, top: $0)] } ?? []
        let piece = c.stream.append(token)
        c.logprobs += logprobs
        c.text += piece
        if req.stream, !piece.isEmpty || !logprobs.isEmpty { r.job.events.yield(.text(choice: c.index, text: piece, logprobs: logprobs)) }
        if c.stream.stopped { end(r, &c, reason: "stop"); return .ended }
        if c.tokens.count >= req.maxTokens { end(r, &c, reason: "length"); return .ended }
        return .feed(token)
    }

    private func recordLatency(_ r: ScheduledRequest, _ c: inout Choice) {
        let now = ContinuousClock.now
        if !r.sawFirstToken {
            r.sawFirstToken = true
            metrics.timeToFirstToken.record(duration: now - r.job.arrival)
        } else if !c.tokens.isEmpty {
            metrics.interTokenLatency.record(duration: now - c.lastToken)
        }
        c.lastToken = now
    }

    /// Ends a choice: the text held back for stop strings is released, and streams see the finish reason.
    private func end(_ r: ScheduledRequest, _ c: inout Choice, reason: String) {
        let rest = c.stream.finish()
        c.text += rest
        let req = r.request
        if req.stream && !rest.isEmpty { r.job.events.yield(.text(choice: c.index, text: rest, logprobs: [])) }
        c.finish = reason
        if req.stream && req.bestOf == req.n { r.job.events.yield(.finished(choice: c.index, reason: reason)) }
    }

    private func logprob(_ token: Int32, _ lp: [Float], top: Int) -> TokenLogprob {
        func entry(_ t: Int32) -> (token: String, bytes: [UInt8], logprob: Double) {
            let bytes = tokenizer.bytes(of: t, renderSpecial: false)
            return (String(decoding: bytes, as: UTF8.self), bytes, Double(lp[Int(t)]))
        }
        let chosen = entry(token)
        return TokenLogprob(token: chosen.token, bytes: chosen.bytes, logprob: chosen.logprob,
                            top: TokenBeamSearch.top(lp, top).map { entry(Int32($0)) })
    }

    /// Every choice ended: the choices to return (best_of: the n most likely, re-indexed) and the usage.
    func completion(_ r: ScheduledRequest) -> (choices: [FinishedChoice], usage: Usage) {
        let req = r.request
        let ranked = req.bestOf > req.n
        var finished = r.choices.map { c in
            FinishedChoice(index: c.index, text: c.text, finishReason: c.finish ?? "stop", logprobs: c.logprobs, tokens: c.tokens.count,
                           score: ranked ? c.cumulativeLogprob : nil, answer: nil)
        }
        if ranked {
            finished = Array(finished.sorted { ($0.score ?? 0, -$0.index) > ($1.score ?? 0, -$1.index) }.prefix(req.n))
            for i in finished.indices { finished[i].index = i }
        }
        let usage = Usage(promptTokens: req.prompt.count, completionTokens: r.choices.reduce(0) { $0 + $1.tokens.count },
                          cachedTokens: r.cachedTokens)
        return (finished, usage)
    }

    /// A finished token beam as a choice: its text cut at the first stop string.
    func choice(beam: TokenBeamSearch.Beam, index: Int, stop: [String]) -> FinishedChoice {
        var stream = TextStream(tokenizer: tokenizer, stopStrings: stop)
        for t in beam.tokens where !stream.stopped { _ = stream.append(t) }
        _ = stream.finish()
        return FinishedChoice(index: index, text: stream.text, finishReason: beam.endedByModel || stream.stopped ? "stop" : "length",
                              logprobs: [], tokens: beam.tokens.count, score: beam.logProbability, answer: nil)
    }
}
