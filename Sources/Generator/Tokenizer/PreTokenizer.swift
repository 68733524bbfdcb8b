/// Splits text into the pieces that byte-pair encoding sees; no merge ever crosses a piece boundary.
///
/// It reproduces, by hand over Unicode scalars, what the Hugging Face `tokenizers` pre-tokenizers
/// for GPT-2 style models do:
/// 1. `smollm` only (`Digits(individual_digits: true)`): every number scalar (categories Nd, Nl, No)
///    becomes a piece of its own, and the text between numbers is split further by step 2 on its own.
/// 2. `ByteLevel` (GPT-2 regex, no prefix space), leftmost alternative first, each greedy:
///    `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
///    The contractions are lower-case ASCII only; ` ?` is the space U+0020 only; `\s` is the
///    Unicode White_Space property. `\s+(?!\S)` leaves the last white-space scalar of a run for the
///    next piece when a non-space follows, so that it can lead a word (`"a  b"` → `a`, ` `, ` b`).
public struct PreTokenizer: Sendable {
    public enum Kind: String, Sendable {
        /// Digits isolated, then the GPT-2 split (GGUF `tokenizer.ggml.pre = "smollm"`).
        case smollm
        /// The GPT-2 split alone (GGUF `tokenizer.ggml.pre = "gpt2"` or `"default"`).
        case gpt2
    }

    public let kind: Kind

    public init(kind: Kind) {
        self.kind = kind
    }

    /// Splits `text` and returns the pieces (a convenience for tests and tools; encoding uses `forEachPiece`).
    public func pieces(of text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            var pieces: [String] = []
            forEachPiece(in: bytes) { range in
                pieces.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
            }
            return pieces
        }
    }

    /// Calls `body` with the byte range of every piece of `bytes` (valid UTF-8), in order; the ranges tile the input.
    func forEachPiece(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let scanner = ScalarScanner(bytes: bytes, isolatesNumbers: kind == .smollm)
        var start = 0
        while start < bytes.count {
            let end = scanner.pieceEnd(from: start)
            body(start..<end)
            start = end
        }
    }
}

/// The four scalar classes the GPT-2 regex distinguishes.
enum ScalarClass: UInt8 {
    case letter      // \p{L}: Lu, Ll, Lt, Lm, Lo
    case number      // \p{N}: Nd, Nl, No
    case whitespace  // \s: White_Space
    case other       // [^\s\p{L}\p{N}]

    init(_ scalar: Unicode.Scalar) {
        if scalar.value < 0x80 {
            self = ScalarClass(ascii: UInt8(scalar.value))
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .whitespace
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    /// Class of an ASCII scalar (tab, LF, VT, FF, CR and space are White_Space; 0x1C–0x1F are not).
    @inline(__always)
    init(ascii value: UInt8) {
        switch value {
        case 0x41...0x5A, 0x61...0x7A: self = .letter
        case 0x09...0x0D, 0x20: self = .whitespace
        case 0x30...0x39: self = .number
        default: self = .other
        }
    }
}

/// Walks UTF-8 bytes scalar by scalar and finds where each pre-tokenizer piece ends.
private struct ScalarScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    /// When set, a number scalar is a piece by itself and bounds the pieces around it.
    let isolatesNumbers: Bool

    private static let space: UInt8 = 0x20
    private static let apostrophe: UInt8 = 0x27

    /// Class and byte length of the scalar starting at `offset`.
    @inline(__always)
    func scalar(at offset: Int) -> (scalarClass: ScalarClass, length: Int) {
        let lead = bytes[offset]
        if lead < 0x80 { return (ScalarClass(ascii: lead), 1) }
        let length: Int
        var value: UInt32
        if lead < 0xE0 {
            length = 2; value = UInt32(lead & 0x1F)
        } else if lead < 0xF0 {
            length = 3; value = UInt32(lead & 0x0F)
        } else {
            length = 4; value = UInt32(lead & 0x07)
        }
        for index in 1..<length { value = value << 6 | UInt32(bytes[offset + index] & 0x3F) }
        return (ScalarClass(Unicode.Scalar(value) ?? "\u{FFFD}"), length)
    }

    /// End of the piece that starts at `start`: the first regex alternative that matches there, as long as it goes.
    func pieceEnd(from start: Int) -> Int {
        let first = scalar(at: start)
        if isolatesNumbers && first.scalarClass == .number { return start + first.length }

        if bytes[start] == Self.apostrophe, let end = contractionEnd(from: start) { return end }

        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
        if first.scalarClass != .whitespace {
            return runEnd(from: start + first.length, of: first.scalarClass)
        }
        if bytes[start] == Self.space, start + 1 < bytes.count {
            let next = scalar(at: start + 1)
            if next.scalarClass != .whitespace && !(isolatesNumbers && next.scalarClass == .number) {
                return runEnd(from: start + 1 + next.length, of: next.scalarClass)
            }
        }
        return whitespaceEnd(from: start)
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `start` (which holds an apostrophe).
    private func contractionEnd(from start: Int) -> Int? {
        guard start + 1 < bytes.count else { return nil }
        switch bytes[start + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return start + 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return start + 2 < bytes.count && bytes[start + 2] == UInt8(ascii: "e") ? start + 3 : nil
        case UInt8(ascii: "l"):
            return start + 2 < bytes.count && bytes[start + 2] == UInt8(ascii: "l") ? start + 3 : nil
        default:
            return nil
        }
    }

    /// Extends a run of `scalarClass` scalars from `offset` as far as it goes.
    private func runEnd(from offset: Int, of scalarClass: ScalarClass) -> Int {
        var end = offset
        while end < bytes.count {
            let next = scalar(at: end)
            guard next.scalarClass == scalarClass else { break }
            end += next.length
        }
        return end
    }

    /// `\s+(?!\S)|\s+` at `start` (which holds white space).
    private func whitespaceEnd(from start: Int) -> Int {
        var end = start
        var lastScalarStart = start
        var scalarCount = 0
        while end < bytes.count {
            let next = scalar(at: end)
            guard next.scalarClass == .whitespace else { break }
            lastScalarStart = end
            end += next.length
            scalarCount += 1
        }
        // The run reaches the end of its segment: nothing non-space follows, `\s+(?!\S)` takes it all.
        if end == bytes.count || (isolatesNumbers && scalar(at: end).scalarClass == .number) { return end }
        // A non-space follows: `\s+(?!\S)` backs off by one scalar; a lone scalar falls to `\s+`.
        return scalarCount >= 2 ? lastScalarStart : end
    }
}
