import Foundation

/// The body fields each route understands. A field of OpenAI's API that this server does not implement is
/// refused with a 400 naming it (unless it asks for the neutral default, as clients often send), and so is
/// a field no API defines: nothing a client asks for is silently ignored.
enum RequestFields {
    /// Fields read by both generation routes.
    static let common: Set = ["model", "max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "seed", "n", "best_of",
                              "use_beam_search", "stop", "ignore_eos", "logprobs", "stream", "stream_options", "search", "user"]
    static let completion: Set = common.union(["prompt"])
    static let chat: Set = common.union(["messages", "max_completion_tokens", "top_logprobs"])

    /// OpenAI fields not implemented here, with the value that means "off" (accepted), if there is one.
    static let unimplemented: [String: Any?] = [
        "frequency_penalty": 0, "presence_penalty": 0, "logit_bias": [String: Any](), "echo": false, "suffix": nil,
        "response_format": nil, "tools": nil, "tool_choice": nil, "functions": nil, "function_call": nil, "parallel_tool_calls": nil,
        "audio": nil, "modalities": nil, "prediction": nil, "reasoning_effort": nil, "service_tier": nil, "store": false,
        "metadata": nil, "web_search_options": nil,
    ]

    /// Refuses the first field (in name order) that the route does not implement.
    static func check(_ f: JSONFields, kind: RouteKind, supported extra: Set<String> = []) throws(APIError) {
        let known = (kind == .chat ? chat : completion).union(extra)
        for key in f.object.keys.sorted() where !known.contains(key) {
            let value = f.object[key]
            if let entry = unimplemented[key] {
                if value is NSNull || isNeutral(value, entry) { continue }
                throw .invalid("\(key) is not supported by this server; remove it from the request", param: key, code: "unsupported_parameter")
            }
            throw .invalid("unknown field \(key); this route takes \(known.sorted().joined(separator: ", "))", param: key, code: "unknown_parameter")
        }
    }

    private static func isNeutral(_ value: Any?, _ neutral: Any?) -> Bool {
        switch (value, neutral) {
        case (let v as NSNumber, let n as Int): return !JSONFields.isBoolean(v) && v.doubleValue == Double(n)
        case (let v as NSNumber, let n as Bool): return JSONFields.isBoolean(v) && v.boolValue == n
        case (let v as [String: Any], _ as [String: Any]): return v.isEmpty
        default: return false
        }
    }
}
