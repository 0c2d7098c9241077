import Banyan
import Foundation

/// Which OpenAI route a request came by.
enum RouteKind: Sendable { case completion, chat }

/// A completion or chat request, checked and tokenized: what the engine loop runs.
struct GenerationRequest: Sendable {
    var kind: RouteKind
    var model: String
    var prompt: [Int32]
    /// The question a search solves: the completion's prompt text, or the last user message.
    var question: String
    var maxTokens: Int
    var sampling: SamplingParameters
    /// Choices returned.
    var n: Int
    /// Choices sampled (vLLM's best_of: the n with the highest cumulative log-probability are returned).
    var bestOf: Int
    /// Token-level beam search of width `bestOf` (vLLM's use_beam_search).
    var beamSearch: Bool
    var stop: [String]
    /// Generate `maxTokens` whatever the model says (end-of-generation tokens are never sampled): for benchmarks.
    var ignoreEOS: Bool
    /// Top log-probabilities per token (nil: none; 0: the chosen token's only).
    var logprobs: Int?
    var stream: Bool
    var includeUsage: Bool
    /// The library's search, when the request carries a `search` object.
    var search: SearchConfiguration?
    /// The name the request gave its search's verifier (one of the server's `--prm` names).
    var searchPRMName: String?

    /// Sequences the request holds at once while generating.
    var width: Int { beamSearch ? 2 * bestOf : bestOf }

