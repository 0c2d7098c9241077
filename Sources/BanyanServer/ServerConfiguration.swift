import Banyan
import Foundation

/// How `banyan serve` runs: where it listens, how much it serves at once, and what it serves.
public struct ServerConfiguration: Sendable {
    /// The model file or checkpoint directory (nil: `$BANYAN_MODEL`, else the default model).
    public var model: String?
    public var host = "127.0.0.1"
    public var port = 8080
    /// Sequences (choices of all running requests) advanced together in one engine step.
    public var parallel = 16
    /// Most tokens one request may hold: prompt plus `max_tokens`.
    public var context = 4096
    /// Requests that may wait for room; more are answered 429.
    public var queueLimit = 64
    /// KV tokens the engine reserves (address space, committed only when written); nil: enough for every
    /// parallel sequence at full context, plus the prefix cache.
    public var kvTokens: Int?
    /// Prompts kept in the prefix cache (least recently used evicted first); 0 turns it off.
    public var prefixCacheEntries = 32
    /// Bearer token required on every route but /health and /metrics (nil: none).
    public var apiKey: String?
    public var threads: Int?
    /// Seconds running requests get to finish after SIGTERM/SIGINT before they are cancelled.
    public var drainSeconds = 3.0
    /// The name `/v1/models` reports (default: the model file's name).
    public var modelName: String?
    /// Largest request body accepted, in bytes; a larger one is answered 413.
    public var maxBodyBytes = 8 << 20
    /// The verifiers searches may name (`--prm NAME=SPEC`), beside the file-free built-in ones.
    public var verifiers = ServerVerifiers()

    public init() {}

    /// The defaults with `BANYAN_HOST`, `BANYAN_PORT`, `BANYAN_API_KEY` and `BANYAN_THREADS` applied; a value
    /// that does not parse is an error naming the variable.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ServerConfigurationError) -> ServerConfiguration {
        var c = ServerConfiguration()
        if let host = environment["BANYAN_HOST"], !host.isEmpty { c.host = host }
        if let port = environment["BANYAN_PORT"], !port.isEmpty {
            guard let p = Int(port), (1...65535).contains(p) else { throw .badEnvironment("BANYAN_PORT", port, "a port 1…65535") }
            c.port = p
        }
        if let key = environment["BANYAN_API_KEY"], !key.isEmpty { c.apiKey = key }
        if let threads = environment["BANYAN_THREADS"], !threads.isEmpty {
            guard let t = Int(threads), t >= 1 else { throw .badEnvironment("BANYAN_THREADS", threads, "a number of threads ≥ 1") }
            c.threads = t
        }
        return c
    }

    var kvCapacity: Int { kvTokens ?? (parallel * context + max(prefixCacheEntries, 1) * context) }
}
