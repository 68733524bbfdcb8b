import Foundation

/// Parses the head of an HTTP/1.x request (request line and headers) from raw bytes.
///
/// Strict on purpose: lines end in CRLF, header names are tokens, values hold no control characters,
/// folded headers and conflicting `Content-Length`s are refused, and `Transfer-Encoding` request bodies are
/// not accepted (a body needs a `Content-Length`). Anything else is a 400 before a handler sees it.
public struct RequestParser: Sendable {
    public let limits: ServerLimits

    public init(limits: ServerLimits = ServerLimits()) {
        self.limits = limits
    }

    /// A parsed head and how many bytes of the buffer it took (the body follows).
    public struct Head: Sendable {
        public var request: HTTPRequest
        public var length: Int
        public var contentLength: Int
    }

    /// The head at the start of `buffer`; nil while it is incomplete. Throws as soon as the bytes cannot become a
    /// valid head (too large, malformed).
    public func parseHead(_ buffer: [UInt8]) throws(HTTPError) -> Head? {
        guard let end = Self.endOfHead(buffer) else {
            if buffer.count > limits.maxHeaderBytes { throw .headersTooLarge(limit: limits.maxHeaderBytes) }
            // A request line that is already broken need not wait for the rest.
            if let firstLine = Self.firstLineEnd(buffer) { _ = try requestLine(Array(buffer[..<firstLine])) }
            return nil
        }
        guard end <= limits.maxHeaderBytes else { throw .headersTooLarge(limit: limits.maxHeaderBytes) }
        var lines = Self.lines(Array(buffer[..<end]))
        let (method, target, version) = try requestLine(lines.removeFirst())
        guard lines.count <= limits.maxHeaderCount else { throw .headersTooLarge(limit: limits.maxHeaderBytes) }

        var headers = HTTPHeaders()
        for line in lines {
            let (name, value) = try header(line)
            headers.add(name, value)
        }
        if version == "HTTP/1.1" && headers.values("Host").count != 1 {
            throw .badRequest("HTTP/1.1 needs exactly one Host header")
        }
        if headers.contains("Transfer-Encoding") {
            throw .notImplemented("Transfer-Encoding request bodies; send Content-Length")
        }
        let contentLength = try Self.contentLength(headers)
        guard contentLength <= limits.maxBodyBytes else { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
        let request = HTTPRequest(method: method, target: target, version: version, headers: headers)
        return Head(request: request, length: end + 4, contentLength: contentLength)
    }

    /// `METHOD SP target SP HTTP/1.x`.
    func requestLine(_ bytes: [UInt8]) throws(HTTPError) -> (String, String, String) {
        let parts = bytes.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .badRequest("request line is not 'METHOD TARGET VERSION'") }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.count <= 16, method.allSatisfy(Self.isTokenByte) else {
            throw .badRequest("invalid method")
        }
        guard target.first == UInt8(ascii: "/"), target.count <= limits.maxHeaderBytes,
              target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badRequest("invalid request target (expected an absolute path)")
        }
        let versionText = String(decoding: version, as: UTF8.self)
        guard versionText.hasPrefix("HTTP/") else { throw .badRequest("invalid HTTP version") }
        guard versionText == "HTTP/1.1" || versionText == "HTTP/1.0" else { throw .versionNotSupported(versionText) }
        return (String(decoding: method, as: UTF8.self), String(decoding: target, as: UTF8.self), versionText)
    }

    /// `name: value`, the value trimmed of spaces and tabs.
    func header(_ bytes: [UInt8]) throws(HTTPError) -> (String, String) {
        guard let first = bytes.first else { throw .badRequest("empty header line") }
        if first == 0x20 || first == 0x09 { throw .badRequest("folded header lines are not accepted") }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { throw .badRequest("header line without ':'") }
        let name = bytes[..<colon]
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else { throw .badRequest("invalid header name") }
        var value = bytes[(colon + 1)...]
        while let byte = value.first, byte == 0x20 || byte == 0x09 { value = value.dropFirst() }
        while let byte = value.last, byte == 0x20 || byte == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .badRequest("control character in header value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// The body length: 0 without `Content-Length`; every copy of the header must agree.
    static func contentLength(_ headers: HTTPHeaders) throws(HTTPError) -> Int {
        let values = headers.values("Content-Length").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = values.first else { return 0 }
        guard values.allSatisfy({ $0 == first }) else { throw .badRequest("conflicting Content-Length headers") }
        guard !first.isEmpty, first.count <= 15, first.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(first) else {
            throw .badRequest("invalid Content-Length")
        }
        return length
    }

    /// tchar of RFC 9110: letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Index of the CRLFCRLF that ends the head.
    static func endOfHead(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 0x0D && buffer[index + 1] == 0x0A && buffer[index + 2] == 0x0D && buffer[index + 3] == 0x0A {
            return index
        }
        return nil
    }

    static func firstLineEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 2 else { return nil }
        for index in 0...(buffer.count - 2) where buffer[index] == 0x0D && buffer[index + 1] == 0x0A { return index }
        return nil
    }

    /// Splits the head at CRLF. A bare CR or LF inside a line is malformed and caught by the line checks.
    static func lines(_ head: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + 1 < head.count {
            if head[index] == 0x0D && head[index + 1] == 0x0A {
                lines.append(Array(head[start..<index]))
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        lines.append(Array(head[start...]))
        return lines
    }
}
