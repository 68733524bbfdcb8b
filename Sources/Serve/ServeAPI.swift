import Foundation
import HTTPServer
import Retrieval

/// Answering defaults of the API (the CLI's defaults; a request may override the sampling).
public struct ServeSettings: Sendable {
    /// The model name clients ask for.
    public var modelName = "rag"
    public var k = 8
    public var budget = 1500
    public var maxTokens = 256
    /// Largest `max_tokens` a request may ask for.
    public var maxTokensLimit = 2048
    /// Most texts one embeddings request may hold.
    public var maxEmbeddingInputs = 128
    /// `--token`: required on every request when set.
    public var token: String?

    public init() {}
}

/// The routes of `rag serve`: checks the token, finds the handler for the method and path, and turns any
/// thrown `APIError` into its JSON response.
public final class ServeAPI: @unchecked Sendable {
    public let backend: ServeBackend
    public let settings: ServeSettings
    private let tokenCheck: TokenCheck?

    struct Endpoint: Sendable {
        var method: String
        var path: String
        var handle: @Sendable (ServeAPI) -> (HTTPRequest, ResponseWriter) throws(APIError) -> Void
    }

    static let endpoints: [Endpoint] = [
        Endpoint(method: "GET", path: "/", handle: { $0.page }),
        Endpoint(method: "GET", path: "/api/status", handle: { $0.status }),
        Endpoint(method: "GET", path: "/api/source", handle: { $0.source }),
        Endpoint(method: "POST", path: "/api/search", handle: { $0.search }),
        Endpoint(method: "POST", path: "/api/ask", handle: { $0.ask }),
        Endpoint(method: "GET", path: "/v1/models", handle: { $0.models }),
        Endpoint(method: "POST", path: "/v1/chat/completions", handle: { $0.chatCompletions }),
        Endpoint(method: "POST", path: "/v1/embeddings", handle: { $0.embeddings }),
    ]

    public init(backend: ServeBackend, settings: ServeSettings = ServeSettings()) {
        self.backend = backend
        self.settings = settings
        self.tokenCheck = settings.token.map(TokenCheck.init)
    }

    /// The server's handler.
    public func handle(_ request: HTTPRequest, _ writer: ResponseWriter) {
        do throws(APIError) {
            if let tokenCheck, !tokenCheck.accepts(authorization: request.headers["Authorization"]) {
                throw .unauthorized(scheme: request.path == "/" ? "Basic" : "Bearer")
            }
            // Without a token the server is on loopback: refuse other host names, so that a web page cannot
            // reach it through a domain name rebound to 127.0.0.1 (DNS rebinding).
            if tokenCheck == nil, !Self.isLoopbackName(request.headers["Host"]) {
                throw APIError(status: 403, message: "the Host header must name this machine (localhost, 127.0.0.1 or [::1])",
                               code: "forbidden_host")
            }
            let forPath = Self.endpoints.filter { $0.path == request.path }
            guard !forPath.isEmpty else { throw .notFound("no such endpoint: \(request.path)") }
            guard let endpoint = forPath.first(where: { $0.method == request.method }) else {
                throw .methodNotAllowed(request.method, allowed: forPath.map(\.method))
            }
            try endpoint.handle(self)(request, writer)
        } catch {
            if writer.state == .streaming {
                writer.write(error.event)
                writer.write("data: [DONE]\n\n")
            } else {
                writer.send(error.response)
            }
        }
    }

    // MARK: - Small routes

    func page(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        var response = HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: WebPage.html)
        response.headers.add("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
        response.headers.add("X-Content-Type-Options", "nosniff")
        writer.send(response)
    }

    struct StatusJSON: Encodable {
        struct Generation: Encodable {
            var workers: Int
            var queueCapacity: Int
            var waiting: Int
            var running: Int
            enum CodingKeys: String, CodingKey {
                case workers, waiting, running
                case queueCapacity = "queue_capacity"
            }
        }
        var model: String
        var embedder: String
        var index: StatusReport?
        var generation: Generation
    }

    func status(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        let load = backend.generation.load
        try sendJSON(StatusJSON(model: settings.modelName, embedder: backend.embedderName, index: backend.status(),
                                generation: .init(workers: backend.generation.workers, queueCapacity: backend.generation.capacity,
                                                  waiting: load.waiting, running: load.running)), writer)
    }

