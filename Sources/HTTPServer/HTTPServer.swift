import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server over POSIX sockets: one thread accepts, each connection gets its own thread
/// (up to `limits.maxConnections`; beyond, a 503). Requests on a connection are served in order (keep-alive).
public final class HTTPServer: @unchecked Sendable {
    /// Answers one request through the writer. Runs on the connection's thread; may block.
    public typealias Handler = @Sendable (HTTPRequest, ResponseWriter) -> Void

    public let host: String
    /// The bound port (the one the system chose when asked for port 0).
    public let port: Int
    /// True when the listening address is a loopback address (127.0.0.0/8 or ::1).
    public let isLoopback: Bool
    public let limits: ServerLimits

    private let listener: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var connections = 0
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    /// Binds and listens on `host:port` (not yet accepting: call `start`).
    public init(host: String, port: Int, limits: ServerLimits = ServerLimits(), handler: @escaping Handler) throws(HTTPServerError) {
        // Writes to a closed socket must fail with EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        self.host = host
        self.limits = limits
        self.handler = handler
        let (descriptor, address) = try Self.listen(host: host, port: port)
        self.listener = descriptor
        self.port = address.port
        self.isLoopback = address.isLoopback
    }

    /// Accepts connections on a background thread until `stop`.
    public func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "http-accept"
        thread.start()
    }

    /// Stops accepting; connections being served finish on their own.
    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        finished.wait()
        finished.signal()  // for any thread in `wait`
        close(listener)
    }

    /// Blocks the calling thread until `stop` is called.
    public func wait() {
        finished.wait()
        finished.signal()
    }

    public var activeConnections: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections
    }

    private func acceptLoop() {
        defer { finished.signal() }
        let parser = RequestParser(limits: limits)
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE { usleep(50_000); continue }
                return
            }
            let socket = Socket(descriptor: client)
            lock.lock()
            let admitted = !stopped && connections < limits.maxConnections
            if admitted { connections += 1 }
            lock.unlock()
            guard admitted else {
                let writer = ResponseWriter(socket: socket, limits: limits, keepAlive: false)
                writer.send(Self.errorResponse(status: 503, message: "too many connections", retryAfter: 1))
                socket.close()
                continue
            }
            let connection = Connection(socket: socket, parser: parser, handler: handler)
            let thread = Thread { [self] in
                connection.serve()
                lock.lock()
                connections -= 1
                lock.unlock()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// An OpenAI-style JSON error: `{"error":{"message":…,"type":…,"code":…}}`.
    public static func errorResponse(status: Int, message: String, type: String? = nil, code: String? = nil,
                                     retryAfter: Int? = nil) -> HTTPResponse {
        let body: [String: [String: String?]] = ["error": [
            "message": message,
            "type": type ?? (status >= 500 ? "server_error" : "invalid_request_error"),
            "code": code ?? String(status),
        ]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let retryAfter { headers.add("Retry-After", String(retryAfter)) }
        return HTTPResponse(status: status, headers: headers, body: Array(data))
    }

    // MARK: - Listening socket

    struct BoundAddress {
        var port: Int
        var isLoopback: Bool
    }

    static func listen(host: String, port: Int) throws(HTTPServerError) -> (Int32, BoundAddress) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .resolve(host: host, message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no usable address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard descriptor >= 0 else { lastError = String(cString: strerror(errno)); continue }
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(descriptor, 128) == 0 else {
                lastError = String(cString: strerror(errno))
                close(descriptor)
                continue
            }
            return (descriptor, boundAddress(descriptor))
        }
        throw .bind(host: host, port: port, message: lastError)
    }

    static func boundAddress(_ descriptor: Int32) -> BoundAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(descriptor, $0, &length) }
        }
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address($0) } }
    }

    /// True when every address `host` resolves to is a loopback address (decided before anything listens).
    public static func isLoopback(host: String) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, "0", &hints, &list) == 0, list != nil else { return false }
        defer { freeaddrinfo(list) }
        var entry = list
        while let info = entry {
            guard let socketAddress = info.pointee.ai_addr, address(socketAddress).isLoopback else { return false }
            entry = info.pointee.ai_next
        }
        return true
    }

    /// Port and loopback-ness of an IPv4 or IPv6 socket address.
    static func address(_ socketAddress: UnsafePointer<sockaddr>) -> BoundAddress {
        if Int32(socketAddress.pointee.sa_family) == AF_INET {
            return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                let ip = UInt32(bigEndian: address.pointee.sin_addr.s_addr)
                return BoundAddress(port: Int(UInt16(bigEndian: address.pointee.sin_port)), isLoopback: ip >> 24 == 127)
            }
        }
        guard Int32(socketAddress.pointee.sa_family) == AF_INET6 else { return BoundAddress(port: 0, isLoopback: false) }
        return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
            let bytes = withUnsafeBytes(of: address.pointee.sin6_addr) { Array($0) }
            let loopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            // ::ffff:127.x.x.x is loopback too.
            let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
            return BoundAddress(port: Int(UInt16(bigEndian: address.pointee.sin6_port)), isLoopback: loopback || mapped)
        }
    }
}
