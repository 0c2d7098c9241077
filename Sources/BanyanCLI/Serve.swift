import ArgumentParser
import Banyan
import BanyanServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the model over an OpenAI-compatible HTTP API, with n, best_of, beam search and PRM search.",
        discussion: """
        Routes: GET /health, /v1/models, /metrics (Prometheus); POST /v1/completions, /v1/chat/completions (stream, n, \
        best_of, use_beam_search, logprobs, stop, seed, and a "search" object: {"strategy", "n", "beam_width", "prm", "select"}), \
        /tokenize, /detokenize. Every running request advances in the same engine step; prompts that begin like a recent one \
        fork its cached pages. SIGTERM or SIGINT: stop accepting, let running requests finish (a few seconds), exit.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "Address to listen on.") var host = ServerConfiguration().host
    @Option(help: "Port to listen on.") var port = ServerConfiguration().port
    @Option(help: "Sequences (choices of all requests) advanced together; more requests wait.") var parallel = ServerConfiguration().parallel
    @Option(help: "Most tokens per request (prompt + max_tokens).") var ctx = ServerConfiguration().context
    @Option(name: .customLong("queue"), help: "Requests that may wait; more are answered 429.") var queue = ServerConfiguration().queueLimit
    @Option(name: .customLong("kv-tokens"), help: "KV tokens to reserve (default: parallel × ctx plus the prefix cache).") var kvTokens: Int?
    @Option(name: .customLong("prefix-cache"), help: "Prompts kept for reuse (0: off).") var prefixCache = ServerConfiguration().prefixCacheEntries
    @Option(name: .customLong("api-key"), help: "Require Authorization: Bearer KEY (all routes but /health and /metrics).") var apiKey: String?
    @Option(help: "Threads (default: all cores).") var threads: Int?

    func validate() throws {
        guard (1...65535).contains(port), (1...1024).contains(parallel), ctx >= 16, queue >= 0, prefixCache >= 0 else {
            throw ValidationError("--port 1…65535, --parallel 1…1024, --ctx ≥ 16, --queue and --prefix-cache ≥ 0")
        }
        if let kvTokens, kvTokens < ctx { throw ValidationError("--kv-tokens must hold at least one full request (--ctx \(ctx))") }
    }

    func run() async throws {
        var c = ServerConfiguration()
        (c.model, c.host, c.port, c.parallel, c.context, c.queueLimit) = (model.model, host, port, parallel, ctx, queue)
        (c.kvTokens, c.prefixCacheEntries, c.apiKey, c.threads) = (kvTokens, prefixCache, apiKey, threads)
        Terminal.status("banyan serve on http://\(host):\(port) (parallel \(parallel), ctx \(ctx)); loading the model…")
        try await BanyanServer(c).run()
    }
}
