/// Token types as GGUF stores them in `tokenizer.ggml.token_type` (llama.cpp's numbering).
public enum TokenType: Int32, Sendable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6

    /// Control and user-defined tokens (`<|im_start|>`, `<file_sep>`, …) are whole strings that BPE never
    /// produces; they are recognized in text only where special tokens are allowed.
    public var isSpecial: Bool { self == .control || self == .userDefined }
}

/// The ids of the special tokens the ChatML chat format and generation rely on.
public struct SpecialTokenIds: Sendable, Equatable {
    /// `<|endoftext|>`
    public var endOfText: Int32
    /// `<|im_start|>`: opens a message.
    public var imStart: Int32
    /// `<|im_end|>`: closes a message; generation stops here.
    public var imEnd: Int32

    public init(endOfText: Int32, imStart: Int32, imEnd: Int32) {
        self.endOfText = endOfText
        self.imStart = imStart
        self.imEnd = imEnd
    }

    public static let endOfTextText = "<|endoftext|>"
    public static let imStartText = "<|im_start|>"
    public static let imEndText = "<|im_end|>"

    /// Finds the three tokens by their text in the vocabulary.
    static func lookUp(in tokens: [String]) throws(TokenizerError) -> SpecialTokenIds {
        func id(of text: String) throws(TokenizerError) -> Int32 {
            guard let index = tokens.firstIndex(of: text) else { throw .missingSpecialToken(text) }
            return Int32(index)
        }
        return SpecialTokenIds(endOfText: try id(of: endOfTextText), imStart: try id(of: imStartText),
                               imEnd: try id(of: imEndText))
    }
}

/// Finds special-token strings in text (used only when special tokens are allowed),
/// leftmost first and, among tokens starting at the same byte, the longest.
struct SpecialTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        let bytes: [UInt8]
        let id: Int32
    }

    /// `candidates[b]`: the special tokens whose text starts with byte `b`, longest first.
    private let candidates: [[Candidate]]

    init(specialTexts: [(text: String, id: Int32)]) {
        var candidates = [[Candidate]](repeating: [], count: 256)
        for (text, id) in specialTexts {
            let bytes = Array(text.utf8)
            guard let first = bytes.first else { continue }
            candidates[Int(first)].append(Candidate(bytes: bytes, id: id))
        }
        self.candidates = candidates.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
    }

    /// Calls `text` for every stretch of ordinary text and `special` for every special token, in order.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, text: (Range<Int>) -> Void, special: (Int32) -> Void) {
        var textStart = 0
        var offset = 0
        while offset < bytes.count {
            guard let match = longestMatch(in: bytes, at: offset) else {
                offset += 1
                continue
            }
            if textStart < offset { text(textStart..<offset) }
            special(match.id)
            offset += match.bytes.count
            textStart = offset
        }
        if textStart < bytes.count { text(textStart..<bytes.count) }
    }

    private func longestMatch(in bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Candidate? {
        for candidate in candidates[Int(bytes[offset])] where candidate.bytes.count <= bytes.count - offset {
            var matches = true
            for index in 1..<candidate.bytes.count where bytes[offset + index] != candidate.bytes[index] {
                matches = false
                break
            }
            if matches { return candidate }
        }
        return nil
    }
}
