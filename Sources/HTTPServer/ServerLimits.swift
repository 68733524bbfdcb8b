/// Bounds on what one client may send and how long it may take. The defaults suit a local API.
public struct ServerLimits: Sendable {
    /// Request line plus headers, in bytes (431 beyond).
    public var maxHeaderBytes = 16 * 1024
    /// Number of header fields (431 beyond).
    public var maxHeaderCount = 100
    /// Request body, in bytes (413 beyond).
    public var maxBodyBytes = 1024 * 1024
    /// Seconds a kept-alive connection may wait for the next request before it is closed.
    public var idleTimeout: Double = 15
    /// Seconds from the first byte of a request to the end of its head (408 beyond).
    public var headerTimeout: Double = 10
    /// Seconds to receive the whole body once the head is in (408 beyond).
    public var bodyTimeout: Double = 30
    /// Seconds a single write may block on a client that does not read (the connection is dropped beyond).
    public var writeTimeout: Double = 30
    /// Connections served at once; one more is answered 503 and closed.
    public var maxConnections = 64

    public init() {}
}
