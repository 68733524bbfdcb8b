import Foundation

/// How a handler answers: one `send`, or `beginStream` then `write`s then `endStream` (chunked transfer
/// encoding, which carries server-sent events). Writes report whether the client is still there, so a handler
/// can stop work nobody will read.
public final class ResponseWriter: @unchecked Sendable {
    private let socket: Socket
    private let limits: ServerLimits
    private let keepAlive: Bool
    private let lock = NSLock()

    public enum State: Sendable { case idle, streaming, finished }
    public private(set) var state: State = .idle
    /// The status sent (0 before any).
    public private(set) var status = 0
    /// False once a write failed: the client went away or stopped reading.
    public private(set) var clientConnected = true

    init(socket: Socket, limits: ServerLimits, keepAlive: Bool) {
        self.socket = socket
        self.limits = limits
        self.keepAlive = keepAlive
    }

    /// Whether the connection stays open after this response.
    var keepsConnection: Bool { keepAlive && clientConnected }

    /// Sends a whole response. Ignored after the first response.
    @discardableResult
    public func send(_ response: HTTPResponse) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard state == .idle else { return false }
        state = .finished
        status = response.status
        var headers = response.headers
        headers.add("Content-Length", String(response.body.count))
        headers.add("Connection", keepAlive ? "keep-alive" : "close")
        return put(HTTPResponse.head(status: response.status, headers: headers) + response.body)
    }

    /// Starts a chunked response (e.g. `Content-Type: text/event-stream`).
    @discardableResult
    public func beginStream(status: Int = 200, headers: HTTPHeaders) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard state == .idle else { return false }
        state = .streaming
        self.status = status
        var headers = headers
        headers.add("Transfer-Encoding", "chunked")
        headers.add("Cache-Control", "no-cache")
        headers.add("Connection", keepAlive ? "keep-alive" : "close")
        return put(HTTPResponse.head(status: status, headers: headers))
    }

    /// One chunk of a stream. False when the client is gone.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard state == .streaming, clientConnected else { return false }
        guard !bytes.isEmpty else { return true }
        return put(Array(String(bytes.count, radix: 16).utf8) + [0x0D, 0x0A] + bytes + [0x0D, 0x0A])
    }

    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Ends a stream with the zero-length chunk.
    public func endStream() {
        lock.lock()
        defer { lock.unlock() }
        guard state == .streaming else { return }
        state = .finished
        _ = put(Array("0\r\n\r\n".utf8))
    }

    /// True when the client closed its side: a handler working before its first write can give up early.
    public var clientHasGone: Bool {
        if !clientConnected { return true }
        return socket.peerHasGone
    }

    private func put(_ bytes: [UInt8]) -> Bool {
        guard clientConnected else { return false }
        if !socket.write(bytes, timeout: limits.writeTimeout) { clientConnected = false }
        return clientConnected
    }
}
