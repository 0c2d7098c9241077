import Foundation

/// The JSON bodies of OpenAI's completion and chat responses, whole and as stream chunks.
struct ResponseShapes {
    let kind: RouteKind
    let id: String
    let created: Int
    let model: String

    init(kind: RouteKind, model: String) {
        self.kind = kind
        self.model = model
        created = Int(Date().timeIntervalSince1970)
        id = (kind == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }

    var object: String { kind == .chat ? "chat.completion" : "text_completion" }
    var chunkObject: String { kind == .chat ? "chat.completion.chunk" : "text_completion" }

    func usage(_ u: Usage) -> [String: Any] {
        ["prompt_tokens": u.promptTokens, "completion_tokens": u.completionTokens, "total_tokens": u.promptTokens + u.completionTokens,
         "prompt_tokens_details": ["cached_tokens": u.cachedTokens]]
    }

    /// Log-probabilities in the route's shape (`top` asked for: the number of alternatives).
    func logprobs(_ entries: [TokenLogprob], offset: Int = 0) -> [String: Any] {
        switch kind {
        case .chat:
            return ["content": entries.map { e -> [String: Any] in
                ["token": e.token, "logprob": e.logprob, "bytes": e.bytes.map(Int.init),
                 "top_logprobs": e.top.map { ["token": $0.token, "logprob": $0.logprob, "bytes": $0.bytes.map(Int.init)] }]
            }]
        case .completion:
            var offsets: [Int] = []
            var at = offset
            for e in entries { offsets.append(at); at += e.token.count }
            return ["tokens": entries.map(\.token), "token_logprobs": entries.map(\.logprob),
                    "top_logprobs": entries.map { e in Dictionary(e.top.map { ($0.token, $0.logprob) }) { a, _ in a } },
                    "text_offset": offsets]
        }
    }

    /// A whole response.
    func complete(_ choices: [FinishedChoice], usage u: Usage, logprobs wanted: Bool, search: [String: Any]?) -> [String: Any] {
        var body: [String: Any] = ["id": id, "object": object, "created": created, "model": model, "usage": usage(u)]
        body["choices"] = choices.map { c -> [String: Any] in
            var choice: [String: Any] = ["index": c.index, "finish_reason": c.finishReason,
                                         "logprobs": wanted ? logprobs(c.logprobs) : NSNull()]
            if kind == .chat { choice["message"] = ["role": "assistant", "content": c.text] } else { choice["text"] = c.text }
            if let score = c.score { choice["score"] = score }
            if search != nil { choice["answer"] = c.answer as Any }
            return choice
        }
        if let search { body["search"] = search }
        return body
    }

    /// A stream chunk for one choice: text (a delta), the first chat chunk's role, or the end.
    func chunk(choice: Int, text: String? = nil, role: Bool = false, finish: String? = nil, logprobs entries: [TokenLogprob]? = nil,
               offset: Int = 0, includeUsage: Bool) -> [String: Any] {
        var c: [String: Any] = ["index": choice, "finish_reason": finish ?? NSNull(),
                                "logprobs": entries.map { logprobs($0, offset: offset) } ?? NSNull()]
        if kind == .chat {
            var delta: [String: Any] = [:]
            if role { delta["role"] = "assistant"; delta["content"] = "" }
            if let text { delta["content"] = text }
            c["delta"] = delta
        } else {
            c["text"] = text ?? ""
        }
        var body: [String: Any] = ["id": id, "object": chunkObject, "created": created, "model": model, "choices": [c]]
        if includeUsage { body["usage"] = NSNull() }
        return body
    }

    /// The last chunk when the client asked for usage: no choices.
    func usageChunk(_ u: Usage) -> [String: Any] {
        ["id": id, "object": chunkObject, "created": created, "model": model, "choices": [Any](), "usage": usage(u)]
    }

    static func json(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func event(_ object: Any) -> String { "data: " + json(object) + "\n\n" }
}
