/// GPT-2's byte-level alphabet: every byte value has a printable Unicode character standing for it,
/// so that a vocabulary of strings can describe arbitrary byte sequences.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes
/// (controls, space, DEL, NBSP, soft hyphen, …) are moved to U+0100 onwards in byte order,
/// so the space byte 0x20 is written `Ġ` (U+0120) and the newline 0x0A is `Ċ` (U+010A).
enum ByteLevelAlphabet {
    /// `characterForByte[b]` is the scalar that stands for byte `b`.
    static let characterForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var nextShifted: UInt32 = 256
        for byte in 0..<256 {
            if standsForItself(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(nextShifted)!
                nextShifted += 1
            }
        }
        return table
    }()

    /// The inverse of `characterForByte`, indexed by scalar value (-1: not in the alphabet).
    /// The alphabet ends at U+0143, so a small array beats a dictionary.
    static let byteForCharacterValue: [Int16] = {
        var inverse = [Int16](repeating: -1, count: Int(characterForByte.map(\.value).max()!) + 1)
        for (byte, scalar) in characterForByte.enumerated() { inverse[Int(scalar.value)] = Int16(byte) }
        return inverse
    }()

    private static func standsForItself(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The bytes a vocabulary string stands for, or nil when it holds a character outside the alphabet
    /// (added tokens such as `<|im_start|>` may; the caller then uses the string's own UTF-8).
    static func bytes(of token: String) -> [UInt8]? {
        let inverse = byteForCharacterValue
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard Int(scalar.value) < inverse.count, inverse[Int(scalar.value)] >= 0 else { return nil }
            bytes.append(UInt8(inverse[Int(scalar.value)]))
        }
        return bytes
    }
}
