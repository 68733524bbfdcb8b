import HTTPServer

/// An error answered as OpenAI does: a status and `{"error":{"message","type","code"}}`.
public struct APIError: Error, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var code: String
    /// Seconds for `Retry-After` (503).
    public var retryAfter: Int?
    /// Extra headers (`Allow`, `WWW-Authenticate`).
    public var headers: [String: String] = [:]

    public var description: String { message }

    public init(status: Int, message: String, type: String = "invalid_request_error", code: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.retryAfter = retryAfter
    }

    static func badRequest(_ message: String, code: String = "invalid_request") -> APIError {
        APIError(status: 400, message: message, code: code)
    }

    static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(status: 404, message: message, code: code)
    }

    static func modelNotFound(_ model: String, available: [String]) -> APIError {
        APIError(status: 404, message: "The model '\(model)' does not exist here; use \(available.map { "'\($0)'" }.joined(separator: " or "))",
                 code: "model_not_found")
    }

    static func methodNotAllowed(_ method: String, allowed: [String]) -> APIError {
        var error = APIError(status: 405, message: "\(method) is not allowed here (allowed: \(allowed.joined(separator: ", ")))",
                             code: "method_not_allowed")
        error.headers["Allow"] = allowed.joined(separator: ", ")
        return error
    }

    static func unauthorized(scheme: String) -> APIError {
        var error = APIError(status: 401, message: "missing or wrong token: send 'Authorization: Bearer TOKEN'",
                             type: "authentication_error", code: "invalid_token")
        error.headers["WWW-Authenticate"] = scheme == "Basic" ? "Basic realm=\"rag\", charset=\"UTF-8\"" : "Bearer realm=\"rag\""
        return error
    }

    static func overloaded(_ message: String) -> APIError {
        APIError(status: 503, message: message, type: "server_error", code: "overloaded", retryAfter: 2)
    }

    static func internalError(_ message: String) -> APIError {
        APIError(status: 500, message: message, type: "server_error", code: "internal_error")
    }

    var response: HTTPResponse {
        var response = HTTPServer.errorResponse(status: status, message: message, type: type, code: code, retryAfter: retryAfter)
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { response.headers.add(name, value) }
        return response
    }

    /// The error as one server-sent event (after a stream has started, the status can no longer change).
    var event: String {
        "data: " + String(decoding: HTTPServer.errorResponse(status: status, message: message, type: type, code: code).body,
                          as: UTF8.self) + "\n\n"
    }
}