    func source(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        guard let path = request.query["path"], !path.isEmpty else { throw .badRequest("give the document as path=…") }
        guard let start = request.query["start"].flatMap({ Int($0) }), let end = request.query["end"].flatMap({ Int($0) }) else {
            throw .badRequest("give the lines as start=N&end=M")
        }
        let documents: [DocumentRef]
        do { documents = try backend.documents() } catch { throw .internalError("cannot list the documents: \(error)") }
        try sendJSON(SourceLines.excerpt(path: path, root: request.query["root"], start: start, end: end, documents: documents), writer)
    }

    func models(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        let now = Int(Date().timeIntervalSince1970)
        try sendJSON(OpenAI.ModelList(data: [OpenAI.Model(id: settings.modelName, created: now),
                                             OpenAI.Model(id: backend.embedderName, created: now)]), writer)
    }

    // MARK: - Search and embeddings (fast lane)

    struct SearchRequest: Decodable {
        var query: String
        var k: Int?
        var mode: String?
    }

    func search(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        let body = try decode(SearchRequest.self, request)
        let k = body.k ?? 10
        guard (1...1000).contains(k) else { throw .badRequest("k must be 1...1000") }
        guard let mode = SearchMode(rawValue: body.mode ?? "hybrid") else { throw .badRequest("mode must be dense, lexical or hybrid") }
        guard !body.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .badRequest("the query is empty") }
        let hits: [SearchHit]
        do { hits = try backend.search(body.query, k: k, mode: mode) } catch { throw Self.apiError(error) }
        try sendJSON(hits, writer)
    }

    func embeddings(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        let body = try decode(OpenAI.EmbeddingRequest.self, request)
        let names = [settings.modelName, backend.embedderName, "all-MiniLM-L6-v2"]
        guard names.contains(body.model) else { throw .modelNotFound(body.model, available: Array(names.prefix(2))) }
        guard body.encodingFormat == nil || body.encodingFormat == "float" else { throw .badRequest("encoding_format must be 'float'") }
        let texts = body.input.texts
        guard !texts.isEmpty, texts.count <= settings.maxEmbeddingInputs else {
            throw .badRequest("input must hold 1...\(settings.maxEmbeddingInputs) texts")
        }
        guard texts.allSatisfy({ !$0.isEmpty }) else { throw .badRequest("input texts must not be empty") }
        let embedded: (vectors: [[Float]], tokens: Int)
        do { embedded = try backend.embed(texts) } catch { throw Self.apiError(error) }
        let data = embedded.vectors.enumerated().map { OpenAI.Embedding(index: $0.offset, embedding: $0.element) }
        try sendJSON(OpenAI.EmbeddingList(data: data, model: backend.embedderName,
                                          usage: .init(promptTokens: embedded.tokens, totalTokens: embedded.tokens)), writer)
    }

    // MARK: - Helpers

    /// `localhost`, `127.x.x.x` or `[::1]`, with or without a port. (HTTP/1.0 requests may leave Host out.)
    static func isLoopbackName(_ host: String?) -> Bool {
        guard let host = host?.lowercased() else { return true }
        if host.hasPrefix("[") { return host == "[::1]" || host.hasPrefix("[::1]:") }
        let name = host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if name == "localhost" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: HTTPRequest) throws(APIError) -> T {
        guard !request.body.isEmpty else { throw .badRequest("the request body is empty: send a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .badRequest("missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .badRequest("wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .badRequest("missing value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw .badRequest("the body is not valid JSON", code: "invalid_json")
        }
    }

    func sendJSON<T: Encodable>(_ value: T, _ writer: ResponseWriter) throws(APIError) {
        writer.send(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: try Self.encode(value)))
    }

    static func encode<T: Encodable>(_ value: T) throws(APIError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(value)) } catch { throw .internalError("cannot encode the response: \(error)") }
    }

    /// A library error as an API error: bad input is the client's (400), the rest the server's (500).
    static func apiError(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? QueueError {
            switch error {
            case .full: return .overloaded(error.description)
            case .cancelled: return APIError(status: 499, message: error.description, code: "client_closed")
            }
        }
        if let error = error as? RetrievalError, error == .emptyQuery { return .badRequest(error.description) }
        return .internalError(String(describing: error))
    }
}
