/// The bytes every token stands for, stored back to back (what decoding concatenates).
///
/// Byte-level tokens are mapped back through the GPT-2 alphabet (`Ġ` → 0x20); special tokens, and any
/// token holding a character outside that alphabet, stand for their own UTF-8 text.
struct TokenPieces: Sendable {
    private let bytes: [UInt8]
    /// Token `id` stands for `bytes[offsets[id]..<offsets[id + 1]]`.
    private let offsets: [Int32]
    private let special: [Bool]

    init(tokens: [String], types: [TokenType]) {
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for (token, type) in zip(tokens, types) {
            if !type.isSpecial, let decoded = ByteLevelAlphabet.bytes(of: token) {
                bytes.append(contentsOf: decoded)
            } else {
                bytes.append(contentsOf: token.utf8)
            }
            offsets.append(Int32(bytes.count))
        }
        self.bytes = bytes
        self.offsets = offsets
        self.special = types.map(\.isSpecial)
    }

    var count: Int { special.count }

    func isSpecial(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < count && special[Int(id)]
    }

    /// The bytes of token `id`; an id outside the vocabulary stands for U+FFFD so that it stays visible.
    func bytes(of id: Int32) -> ArraySlice<UInt8> {
        guard id >= 0, Int(id) < count else { return TokenPieces.replacementCharacter[...] }
        return bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])]
    }

    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]
}
