import Foundation

/// An error as OpenAI's API answers it: `{"error": {"message", "type", "param", "code"}}` with a status.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Seconds after which a retry may succeed (429 and 503 answers).
    public var retryAfter: Int?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func unauthorized() -> APIError {
        APIError(status: 401, message: "a valid API key is required: send Authorization: Bearer KEY", type: "authentication_error",
                 code: "invalid_api_key")
    }

    public static func notFound(_ what: String) -> APIError { APIError(status: 404, message: what, type: "not_found_error") }

    public static func busy(_ message: String, status: Int = 503) -> APIError {
        APIError(status: status, message: message, type: status == 429 ? "rate_limit_error" : "unavailable_error",
                 code: status == 429 ? "rate_limit_exceeded" : "server_busy", retryAfter: 1)
    }

    public static func loading() -> APIError {
        APIError(status: 503, message: "the model is loading", type: "unavailable_error", code: "loading", retryAfter: 1)
    }

    public static func server(_ message: String) -> APIError { APIError(status: 500, message: message, type: "server_error") }

    public var description: String { "\(status) \(type): \(message)" }

    public var json: [String: Any] {
        ["error": ["message": message, "type": type, "param": param as Any, "code": code as Any]]
    }
}
