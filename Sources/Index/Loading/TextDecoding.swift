import Foundation

/// How a file's bytes were turned into text.
public enum TextEncodingUsed: Sendable, Equatable {
    /// Valid UTF-8 (or ASCII).
    case utf8
    /// UTF-8 with `invalidSequences` bad byte sequences, each replaced by U+FFFD where it stood.
    case utf8Repaired(invalidSequences: Int)
    /// Not UTF-8 as a whole: read as Windows-1252 (Latin-1 with printable 0x80–0x9F).
    case windows1252

    /// A short stable key for summaries, nil for clean UTF-8.
    public var key: String? {
        switch self {
        case .utf8: return nil
        case .utf8Repaired: return "utf8_repaired"
        case .windows1252: return "latin1"
        }
    }

    public var description: String {
        switch self {
        case .utf8: return "UTF-8"
        case .utf8Repaired(let count): return "UTF-8 with \(count) invalid byte sequence\(count == 1 ? "" : "s") replaced by U+FFFD"
        case .windows1252: return "not UTF-8: decoded as Latin-1 (Windows-1252)"
        }
    }
}

/// Bytes → text: binary detection, UTF-8 with local repair or a Windows-1252 fallback, `\n` line ends.
///
/// The rule: a file is UTF-8 unless its invalid byte sequences are at least as many as its valid
/// multi-byte characters. So one stray byte in a UTF-8 file becomes one U+FFFD and "résumé" stays
/// "résumé"; a Latin-1 file (whose accented letters are all invalid UTF-8) is read as Windows-1252.
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

    /// Decodes the bytes (dropping a UTF-8 byte-order mark) by the rule above.
    /// Line ends become `\n` (CRLF and lone CR), which keeps line numbers.
    public static func decode(_ data: [UInt8]) -> (text: String, encoding: TextEncodingUsed) {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let normalized = normalizeLineEnds(bytes)
        if let text = String(validating: normalized, as: UTF8.self) {
            return (text, .utf8)
        }
        let census = UTF8Census(normalized)
        if census.multiByteCharacters > census.invalidSequences {
            return (String(decoding: normalized, as: UTF8.self), .utf8Repaired(invalidSequences: census.invalidSequences))
        }
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(normalized.count)
        for byte in normalized { scalars.append(windows1252(byte)) }
        return (String(scalars), .windows1252)
    }

    /// Valid multi-byte characters and invalid sequences of some bytes, counted as the decoder meets them.
    struct UTF8Census {
        var multiByteCharacters = 0
        var invalidSequences = 0

        init(_ bytes: [UInt8]) {
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): if scalar.value > 0x7F { multiByteCharacters += 1 }
                case .error: invalidSequences += 1
                case .emptyInput: break loop
                }
            }
        }
    }

    /// Windows-1252: Latin-1, except 0x80–0x9F hold punctuation (the five unassigned bytes stay C1 controls).
    static func windows1252(_ byte: UInt8) -> Unicode.Scalar {
        guard (0x80...0x9F).contains(byte) else { return Unicode.Scalar(byte) }
        return Unicode.Scalar(windows1252High[Int(byte) - 0x80]) ?? Unicode.Scalar(byte)
    }

    static let windows1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

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
