import Foundation

/// Header fields in the order received. Names compare case-insensitively.
public struct HTTPHeaders: Sendable {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// The first value of `name`, if any.
    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }
}

/// One parsed HTTP/1.x request with its whole body.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent, e.g. `/api/source?path=a.md&start=1`.
    public var target: String
    /// The target's path, percent-decoded (`/api/source`).
    public var path: String
    /// The query parameters, percent-decoded (`+` is a space). A repeated name keeps its first value.
    public var query: [String: String]
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        let (path, query) = Self.split(target: target)
        self.path = path
        self.query = query
    }

    /// HTTP/1.1 keeps the connection unless `Connection: close`; HTTP/1.0 closes it unless `Connection: keep-alive`.
    public var wantsKeepAlive: Bool {
        let connection = headers["Connection"]?.lowercased() ?? ""
        if version == "HTTP/1.0" { return connection.contains("keep-alive") }
        return !connection.contains("close")
    }

    static func split(target: String) -> (String, [String: String]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (text: Substring) in
                    let spaced = text.replacingOccurrences(of: "+", with: " ")
                    return spaced.removingPercentEncoding ?? spaced
                }
                let key = decode(keyValue[0])
                if query[key] == nil { query[key] = keyValue.count == 2 ? decode(keyValue[1]) : "" }
            }
        }
        return (path, query)
    }
}
