import Foundation

/// A bounds-checked little-endian cursor over the bytes of a GGUF file.
/// Every read checks the remaining length first and throws `GGUFError.truncated` instead of reading past the end.
struct GGUFReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ count: Int) throws(GGUFError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(path: path, offset: offset, needed: count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat() throws(GGUFError) -> Float { Float(bitPattern: try read(UInt32.self)) }
    mutating func readDouble() throws(GGUFError) -> Double { Double(bitPattern: try read(UInt64.self)) }

    mutating func readBool() throws(GGUFError) -> Bool {
        let byte = try read(UInt8.self)
        guard byte <= 1 else { throw .corrupt(path: path, reason: "boolean value \(byte) at offset \(offset - 1)") }
        return byte == 1
    }

    /// A count as `Int`, rejecting values that cannot fit in what is left of the file at `unit` bytes each.
    mutating func readCount(unit: Int) throws(GGUFError) -> Int {
        let start = offset
        let raw = try read(UInt64.self)
        let limit = remaining / max(1, unit)
        guard raw <= UInt64(limit) else {
            let (needed, overflow) = Int(clamping: raw).multipliedReportingOverflow(by: max(1, unit))
            throw .truncated(path: path, offset: start, needed: overflow ? Int.max : needed)
        }
        return Int(raw)
    }

    mutating func readString() throws(GGUFError) -> String {
        let length = try readCount(unit: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
        offset += length
        // Invalid UTF-8 is repaired (U+FFFD) rather than rejected: token lists may hold raw byte strings.
        return String(decoding: slice, as: UTF8.self)
    }
}
