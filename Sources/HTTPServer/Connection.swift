import Foundation

/// One client connection: reads requests (keep-alive), hands each to the handler, and makes sure every request
/// gets exactly one response. Unreadable requests get a JSON error and the connection is closed.
struct Connection {
    let socket: Socket
    let parser: RequestParser
    let handler: HTTPServer.Handler

    var limits: ServerLimits { parser.limits }

    func serve() {
        defer { socket.close() }
        var buffer: [UInt8] = []
        while true {
            let request: HTTPRequest
            do {
                guard let next = try readRequest(&buffer) else { return }
                request = next
            } catch {
                let writer = ResponseWriter(socket: socket, limits: limits, keepAlive: false)
                writer.send(HTTPServer.errorResponse(status: error.status, message: error.description))
                return
            }
            let writer = ResponseWriter(socket: socket, limits: limits, keepAlive: request.wantsKeepAlive)
            handler(request, writer)
            switch writer.state {
            case .idle: writer.send(HTTPServer.errorResponse(status: 500, message: "the handler sent no response"))
            case .streaming: writer.endStream()
            case .finished: break
            }
            guard writer.keepsConnection else { return }
        }
    }

    /// The next request, nil when the client closed or stayed idle too long between requests.
    func readRequest(_ buffer: inout [UInt8]) throws(HTTPError) -> HTTPRequest? {
        var headDeadline = buffer.isEmpty ? Socket.now() + limits.idleTimeout : Socket.now() + limits.headerTimeout
        var started = !buffer.isEmpty
        var head: RequestParser.Head?
        while true {
            head = try parser.parseHead(buffer)
            if head != nil { break }
            switch socket.read(until: headDeadline) {
            case .data(let bytes):
                if !started { started = true; headDeadline = Socket.now() + limits.headerTimeout }
                buffer += bytes
            case .closed:
                if started { throw .badRequest("the connection closed in the middle of a request") }
                return nil
            case .timedOut:
                if started { throw .timeout }
                return nil
            }
        }
        guard var found = head else { return nil }
        buffer.removeFirst(found.length)
        let bodyDeadline = Socket.now() + limits.bodyTimeout
        while buffer.count < found.contentLength {
            switch socket.read(until: bodyDeadline) {
            case .data(let bytes): buffer += bytes
            case .closed: throw .badRequest("the connection closed before the body was complete")
            case .timedOut: throw .timeout
            }
        }
        found.request.body = Array(buffer[..<found.contentLength])
        buffer.removeFirst(found.contentLength)
        return found.request
    }
}
