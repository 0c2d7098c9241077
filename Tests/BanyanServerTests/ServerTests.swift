import Banyan
import BanyanServer
import BanyanTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every route, error and the SSE framing, through the router with the engine loop running on the real model.
@Suite(.serialized) struct ServerTests {
    static func configuration(_ change: (inout ServerConfiguration) -> Void = { _ in }) throws -> ServerConfiguration {
        var c = ServerConfiguration()
        c.model = try TestModel.path()
        c.parallel = 8
        c.context = 1024
        change(&c)
        return c
    }

    /// Runs `body` against a fresh server whose model has loaded.
    static func withServer(_ c: ServerConfiguration, _ body: @escaping @Sendable (BanyanServer, any TestClientProtocol) async throws -> Void) async throws {
        let server = BanyanServer(c)
        try await server.application().test(.router) { client in
            try await server.waitUntilReady()
            try await body(server, client)
        }
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> (Int, [String: Any], String) {
        try await client.execute(uri: uri, method: .post, headers: headers.isEmpty ? [.contentType: "application/json"] : headers,
                                 body: ByteBuffer(string: body)) { r in
            let text = String(buffer: r.body)
            let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (Int(r.status.code), json, text)
        }
    }

    static func events(_ text: String) -> [[String: Any]] {
        text.components(separatedBy: "\n\n").compactMap { frame in
            guard frame.hasPrefix("data: "), !frame.hasPrefix("data: [DONE]") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(frame.dropFirst(6).utf8))) as? [String: Any]
        }
    }

    @Test func healthModelsTokenizeAndDetokenize() async throws {
        let tok = try TestModel.tokenizer().tokenizer
        try await Self.withServer(try Self.configuration()) { _, client in
            try await client.execute(uri: "/health", method: .get) { r in
                #expect(r.status == .ok && String(buffer: r.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/v1/models", method: .get) { r in
                let json = try JSONSerialization.jsonObject(with: Data(String(buffer: r.body).utf8)) as? [String: Any]
                let data = json?["data"] as? [[String: Any]]
                #expect(json?["object"] as? String == "list" && data?.first?["id"] as? String == "SmolLM2-135M-Instruct.Q4_1.gguf")
            }
            let text = "<|im_start|>user\nHello, wörld! 12+34<|im_end|>"
            let (status, json, _) = try await Self.post(client, "/tokenize", #"{"content": "<|im_start|>user\nHello, wörld! 12+34<|im_end|>"}"#)
            let ids = (json["tokens"] as? [Int])?.map(Int32.init)
            #expect(status == 200 && ids == tok.encode(text), "ids exactly as banyan tokenize gives them")
            let (s2, back, _) = try await Self.post(client, "/detokenize", "{\"tokens\": \(ids!.map(Int.init))}")
            #expect(s2 == 200 && back["content"] as? String == text)
            let (s3, err, _) = try await Self.post(client, "/detokenize", #"{"tokens": [1, 999999]}"#)
            #expect(s3 == 400 && (err["error"] as? [String: Any])?["param"] as? String == "tokens")
        }
    }

    @Test func healthIsUnavailableWhileLoading() async throws {
        let server = BanyanServer(try Self.configuration())
        // Without the service running the model never loads: the state every request sees while loading.
        let router = Router(context: BasicRequestContext.self)
        _ = router
        try await server.application().test(.router) { client in
            // The loop starts with the service; the first moments it may still be loading, then ok.
            var sawReady = false
            for _ in 0..<400 {
                let status = try await client.execute(uri: "/health", method: .get) { r in (r.status.code, String(buffer: r.body), r.headers[.retryAfter]) }
                if status.0 == 503 {
                    #expect(status.1.contains("\"error\"") && status.2 == "1", "503 with an error body and Retry-After while loading")
                } else {
                    #expect(status.0 == 200)
                    sawReady = true
                    break
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(sawReady)
        }
    }

    /// A greedy completion equals the library's own generation from the same tokens (the same engine step
    /// results whatever else is batched), and usage counts what was computed.
    @Test func completionEqualsTheLibraryAndCountsUsage() async throws {
        let lm = try LanguageModel(model: TestModel.model(), tokenizer: TestModel.tokenizer(), path: TestModel.path())
        let expected = try lm.generate("The capital of France is", chat: false, maxTokens: 12, sampling: .greedy)
        try await Self.withServer(try Self.configuration()) { _, client in
            let (status, json, text) = try await Self.post(client, "/v1/completions",
                                                           #"{"prompt": "The capital of France is", "max_tokens": 12, "temperature": 0}"#)
            #expect(status == 200, "\(text)")
            let choice = (json["choices"] as? [[String: Any]])?.first
            #expect(choice?["text"] as? String == expected.text)
            #expect(json["object"] as? String == "text_completion" && (json["id"] as? String)?.hasPrefix("cmpl-") == true)
            let usage = json["usage"] as? [String: Any]
            #expect(usage?["prompt_tokens"] as? Int == lm.tokenizer.tokenizer.encode("The capital of France is").count)
            #expect(usage?["completion_tokens"] as? Int == expected.tokens.count + (expected.stopReason == .endOfGeneration ? 0 : 0))
            #expect(choice?["finish_reason"] as? String == (expected.stopReason == .maxTokens ? "length" : "stop"))
        }
    }

    @Test func sameSeedSameTextAndNChoicesShareOnePrefill() async throws {
        try await Self.withServer(try Self.configuration()) { server, client in
            let body = #"{"messages": [{"role": "user", "content": "Name a colour."}], "max_tokens": 10, "seed": 7, "n": 3}"#
            let (s1, a, _) = try await Self.post(client, "/v1/chat/completions", body)
            let (s2, b, _) = try await Self.post(client, "/v1/chat/completions", body)
            #expect(s1 == 200 && s2 == 200)
            let texts = { (j: [String: Any]) in (j["choices"] as? [[String: Any]] ?? []).map { ($0["message"] as? [String: Any])?["content"] as? String ?? "?" } }
            #expect(texts(a) == texts(b) && texts(a).count == 3, "same seed, same choices")
            #expect((a["choices"] as? [[String: Any]])?.map { $0["index"] as? Int } == [0, 1, 2])
            #expect(a["object"] as? String == "chat.completion")
            let usage = a["usage"] as? [String: Any]
            #expect((usage?["prompt_tokens"] as? Int ?? 0) < 40, "the prompt is counted once for three choices")
            // The second identical request found the whole prompt but its last token in the prefix cache.
            let cached = ((b["usage"] as? [String: Any])?["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int
            #expect(cached == (usage?["prompt_tokens"] as? Int).map { $0 - 1 })
        }
    }

    /// SSE framing as OpenAI's client reads it: the first chat chunk per choice carries the role, one id
    /// throughout, each choice's last chunk its finish_reason, then usage (asked for) and [DONE].
    @Test func streamingFramesAsOpenAIClientsExpect() async throws {
        try await Self.withServer(try Self.configuration()) { _, client in
            let body = #"{"messages": [{"role": "user", "content": "Count to five."}], "max_tokens": 12, "stream": true, "n": 2, "seed": 1, "stream_options": {"include_usage": true}}"#
            let (status, _, text) = try await Self.post(client, "/v1/chat/completions", body)
            #expect(status == 200)
            #expect(text.hasSuffix("data: [DONE]\n\n"))
            let chunks = Self.events(text)
            #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1, "one id for every chunk")
            for c in 0..<2 {
                let mine = chunks.filter { ($0["choices"] as? [[String: Any]])?.first?["index"] as? Int == c }
                let first = (mine.first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
                #expect(first?["role"] as? String == "assistant")
                let last = (mine.last?["choices"] as? [[String: Any]])?.first
                #expect(["stop", "length"].contains(last?["finish_reason"] as? String ?? ""), "the last chunk of choice \(c) finishes it")
                #expect(mine.dropLast().allSatisfy { (($0["choices"] as? [[String: Any]])?.first?["finish_reason"]) is NSNull })
            }
            let usageChunk = chunks.last
            #expect((usageChunk?["choices"] as? [Any])?.isEmpty == true && usageChunk?["usage"] is [String: Any])
            let completion = (usageChunk?["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? 0
            #expect(completion > 0 && completion <= 24)
        }
    }

    @Test func badRequestsGetOpenAIErrors() async throws {
        try await Self.withServer(try Self.configuration { $0.context = 64 }) { _, client in
            let cases: [(String, String, String?)] = [
                ("/v1/chat/completions", "{not json", nil),
                ("/v1/chat/completions", #"{"model": "x"}"#, "messages"),
                ("/v1/chat/completions", #"{"messages": []}"#, "messages"),
                ("/v1/chat/completions", #"{"messages": [{"role": "wizard", "content": "hi"}]}"#, "messages[0].role"),
                ("/v1/completions", #"{"prompt": "hi", "temperature": "hot"}"#, "temperature"),
                ("/v1/completions", #"{"prompt": "hi", "n": 0}"#, "n"),
                ("/v1/completions", #"{"prompt": "hi", "max_tokens": 1.5}"#, "max_tokens"),
                ("/v1/completions", #"{"prompt": "hi", "stream": "yes"}"#, "stream"),
                ("/v1/completions", #"{"prompt": "hi", "best_of": 2, "stream": true}"#, "best_of"),
                ("/v1/completions", #"{"prompt": "hi", "search": {"strategy": "mcts"}}"#, "search.strategy"),
                ("/v1/completions", #"{"prompt": "hi", "search": {"strategy": "adaptive", "vote": "loudest"}}"#, "search.vote"),
                ("/v1/completions", #"{"prompt": "hi", "search": {"prm": "token:x.gguf"}}"#, "search.prm"),
                ("/v1/completions", #"{"prompt": "hi", "search": {"prm": "checker*verifier"}}"#, "search.prm"),
                ("/v1/completions", #"{"prompt": "hi", "search": {"prm": "head*self"}}"#, "search.prm"),
                ("/v1/completions", #"{"prompt": "hi", "search": {"strategy": "beam", "n": 6, "beam_width": 4}}"#, "search"),
                ("/v1/completions", #"{"prompt": [1, 2, -3]}"#, "prompt"),
                ("/v1/completions", "{\"prompt\": \"\(String(repeating: "word ", count: 100))\"}", "prompt"),
                ("/v1/completions", #"{"prompt": "hi", "max_tokens": 100}"#, "max_tokens"),
                ("/v1/completions", #"{}"#, "prompt"),
            ]
            for (uri, body, param) in cases {
                let (status, json, text) = try await Self.post(client, uri, body)
                let error = json["error"] as? [String: Any]
                #expect(status == 400, "\(body) → \(status) \(text)")
                #expect(error?["message"] is String && error?["type"] as? String == "invalid_request_error", "\(text)")
                #expect((error?["param"] as? String) == param, "\(body): param \(String(describing: error?["param"]))")
            }
            let (s, j, _) = try await Self.post(client, "/v1/completions", #"{"prompt": "hi", "model": "gpt-5"}"#)
            #expect(s == 404 && ((j["error"] as? [String: Any])?["code"] as? String) == "model_not_found")
        }
    }

    @Test func apiKeyQueueAndPoolLimitsAnswerWithoutChangingAnything() async throws {
        try await Self.withServer(try Self.configuration { $0.apiKey = "sekrit" }) { _, client in
            let (s1, j1, _) = try await Self.post(client, "/v1/completions", #"{"prompt": "hi", "max_tokens": 2}"#)
            #expect(s1 == 401 && ((j1["error"] as? [String: Any])?["type"] as? String) == "authentication_error")
            let (s2, _, _) = try await Self.post(client, "/v1/completions", #"{"prompt": "hi", "max_tokens": 2}"#,
                                                 headers: [.contentType: "application/json", .authorization: "Bearer sekrit"])
            #expect(s2 == 200)
            try await client.execute(uri: "/health", method: .get) { r in #expect(r.status == .ok, "health needs no key") }
        }
        try await Self.withServer(try Self.configuration { $0.queueLimit = 0 }) { _, client in
            let status = try await client.execute(uri: "/v1/completions", method: .post, body: ByteBuffer(string: #"{"prompt": "hi"}"#)) { r in
                (r.status.code, r.headers[.retryAfter])
            }
            #expect(status.0 == 429 && status.1 == "1", "a full queue is 429 with Retry-After")
        }
        // A pool of 4 pages (64 tokens) cannot hold 40 prompt tokens + 40 new ones: 503, and the server stays sound.
        try await Self.withServer(try Self.configuration { $0.kvTokens = 64; $0.context = 1024 }) { server, client in
            let prompt = String(repeating: "tree ", count: 38)
            let status = try await client.execute(uri: "/v1/completions", method: .post,
                                                  body: ByteBuffer(string: "{\"prompt\": \"\(prompt)\", \"max_tokens\": 40}")) { r in (r.status.code, r.headers[.retryAfter]) }
            #expect(status.0 == 503 && status.1 == "1")
            let (s, _, _) = try await Self.post(client, "/v1/completions", #"{"prompt": "hi", "max_tokens": 4}"#)
            #expect(s == 200, "a request that fits still runs")
        }
    }

    /// Search over the API: the library's search answers, with ranked choices and their scores;
    /// best_of returns the most likely samples; use_beam_search returns its beams.
    @Test func searchBestOfAndBeamSearch() async throws {
        try await Self.withServer(try Self.configuration { $0.parallel = 16 }) { _, client in
            let body = #"{"prompt": "What is 6 + 3 - 4?", "max_tokens": 64, "n": 4, "seed": 0, "search": {"strategy": "beam", "n": 8, "beam_width": 4, "prm": "checker", "select": "weighted"}}"#
            let (status, json, text) = try await Self.post(client, "/v1/completions", body)
            #expect(status == 200, "\(text)")
            let search = json["search"] as? [String: Any]
            let choices = json["choices"] as? [[String: Any]] ?? []
            #expect(search?["strategy"] as? String == "beam" && (search?["tokens_decoded"] as? Int ?? 0) > 0)
            #expect(choices.count == 4 && choices.allSatisfy { $0["score"] is Double })
            let scores = choices.compactMap { $0["score"] as? Double }
            #expect(scores == scores.sorted(by: >), "choices ranked by score")
            // The library, run directly with the same configuration, gives the same answer.
            let lm = try LanguageModel(model: TestModel.model(), tokenizer: TestModel.tokenizer(), path: TestModel.path())
            var c = SearchConfiguration(strategy: .beam, n: 8)
            c.maxTokens = 64
            let direct = try lm.search("What is 6 + 3 - 4?", configuration: c)
            #expect(search?["answer"] as? String == direct.answer(.weighted))

            // The session's new strategies through the same object: particle filtering and adaptive voting.
            for (strategy, vote) in [("particles", AdaptiveVote.majority), ("adaptive", .majority), ("adaptive", .weighted)] {
                let b = #"{"prompt": "What is 6 + 3 - 4?", "max_tokens": 64, "n": 1, "seed": 0, "search": {"strategy": "\#(strategy)", "n": 8, "prm": "checker", "confidence": 0.9, "particle_temperature": 0.5, "vote": "\#(vote.rawValue)"}}"#
                let (st, js, tx) = try await Self.post(client, "/v1/completions", b)
                #expect(st == 200, "\(tx)")
                let answer = (js["search"] as? [String: Any])?["answer"] as? String
                var cs = SearchConfiguration(strategy: strategy == "particles" ? .particles : .adaptive, n: 8)
                (cs.maxTokens, cs.confidence, cs.particleTemperature, cs.vote) = (64, 0.9, 0.5, vote)
                let rule = cs.rule
                #expect((js["search"] as? [String: Any])?["select"] as? String == rule.rawValue)
                let direct = try lm.search("What is 6 + 3 - 4?", configuration: cs)
                #expect(answer == direct.answer(rule), "\(strategy): \(tx) against \(direct.solutions.map(\.answer))")
            }

            let (s2, j2, t2) = try await Self.post(client, "/v1/completions", #"{"prompt": "Trees are", "max_tokens": 8, "n": 2, "best_of": 4, "seed": 3}"#)
            let c2 = j2["choices"] as? [[String: Any]] ?? []
            #expect(s2 == 200 && c2.count == 2, "\(t2)")
            let s = c2.compactMap { $0["score"] as? Double }
            #expect(s.count == 2 && s[0] >= s[1], "best_of returns the most likely samples first")
            #expect((j2["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? 0 > 8, "all four samples were generated")

            let (s3, j3, t3) = try await Self.post(client, "/v1/completions", #"{"prompt": "Trees are", "max_tokens": 6, "n": 2, "use_beam_search": true}"#)
            let c3 = j3["choices"] as? [[String: Any]] ?? []
            #expect(s3 == 200 && c3.count == 2, "\(t3)")
            #expect((c3.first?["score"] as? Double ?? -1e9) >= (c3.last?["score"] as? Double ?? 0))
        }
    }

    /// Logprobs in both shapes, and the metrics add up to the usage the responses returned; after the
    /// requests, the KV pool holds only the prefix cache's pages and the gauges are idle.
    @Test func logprobsMetricsAndNoLeaks() async throws {
        try await Self.withServer(try Self.configuration()) { _, client in
            let (_, a, _) = try await Self.post(client, "/v1/completions", #"{"prompt": "One, two,", "max_tokens": 5, "logprobs": 2, "temperature": 0}"#)
            let lp = ((a["choices"] as? [[String: Any]])?.first?["logprobs"]) as? [String: Any]
            #expect((lp?["tokens"] as? [String])?.count == 5 && (lp?["top_logprobs"] as? [[String: Double]])?.first?.count == 2)
            #expect((lp?["tokens"] as? [String])?.joined() == (a["choices"] as? [[String: Any]])?.first?["text"] as? String)
            let (_, b, _) = try await Self.post(client, "/v1/chat/completions",
                                                #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "logprobs": true, "top_logprobs": 3}"#)
            let content = (((b["choices"] as? [[String: Any]])?.first?["logprobs"]) as? [String: Any])?["content"] as? [[String: Any]]
            #expect(content?.first?["logprob"] is Double && (content?.first?["top_logprobs"] as? [Any])?.count == 3)
            var generated = 0, prompted = 0
            for u in [a, b].compactMap({ $0["usage"] as? [String: Any] }) {
                generated += u["completion_tokens"] as? Int ?? 0
                prompted += u["prompt_tokens"] as? Int ?? 0
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            func value(_ name: String) -> Double? {
                metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) }
            }
            #expect(value("banyan_generation_tokens_total") == Double(generated))
            #expect(value("banyan_prompt_tokens_total") == Double(prompted))
            #expect(metrics.contains("banyan_time_to_first_token_seconds_bucket") && metrics.contains("banyan_inter_token_latency_seconds_bucket"))
            #expect(value("banyan_requests_running") == 0 && value("banyan_requests_waiting") == 0)
            #expect(value("banyan_kv_pages_used") == value("banyan_prefix_cache_pages"), "only cached prompts hold pages:\n\(metrics)")
            #expect(metrics.contains("banyan_kv_cache_usage_ratio") && metrics.contains("banyan_prefix_cache_hits_total"))
        }
    }
}
