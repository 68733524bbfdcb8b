/// Turns generated token ids into text as they arrive, never emitting part of a UTF-8 character.
///
/// A byte-level token can end in the middle of a character (an emoji or a CJK character often spans
/// two or three tokens); those bytes wait until the tokens that complete them arrive.
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: ByteLevelBPETokenizer
    /// When set, control tokens such as `<|im_end|>` produce no text.
    public let skipSpecialTokens: Bool
    /// Bytes of a character whose remaining bytes have not arrived yet (at most 3).
    private var pending: [UInt8] = []

    public init(tokenizer: ByteLevelBPETokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds token `id` and returns the text it completes (possibly empty).
    public mutating func feed(_ id: Int32) -> String {
        if skipSpecialTokens && tokenizer.isSpecial(id) { return "" }
        pending.append(contentsOf: tokenizer.bytes(of: id))
        let complete = Self.completePrefixLength(of: pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whether bytes of an unfinished character are waiting.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// Ends the stream: an unfinished character is returned as U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix of `bytes` that does not end inside a UTF-8 character that may still be completed.
    /// Invalid bytes are not held back: they can never become valid, and decoding turns them into U+FFFD.
    static func completePrefixLength(of bytes: [UInt8]) -> Int {
        // Step back over trailing continuation bytes (10xxxxxx) to the byte that leads them.
        var leadIndex = bytes.count - 1
        var continuationCount = 0
        while leadIndex >= 0, continuationCount < 3, bytes[leadIndex] & 0xC0 == 0x80 {
            leadIndex -= 1
            continuationCount += 1
        }
        guard leadIndex >= 0 else { return bytes.count }
        let needed = sequenceLength(lead: bytes[leadIndex])
        return needed > 1 && continuationCount < needed - 1 ? leadIndex : bytes.count
    }

    /// Bytes in the UTF-8 sequence that `lead` starts (0 for a byte that cannot start one).
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 0
        }
    }
}
