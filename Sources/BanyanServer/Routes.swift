import Banyan
import Foundation
import Hummingbird
import NIOCore

/// The HTTP routes: OpenAI's completion, chat and model routes, llama.cpp's tokenize/detokenize and
/// health, and Prometheus metrics.
struct Routes: Sendable {
    let loop: EngineLoop
    let metrics: ServerMetrics
    let configuration: ServerConfiguration

    /// Every route and its methods (the error middleware tells a wrong method from an unknown path).
    static let table: [String: [HTTPRequest.Method]] = [
        "/health": [.get], "/metrics": [.get], "/v1/models": [.get], "/v1/completions": [.post], "/v1/chat/completions": [.post],
        "/tokenize": [.post], "/detokenize": [.post],
    ]

    func add(to router: Router<BasicRequestContext>) {
        router.add(middleware: ErrorMiddleware(routes: Routes.table))
        router.get("/health") { _, _ in health() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/v1/models") { request, _ in answer(request) { loaded in models(loaded) } }
        router.post("/v1/completions") { request, _ in await generate(request, kind: .completion) }
        router.post("/v1/chat/completions") { request, _ in await generate(request, kind: .chat) }
        router.post("/tokenize") { request, _ in
            await answerBody(request) { f, loaded throws(APIError) in
                guard let content = try f.string("content") else { throw .invalid("content is required (a string)", param: "content") }
                let special = try f.bool("add_special") ?? false
                let parseSpecial = try f.bool("parse_special") ?? true
                let ids = try await OffloadedWork.run { loaded.tokenizer.tokenizer.encode(content, parseSpecial: parseSpecial, addSpecial: special) }
                return json(["tokens": ids.map(Int.init)])
            }
        }
        router.post("/detokenize") { request, _ in
            await answerBody(request) { f, loaded throws(APIError) in
                guard let ids = try f.ints("tokens") else { throw .invalid("tokens is required (an array of token ids)", param: "tokens") }
                let vocabulary = loaded.tokenizer.tokenizer.vocabulary.count
                if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                    throw .invalid("token \(bad) is outside the vocabulary (0..<\(vocabulary))", param: "tokens")
                }
                return json(["content": loaded.tokenizer.tokenizer.decode(ids.map(Int32.init))])
            }
        }
    }

    // MARK: plain routes

    func health() -> Response {
        switch loop.status {
        case .ready: return json(["status": "ok"])
        case .loading: return error(.loading())
        case .failed(let why): return error(APIError(status: 500, message: "the model failed to load: \(why)", type: "server_error"))
        case .stopped: return error(.busy("the server stopped"))
        }
    }

    func models(_ loaded: RequestQueue.Loaded) -> Response {
        json(["object": "list", "data": [["id": loaded.modelName, "object": "model", "created": loaded.created, "owned_by": "banyan",
                                          "meta": ["context": min(configuration.context, loaded.contextLength), "parallel": configuration.parallel]]]])
    }

    // MARK: helpers

    func authorized(_ request: Request) -> Bool {
        guard let key = configuration.apiKey else { return true }
        return request.headers[.authorization] == "Bearer \(key)"
    }

    func ready(_ request: Request) throws(APIError) -> RequestQueue.Loaded {
        guard authorized(request) else { throw .unauthorized() }
        guard let loaded = loop.loaded else {
            if case .failed(let why) = loop.status { throw .server("the model failed to load: \(why)") }
            throw .loading()
        }
        return loaded
    }

    func answer(_ request: Request, _ body: (RequestQueue.Loaded) throws(APIError) -> Response) -> Response {
        do { return try body(try ready(request)) } catch let e { return error(e) }
    }

    func answerBody(_ request: Request, _ body: (JSONFields, RequestQueue.Loaded) async throws(APIError) -> Response) async -> Response {
        do throws(APIError) {
            let loaded = try ready(request)
            return try await body(try await fields(request), loaded)
        } catch { return self.error(error) }
    }

