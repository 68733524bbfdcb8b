import Foundation

/// Bytes → text: binary detection, UTF-8 with a Latin-1 fallback, `\n` line ends.
public enum TextDecoding {
    /// True for data that is not text: any NUL byte, or more than 10% control bytes, in the first 64 KiB.
    public static func looksBinary(_ bytes: some Collection<UInt8>) -> Bool {
        var controls = 0
        var count = 0
        for byte in bytes.prefix(65_536) {
            count += 1
            if byte == 0 { return true }
            if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D && byte != 0x0C && byte != 0x1B { controls += 1 }
            if byte == 0x7F { controls += 1 }
        }
        return count > 0 && controls * 10 > count
    }

    /// Decodes UTF-8 (dropping a byte-order mark); invalid UTF-8 is read as Latin-1.
    /// Line ends become `\n` (CRLF and lone CR), which keeps line numbers.
    public static func decode(_ data: [UInt8]) -> (text: String, wasLatin1: Bool) {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let normalized = normalizeLineEnds(bytes)
        if let text = String(validating: normalized, as: UTF8.self) {
            return (text, false)
        }
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(normalized.count)
        for byte in normalized { scalars.append(Unicode.Scalar(byte)) }
        return (String(scalars), true)
    }

    static func normalizeLineEnds(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        guard bytes.contains(0x0D) else { return Array(bytes) }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var previousWasCR = false
        for byte in bytes {
            if byte == 0x0D {
                result.append(0x0A)
                previousWasCR = true
            } else {
                if !(byte == 0x0A && previousWasCR) { result.append(byte) }
                previousWasCR = false
            }
        }
        return result
    }
}
