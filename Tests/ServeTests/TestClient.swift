import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw HTTP/1.1 client over a loopback socket: sends any bytes (malformed, slow, partial) and reads responses,
/// decoding Content-Length and chunked bodies.
final class TestClient {
    let descriptor: Int32
    private var buffer: [UInt8] = []

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body)) }
    }

    enum Failure: Error { case connect, closed, timeout, malformed(String) }

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(descriptor); throw Failure.connect }
    }

    deinit { close(descriptor) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// A request with a JSON body (or none).
    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        send(text)
    }

    func closeNow() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// Reads more bytes; false when the server closed the connection.
    private func fill(timeout: Double) throws -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { throw Failure.timeout }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    private func line(timeout: Double) throws -> String {
        while true {
            if let end = buffer.indices.dropLast().first(where: { buffer[$0] == 0x0D && buffer[$0 + 1] == 0x0A }) {
                let text = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return text
            }
            guard try fill(timeout: timeout) else { throw Failure.closed }
        }
    }

    private func bytes(_ count: Int, timeout: Double) throws -> [UInt8] {
        while buffer.count < count { guard try fill(timeout: timeout) else { throw Failure.closed } }
        let taken = Array(buffer[..<count])
        buffer.removeFirst(count)
        return taken
    }

    /// The head of the next response.
    func readHead(timeout: Double = 10) throws -> (Int, [String: String]) {
        let statusLine = try line(timeout: timeout)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure.malformed(statusLine) }
        var headers: [String: String] = [:]
        while true {
            let header = try line(timeout: timeout)
            if header.isEmpty { break }
            let pair = header.split(separator: ":", maxSplits: 1)
            headers[pair[0].lowercased()] = pair.count > 1 ? pair[1].trimmingCharacters(in: .whitespaces) : ""
        }
        return (status, headers)
    }

    /// One chunk of a chunked body (empty at the end).
    func readChunk(timeout: Double = 10) throws -> [UInt8] {
        guard let size = Int(try line(timeout: timeout), radix: 16) else { throw Failure.malformed("chunk size") }
        let data = try bytes(size, timeout: timeout)
        _ = try line(timeout: timeout)
        return data
    }

    func readResponse(timeout: Double = 10) throws -> Response {
        let (status, headers) = try readHead(timeout: timeout)
        var body: [UInt8] = []
        if headers["transfer-encoding"] == "chunked" {
            while true {
                let chunk = try readChunk(timeout: timeout)
                if chunk.isEmpty { break }
                body += chunk
            }
        } else if let length = Int(headers["content-length"] ?? "0") {
            body = try bytes(length, timeout: timeout)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// True when the server closes the connection within `timeout` seconds.
    func serverCloses(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            do { if try !fill(timeout: 0.2) { return true } } catch Failure.timeout { continue } catch { return true }
        }
        return false
    }
}
