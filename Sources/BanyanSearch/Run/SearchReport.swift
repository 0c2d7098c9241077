import Foundation

extension SearchResult {
    /// The result as `banyan search --json` prints it (and the server's native search route returns it).
    public func jsonObject(configuration c: SearchConfiguration, tokenPRM: TokenPRMStatistics? = nil) -> [String: Any] {
        let a = accounting
        return [
            "answer": answer(c.rule) as Any, "no_answer_reason": (answer(c.rule) == nil ? noAnswerReason : nil) as Any, "strategy": label, "n": c.n, "prm": c.prm.description,
            "aggregate": c.aggregation.rawValue, "select": c.rule.rawValue,
            "picks": Dictionary(uniqueKeysWithValues: picks.map { ($0.key.rawValue, Dictionary(uniqueKeysWithValues: $0.value.map { (String($0.key), $0.value) })) }),
            "solutions": solutions.map { s in
                ["text": s.text, "answer": s.answer as Any, "score": s.score, "end": s.end.rawValue,
                 "steps": s.steps.map { ["text": $0.text, "score": $0.score, "mean_logprob": $0.meanLogProbability] }]
            },
            "tokens_prefilled": a.tokensPrefilled, "tokens_decoded": a.tokensDecoded, "scorer_tokens": a.scorerTokens,
            "forward_steps": a.forwardSteps, "peak_kv_bytes": a.peakKVBytes, "seconds": a.seconds,
            "token_prm": tokenPRM?.jsonObject as Any,
        ]
    }
}

extension TokenPRMStatistics {
    /// One line comparing the token PRM's work with re-encoding every prefix.
    public var summary: String {
        let perStep = stepsScored > 0 ? Double(tokensComputed) / Double(stepsScored) : 0
        let ratio = tokensComputed > 0 ? Double(reencodeTokens) / Double(tokensComputed) : 0
        return String(format: "token PRM: %d steps scored (%d repeats free), %d tokens computed (%.1f per step; the steps' own: %d), "
                      + "re-encoding each prefix: %d tokens (%.1f×), %.1f s", stepsScored, repeats, tokensComputed, perStep,
                      stepTokens, reencodeTokens, ratio, seconds)
    }

    public var jsonObject: [String: Any] {
        ["steps_scored": stepsScored, "repeats": repeats, "tokens_computed": tokensComputed, "step_tokens": stepTokens,
         "reencode_tokens": reencodeTokens, "seconds": seconds]
    }
}
