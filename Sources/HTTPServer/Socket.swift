import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A connected TCP socket: reads with a deadline, writes everything or reports failure. Never raises SIGPIPE.
final class Socket: @unchecked Sendable {
    let descriptor: Int32
    private var closed = false
    private let lock = NSLock()

    init(descriptor: Int32) {
        self.descriptor = descriptor
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    enum ReadResult {
        case data([UInt8])
        /// The peer closed its side (or the connection broke).
        case closed
        case timedOut
    }

    /// Waits until `deadline` (uptime seconds) for bytes and returns what arrived.
    func read(until deadline: Double, maxBytes: Int = 64 * 1024) -> ReadResult {
        while true {
            let remaining = deadline - Self.now()
            guard remaining > 0 else { return .timedOut }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)))
            if ready < 0 { if errno == EINTR { continue }; return .closed }
            if ready == 0 { return .timedOut }
            var buffer = [UInt8](repeating: 0, count: maxBytes)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, maxBytes, 0) }
            if count < 0 { if errno == EINTR || errno == EAGAIN { continue }; return .closed }
            if count == 0 { return .closed }
            return .data(Array(buffer[..<count]))
        }
    }

    /// Writes all of `bytes`, waiting at most `timeout` seconds for the client to make room. False when the
    /// client is gone or too slow.
    func write(_ bytes: [UInt8], timeout: Double) -> Bool {
        var offset = 0
        let deadline = Self.now() + timeout
        return bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let sent = send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                if sent > 0 { offset += sent; continue }
                guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
                let remaining = deadline - Self.now()
                guard remaining > 0 else { return false }
                var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                if poll(&poller, 1, Int32(remaining * 1000) + 1) <= 0 && errno != EINTR { return false }
            }
            return true
        }
    }

    /// True when the client has closed or reset the connection (checked without reading its data).
    var peerHasGone: Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN) | Self.pollReadHangUp, revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        if poller.revents & (Self.pollReadHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0 { return true }
        // Readable: a pipelined request, or end of stream.
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        return count == 0
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
    }

    /// POLLRDHUP (Linux, needs _GNU_SOURCE in C, so Glibc does not export it): the peer shut down its writing side.
    static let pollReadHangUp: Int16 = 0x2000

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
