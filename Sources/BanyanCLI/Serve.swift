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
        Every error is OpenAI's error JSON; fields the server does not implement are refused with a 400 naming them.

        Example:
          banyan serve --port 8080 --parallel 8 --prm mine=head:heads/mine.safetensors
          curl -s localhost:8080/v1/chat/completions -d '{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 16}'
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "Address to listen on (default: $BANYAN_HOST, else 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default: $BANYAN_PORT, else 8080).") var port: Int?
    @Option(help: "Sequences (choices of all requests) advanced together; more requests wait.") var parallel = ServerConfiguration().parallel
    @Option(help: "Most tokens per request (prompt + max_tokens).") var ctx = ServerConfiguration().context
    @Option(name: .customLong("queue"), help: "Requests that may wait; more are answered 429.") var queue = ServerConfiguration().queueLimit
    @Option(name: .customLong("kv-tokens"), help: "KV tokens to reserve (default: parallel × ctx plus the prefix cache).") var kvTokens: Int?
    @Option(name: .customLong("prefix-cache"), help: "Prompts kept for reuse (0: off).") var prefixCache = ServerConfiguration().prefixCacheEntries
    @Option(name: .customLong("api-key"), help: "Require Authorization: Bearer KEY on all routes but /health and /metrics (default: $BANYAN_API_KEY).")
    var apiKey: String?
    @Option(help: "Threads (default: $BANYAN_THREADS, else all cores).") var threads: Int?
    @Option(name: .customLong("max-body"), help: "Largest request body in bytes; larger ones are answered 413.")
    var maxBody = ServerConfiguration().maxBodyBytes
    @Option(name: .customLong("prm"), help: ArgumentHelp(
        "A verifier searches may name, as NAME=SPEC (repeatable), e.g. mine=head:heads/mine.safetensors.",
        discussion: "Requests name verifiers, never files: the file-free ones (\(ServerVerifiers.builtIn.joined(separator: ", ")), products as head*checker) and those named here."))
    var verifiers: [String] = []

    func validate() throws {
        guard (1...65535).contains(port ?? 8080), (1...1024).contains(parallel), ctx >= 16, queue >= 0, prefixCache >= 0 else {
            throw ValidationError("--port 1…65535, --parallel 1…1024, --ctx ≥ 16, --queue and --prefix-cache ≥ 0")
        }
        if let kvTokens, kvTokens < ctx { throw ValidationError("--kv-tokens must hold at least one full request (--ctx \(ctx))") }
        guard maxBody >= 1024 else { throw ValidationError("--max-body must be at least 1024 bytes") }
        _ = try serverVerifiers()
    }

    func serverVerifiers() throws -> ServerVerifiers {
        var v = ServerVerifiers()
        do { for argument in verifiers { try v.add(argument) } } catch { throw ValidationError(error.description) }
        return v
    }

    func run() async throws {
        var c: ServerConfiguration
        do { c = try ServerConfiguration.fromEnvironment() } catch { throw ValidationError(error.description) }
        (c.model, c.parallel, c.context, c.queueLimit) = (model.model, parallel, ctx, queue)
        (c.kvTokens, c.prefixCacheEntries) = (kvTokens, prefixCache)
        if let host { c.host = host }
        if let port { c.port = port }
        if let apiKey { c.apiKey = apiKey }
        if let threads { c.threads = threads }
        (c.maxBodyBytes, c.verifiers) = (maxBody, try serverVerifiers())
        Terminal.status("banyan serve on http://\(c.host):\(c.port) (parallel \(parallel), ctx \(ctx)); loading the model…")
        try await BanyanServer(c).run()
    }
}
