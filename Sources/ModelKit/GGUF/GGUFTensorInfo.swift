import Foundation

/// Where one tensor lives in a GGUF file and how it is stored.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: `dimensions[0]` is the fastest-varying (the row length); a matrix [rows, cols] is stored as [cols, rows].
    public let dimensions: [Int]
    public let type: GGMLType
    /// Byte offset from the start of the file (data section start + stored relative offset).
    public let fileOffset: Int
    public let byteCount: Int

    public var elementCount: Int { dimensions.reduce(1, *) }
    /// Elements per row (`dimensions[0]`).
    public var rowLength: Int { dimensions.first ?? 1 }
    /// Number of rows (product of the other dimensions).
    public var rowCount: Int { dimensions.dropFirst().reduce(1, *) }
    /// Bytes per row.
    public var rowByteCount: Int { byteCount / max(1, rowCount) }
}
