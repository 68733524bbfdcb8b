/// Why a request could not be read. Each maps to the status the server answers with before closing.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    /// Malformed request line, header or framing (400).
    case badRequest(String)
    /// The request head is larger than the limit (431).
    case headersTooLarge(limit: Int)
    /// The declared body is larger than the limit (413).
    case bodyTooLarge(limit: Int)
    /// A feature the server does not implement, e.g. chunked request bodies (501).
    case notImplemented(String)
    /// Neither HTTP/1.1 nor HTTP/1.0 (505).
    case versionNotSupported(String)
    /// The client was too slow sending the head or the body (408).
    case timeout

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .notImplemented: return 501
        case .versionNotSupported: return 505
        case .timeout: return 408
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let detail): return "malformed request: \(detail)"
        case .headersTooLarge(let limit): return "request headers exceed \(limit) bytes"
        case .bodyTooLarge(let limit): return "request body exceeds \(limit) bytes"
        case .notImplemented(let detail): return "not implemented: \(detail)"
        case .versionNotSupported(let version): return "HTTP version not supported: \(version)"
        case .timeout: return "the request was not received in time"
        }
    }
}

/// Why the server could not start.
public enum HTTPServerError: Error, Equatable, CustomStringConvertible {
    case resolve(host: String, message: String)
    case bind(host: String, port: Int, message: String)

    public var description: String {
        switch self {
        case .resolve(let host, let message): return "cannot resolve host '\(host)': \(message)"
        case .bind(let host, let port, let message): return "cannot listen on \(host):\(port): \(message)"
        }
    }
}
