import Hummingbird

/// Answers what no route handles as OpenAI's API does: an unknown path is a 404 and a known path with the
/// wrong method a 405 (with `Allow`), each with the error JSON, never an empty body.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Every route's path and its methods.
    let routes: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            if let methods = routes[path], !methods.contains(request.method) {
                let allowed = methods.map(\.rawValue).joined(separator: ", ")
                var response = Routes.errorResponse(APIError(status: 405, message: "\(path) takes \(allowed), not \(request.method.rawValue)",
                                                             type: "invalid_request_error", code: "method_not_allowed"))
                response.headers[.allow] = allowed
                return response
            }
            return Routes.errorResponse(.notFound("there is no route \(request.method.rawValue) \(path); see GET /v1/models, POST /v1/completions, "
                                                  + "POST /v1/chat/completions, POST /tokenize, POST /detokenize, GET /health, GET /metrics"))
        }
    }
}
