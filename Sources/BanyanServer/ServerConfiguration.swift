import Banyan

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

    public init() {}

    var kvCapacity: Int { kvTokens ?? (parallel * context + max(prefixCacheEntries, 1) * context) }
}