    static func parse(_ f: JSONFields, kind: RouteKind, loaded: RequestQueue.Loaded, configuration: ServerConfiguration) throws(APIError) -> GenerationRequest {
        try RequestFields.check(f, kind: kind)
        let tokenizer = loaded.tokenizer, modelName = loaded.modelName, contextLength = loaded.contextLength
        let context = min(configuration.context, contextLength)
        /// No text of more than `context × longest token` bytes fits the context: refused before any tokenizing.
        func tokenize(_ text: String, param: String) throws(APIError) -> [Int32] {
            let bytes = text.utf8.count
            guard bytes <= context * loaded.maxTokenBytes else {
                throw .invalid("the prompt (\(bytes) bytes) has more than \(context) tokens, this server's context", param: param,
                               code: "context_length_exceeded")
            }
            return tokenizer.tokenizer.encode(text)
        }
        let text: String
        let prompt: [Int32]
        let question: String
        switch kind {
        case .completion:
            guard f.has("prompt") else { throw .invalid("prompt is required", param: "prompt") }
            if let s = f.object["prompt"] as? String {
                text = s
            } else if let a = f.object["prompt"] as? [String] {
                guard a.count == 1 else { throw .invalid("send one prompt per request (got \(a.count))", param: "prompt") }
                text = a[0]
            } else if let ids = try? f.ints("prompt") {
                guard !ids.isEmpty else { throw .invalid("prompt is empty", param: "prompt") }
                let vocabulary = tokenizer.tokenizer.vocabulary.count
                if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                    throw .invalid("prompt token \(bad) is outside the vocabulary (0..<\(vocabulary))", param: "prompt")
                }
                let tokens = ids.map(Int32.init)
                let decoded = tokenizer.tokenizer.decode(tokens)
                return try rest(f, kind: kind, text: decoded, prompt: tokens, question: decoded,
                                configuration: configuration, modelName: modelName, contextLength: contextLength)
            } else {
                throw .invalid("prompt must be a string, an array of one string, or an array of token ids", param: "prompt")
            }
            prompt = try tokenize(text, param: "prompt")
            question = text
        case .chat:
            guard let raw = f.object["messages"] else { throw .invalid("messages is required", param: "messages") }
            guard let list = raw as? [Any], !list.isEmpty else { throw .invalid("messages must be a non-empty array", param: "messages") }
            var messages: [ChatMessage] = []
            for (i, item) in list.enumerated() {
                guard let m = item as? [String: Any] else { throw .invalid("messages[\(i)] must be an object", param: "messages[\(i)]") }
                guard let role = m["role"] as? String, ["system", "user", "assistant", "developer"].contains(role) else {
                    throw .invalid("messages[\(i)].role must be system, developer, user or assistant", param: "messages[\(i)].role")
                }
                let content: String
                if let s = m["content"] as? String {
                    content = s
                } else if let parts = m["content"] as? [[String: Any]] {
                    var pieces: [String] = []
                    for (j, p) in parts.enumerated() {
                        guard p["type"] as? String == "text", let t = p["text"] as? String else {
                            throw .invalid("messages[\(i)].content[\(j)] must be a text part ({\"type\": \"text\", \"text\": …})",
                                           param: "messages[\(i)].content")
                        }
                        pieces.append(t)
                    }
                    content = pieces.joined()
                } else {
                    throw .invalid("messages[\(i)].content must be a string or an array of text parts", param: "messages[\(i)].content")
                }
                messages.append(ChatMessage(role: role == "developer" ? "system" : role, content: content))
            }
            guard let template = tokenizer.chatTemplate else {
                throw .invalid("this model has no chat template; use /v1/completions", param: "messages")
            }
            text = template.render(messages, addGenerationPrompt: true)
            prompt = try tokenize(text, param: "messages")
            question = messages.last(where: { $0.role == "user" })?.content ?? ""
        }
        guard !prompt.isEmpty else { throw .invalid("the prompt has no tokens", param: kind == .chat ? "messages" : "prompt") }
        return try rest(f, kind: kind, text: text, prompt: prompt, question: question,
                        configuration: configuration, modelName: modelName, contextLength: contextLength)
    }

    private static func rest(_ f: JSONFields, kind: RouteKind, text: String, prompt: [Int32], question: String,
                             configuration: ServerConfiguration, modelName: String, contextLength: Int) throws(APIError) -> GenerationRequest {
        if let m = try f.string("model"), !m.isEmpty, m != modelName {
            throw APIError(status: 404, message: "the model \(m) does not exist here; this server serves \(modelName)", type: "invalid_request_error",
                           param: "model", code: "model_not_found")
        }
        let context = min(configuration.context, contextLength)
        guard prompt.count < context else {
            throw .invalid("the prompt has \(prompt.count) tokens; this server's context is \(context)", param: kind == .chat ? "messages" : "prompt",
                           code: "context_length_exceeded")
        }
        let maxKey = kind == .chat && f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens"
        let maxTokens = try f.int(maxKey, in: 1...1_000_000) ?? min(GenerationDefaults.maxTokens, context - prompt.count)
        guard prompt.count + maxTokens <= context else {
            throw .invalid("\(prompt.count) prompt tokens + \(maxKey) \(maxTokens) exceed this server's context of \(context)", param: maxKey,
                           code: "context_length_exceeded")
        }
        var sampling = GenerationDefaults.sampling
        if let t = try f.double("temperature", in: 0...2) { sampling.temperature = Float(t) }
        if let p = try f.double("top_p", in: 0...1) {
            guard p > 0 else { throw .invalid("top_p must be greater than 0", param: "top_p") }
            sampling.topP = Float(p)
        }
        if let k = try f.int("top_k", in: -1...100_000) { sampling.topK = max(0, k) }
        if let m = try f.double("min_p", in: 0...1) { sampling.minP = Float(m) }
        if let r = try f.double("repetition_penalty", in: 0.01...10) { sampling.repetitionPenalty = Float(r) }
        sampling.seed = UInt64(bitPattern: Int64(try f.int("seed", in: Int(Int64.min)...Int(Int64.max)) ?? Int.random(in: 0...Int.max)))
        let n = try f.int("n", in: 1...128) ?? 1
        let bestOf = try f.int("best_of", in: 1...128) ?? n
        guard bestOf >= n else { throw .invalid("best_of (\(bestOf)) must be at least n (\(n))", param: "best_of") }
        let beam = try f.bool("use_beam_search") ?? false
        let stop = try f.strings("stop", limit: 4) ?? []
        let ignoreEOS = try f.bool("ignore_eos") ?? false
        var logprobs: Int?
        switch kind {
        case .completion:
            logprobs = try f.int("logprobs", in: 0...20)
        case .chat:
            if try f.bool("logprobs") == true { logprobs = try f.int("top_logprobs", in: 0...20) ?? 0 }
            else if f.has("top_logprobs") { throw .invalid("top_logprobs needs logprobs: true", param: "top_logprobs") }
        }
        let stream = try f.bool("stream") ?? false
        let includeUsage = try f.object("stream_options")?.bool("include_usage") ?? false
        if (bestOf > n || beam) && stream {
            throw .invalid("best_of and use_beam_search return the best choices at the end; they cannot be streamed", param: beam ? "use_beam_search" : "best_of")
        }
        let searchObject = try f.object("search")
        let search = try searchObject.map { s throws(APIError) in
            try searchConfiguration(s, verifiers: configuration.verifiers, maxTokens: f.has(maxKey) ? maxTokens : nil, sampling: sampling,
                                    explicitSeed: f.has("seed"), temperature: f.has("temperature"))
        }
        if search != nil && (beam || bestOf > n) { throw .invalid("give either search or best_of / use_beam_search", param: "search") }
        if let search, search.width * 2 > configuration.parallel * 8 {
            throw .invalid("search.n \(search.width) is more than this server runs at once (--parallel \(configuration.parallel))", param: "search.n")
        }
        if !beam && search == nil && bestOf > configuration.parallel {
            throw .invalid("\(bestOf > n ? "best_of" : "n") \(bestOf) is more than this server runs at once (--parallel \(configuration.parallel))",
                           param: bestOf > n ? "best_of" : "n")
        }
        if beam && 2 * bestOf > configuration.parallel {
            throw .invalid("use_beam_search with width \(bestOf) needs \(2 * bestOf) sequences; this server runs \(configuration.parallel)", param: "n")
        }
        return GenerationRequest(kind: kind, model: modelName, prompt: prompt, question: question, maxTokens: maxTokens, sampling: sampling,
                                 n: n, bestOf: bestOf, beamSearch: beam, stop: stop, ignoreEOS: ignoreEOS, logprobs: logprobs, stream: stream,
                                 includeUsage: includeUsage, search: search, searchPRMName: try searchObject?.string("prm"))
    }

    /// The `search` object: the library's `SearchConfiguration`, from its defaults.
    static func searchConfiguration(_ s: JSONFields, verifiers: ServerVerifiers, maxTokens: Int?, sampling: SamplingParameters, explicitSeed: Bool,
                                    temperature: Bool) throws(APIError) -> SearchConfiguration {
        var c = SearchConfiguration()
        if let name = try s.string("strategy") {
            guard let strategy = SearchStrategy(rawValue: name) else {
                throw .invalid("search.strategy must be one of \(SearchStrategy.allCases.map(\.rawValue).joined(separator: ", "))", param: "search.strategy")
            }
            c.strategy = strategy
        }
        if let n = try s.int("n", in: 1...256) { c.n = n }
        if let w = try s.int("beam_width", in: 1...256) { c.beamWidth = w }
        if let b = try s.int("budget", in: 1...256) { c.budget = b }
        if c.strategy == .auto && c.budget == nil { c.budget = c.n }
        if let d = try s.int("max_depth", in: 1...200) { c.maxDepth = d }
        if let l = try s.int("lookahead", in: 0...16) { c.lookahead = l }
        if let t = try s.double("particle_temperature", in: 0.01...100) { c.particleTemperature = t }
        if let p = try s.double("confidence", in: 0.51...0.999) { c.confidence = p }
        if let w = try s.int("wave", in: 1...256) { c.wave = w }
        if let v = try s.string("vote") {
            guard let vote = AdaptiveVote(rawValue: v) else { throw .invalid("search.vote must be majority or weighted", param: "search.vote") }
            c.vote = vote
        }
        if let p = try s.string("prm") { c.prm = try verifiers.spec(named: p) }
        if let a = try s.string("aggregate") {
            guard let agg = Aggregation(rawValue: a) else { throw .invalid("search.aggregate must be last, min, prod or mean", param: "search.aggregate") }
            c.aggregation = agg
        }
        if let sel = try s.string("select") {
            guard let rule = Selection(rawValue: sel) else { throw .invalid("search.select must be vanilla, weighted, majority or conditional", param: "search.select") }
            c.selection = rule
        }
        if let d = try s.string("delimiter") { c.delimiter = d }
        if let maxTokens { c.maxTokens = maxTokens }
        if explicitSeed { c.sampling.seed = sampling.seed }
        if temperature { c.sampling.temperature = sampling.temperature }
        do { try c.validate() } catch { throw .invalid(String(describing: error), param: "search") }
        return c
    }
}