    /// The body as JSON fields: at most `--max-body` bytes (else 413), parsed off the cooperative pool.
    func fields(_ request: Request) async throws(APIError) -> JSONFields {
        var request = request
        let limit = configuration.maxBodyBytes
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch let e as HTTPError where e.status == .contentTooLarge {
            throw tooLarge(limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        } catch {
            throw .invalid("the request body could not be read: \(error)")
        }
        let data = Data(buffer.readableBytesView)
        return try await OffloadedWork.run { () throws(APIError) -> JSONFields in try JSONFields(body: data) }
    }

    private func tooLarge(_ limit: Int) -> APIError {
        APIError(status: 413, message: "the request body is larger than this server's limit of \(limit) bytes (--max-body)",
                 type: "invalid_request_error", code: "request_too_large")
    }

    func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response { Routes.json(object, status: status) }
    func error(_ e: APIError) -> Response { Routes.errorResponse(e) }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: ResponseShapes.json(object))))
    }

    static func errorResponse(_ e: APIError) -> Response {
        var response = json(e.json, status: HTTPResponse.Status(code: e.status))
        if let after = e.retryAfter { response.headers[.retryAfter] = String(after) }
        return response
    }

    // MARK: completions and chat

    func generate(_ request: Request, kind: RouteKind) async -> Response {
        let req: GenerationRequest
        let events: AsyncStream<ServerEvent>
        let id: Int
        do throws(APIError) {
            let loaded = try ready(request)
            let f = try await fields(request)
            let configuration = configuration
            req = try await OffloadedWork.run { () throws(APIError) -> GenerationRequest in
                try GenerationRequest.parse(f, kind: kind, loaded: loaded, configuration: configuration)
            }
            (id, events) = try loop.submit(req)
        } catch { return self.error(error) }
        let shapes = ResponseShapes(kind: kind, model: req.model)
        guard req.stream else {
            for await event in events {
                switch event {
                case .completed(let choices, let usage, let search):
                    return json(shapes.complete(choices, usage: usage, logprobs: req.logprobs != nil, search: search))
                case .failed(let e): return error(e)
                case .text, .finished: continue
                }
            }
            return error(.server("the request ended without an answer"))
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
            do {
                try await stream(events, request: req, shapes: shapes, writer: &writer)
                try await writer.finish(nil)
            } catch {
                loop.cancel(id)  // the client went away: free its sequences now
                throw error
            }
        })
    }

    /// Server-sent events: each chat choice's first chunk carries the role; every chunk has the same id;
    /// each choice's last chunk carries its finish_reason; usage (if asked) in a last chunk with no
    /// choices; then `data: [DONE]`. Searches send `: searching` comments until their answer is ready.
    func stream(_ events: AsyncStream<ServerEvent>, request req: GenerationRequest, shapes: ResponseShapes,
                writer: inout any ResponseBodyWriter) async throws {
        func send(_ text: String) async throws { try await writer.write(ByteBuffer(string: text)) }
        if req.kind == .chat {
            for c in 0..<req.n { try await send(ResponseShapes.event(shapes.chunk(choice: c, role: true, includeUsage: req.includeUsage))) }
        }
        var offsets = [Int](repeating: 0, count: req.n)
        let ticks = req.search != nil ? AsyncStream<ServerEvent?> { continuation in
            let task = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    continuation.yield(nil)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        } : nil
        let merged = AsyncStream<ServerEvent?> { continuation in
            let forward = Task {
                for await e in events { continuation.yield(e) }
                continuation.finish()
            }
            let tick = Task { if let ticks { for await t in ticks { continuation.yield(t) } } }
            continuation.onTermination = { _ in forward.cancel(); tick.cancel() }
        }
        for await event in merged {
            guard let event else {
                try await send(": searching\n\n")
                continue
            }
            switch event {
            case .text(let choice, let text, let logprobs):
                try await send(ResponseShapes.event(shapes.chunk(choice: choice, text: text, logprobs: req.logprobs != nil ? logprobs : nil,
                                                                offset: offsets[choice], includeUsage: req.includeUsage)))
                offsets[choice] += text.count
            case .finished(let choice, let reason):
                try await send(ResponseShapes.event(shapes.chunk(choice: choice, finish: reason, includeUsage: req.includeUsage)))
            case .completed(let choices, let usage, let search):
                if req.search != nil {
                    // The search's answer, whole, once it ends; the summary rides on the last chunk.
                    for c in choices {
                        try await send(ResponseShapes.event(shapes.chunk(choice: c.index, text: c.text, includeUsage: req.includeUsage)))
                        var last = shapes.chunk(choice: c.index, finish: c.finishReason, includeUsage: req.includeUsage)
                        if var list = last["choices"] as? [[String: Any]] {
                            list[0]["score"] = c.score as Any
                            list[0]["answer"] = c.answer as Any
                            last["choices"] = list
                        }
                        if c.index == choices.count - 1, let search { last["search"] = search }
                        try await send(ResponseShapes.event(last))
                    }
                }
                if req.includeUsage { try await send(ResponseShapes.event(shapes.usageChunk(usage))) }
                try await send("data: [DONE]\n\n")
                return
            case .failed(let e):
                try await send(ResponseShapes.event(e.json))
                try await send("data: [DONE]\n\n")
                return
            }
        }
    }
}
