import Foundation

/// The bearer token check: every request must carry `Authorization: Bearer TOKEN` (or HTTP Basic with the token
/// as password, which is how a browser sends it for the web page). Compared in constant time.
public struct TokenCheck: Sendable {
    let token: [UInt8]

    public init(token: String) {
        self.token = Array(token.utf8)
    }

    public func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let scheme = parts[0].lowercased()
        let credential = parts[1].trimmingCharacters(in: .whitespaces)
        if scheme == "bearer" { return Self.equal(Array(credential.utf8), token) }
        if scheme == "basic", let decoded = Data(base64Encoded: credential) {
            // user:password; the user name is ignored.
            let bytes = Array(decoded)
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return false }
            return Self.equal(Array(bytes[(colon + 1)...]), token)
        }
        return false
    }

    /// Equal bytes, taking the same time wherever the first difference is.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { difference |= 1 }
        let count = max(a.count, b.count)
        for index in 0..<count {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
