import CKernels
import Foundation

/// A row-major weight matrix kept as stored in the model file (quantized blocks, usually mmapped).
/// Shape: [rows, columns]; each row is `rowByteCount` bytes of `type` blocks.
/// Decode multiplies the quantized rows directly (`multiply(vector:)`); prefill dequantizes row panels (`dequantizeRows`).
/// Q4_1 matrices also keep a copy of their rows repacked for the decode kernel (`PackedQ4_1Rows`): the same bytes
/// per row (for an even block count), laid out so that one core multiplies them 1.5× faster from cache (≈ 1.1× for
/// a whole decode step, where the weights come from memory); prefill keeps reading the file's blocks.
public struct QuantizedMatrix: @unchecked Sendable {
    // @unchecked: points into an immutable mapping owned by the GGUFFile that the model keeps alive.
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let rowByteCount: Int
    public let base: UnsafeRawPointer
    /// The decode copy of a Q4_1 matrix (nil for other types).
    public let packed: PackedQ4_1Rows?

    public init(type: GGMLType, rows: Int, columns: Int, base: UnsafeRawPointer) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowByteCount = type.rowByteCount(elements: columns) ?? 0
        self.base = base
        self.packed = type == .q4_1 && columns % 32 == 0
            ? PackedQ4_1Rows(source: base, sourceRowBytes: rowByteCount, rows: rows, columns: columns) : nil
    }

    /// y[r] = dot(row r, x) for r in `rowRange`.
    /// `x`: [columns]; `blockSums`: [columns / 32], the sums of 32-element groups of x (needed by Q4_1; see `blockSums(of:into:)`);
    /// `rowScratch`: [columns] floats, used only by types without a fused kernel.
    public func multiply(vector x: UnsafePointer<Float>, blockSums: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                         rows rowRange: Range<Int>, rowScratch: UnsafeMutablePointer<Float>) {
        switch type {
        case .q4_1:
            if let packed {
                rag_matvec_q4_1_packed(packed.base, packed.rowByteCount, x, blockSums, y,
                                       Int64(rowRange.lowerBound), Int64(rowRange.upperBound), Int64(columns))
            } else {
                rag_matvec_q4_1(base, rowByteCount, x, blockSums, y, Int64(rowRange.lowerBound), Int64(rowRange.upperBound), Int64(columns))
            }
        case .q8_0:
            rag_matvec_q8_0(base, rowByteCount, x, y, Int64(rowRange.lowerBound), Int64(rowRange.upperBound), Int64(columns))
        case .f32:
            for r in rowRange {
                let row = (base + r * rowByteCount).assumingMemoryBound(to: Float.self)
                y[r] = BLAS.dot(row, x, count: columns)
            }
        default:
            for r in rowRange {
                // Types were validated at load time, so this cannot fail.
                try? Dequantize.row(type, base + r * rowByteCount, rowScratch, count: columns)
                y[r] = BLAS.dot(rowScratch, x, count: columns)
            }
        }
    }

    /// Sums of each group of 32 consecutive elements of x ([count / 32]).
    public static func blockSums(of x: UnsafePointer<Float>, count: Int, into sums: UnsafeMutablePointer<Float>) {
        rag_block_sums_32(x, sums, Int64(count))
    }

    /// Dequantizes rows `rowRange` into `destination` ([rowRange.count, columns], row-major).
    public func dequantizeRows(_ rowRange: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let source = base + rowRange.lowerBound * rowByteCount
        let count = rowRange.count * columns
        switch type {
        case .q4_1: rag_dequantize_q4_1(source, destination, Int64(count))
        case .q8_0: rag_dequantize_q8_0(source, destination, Int64(count))
        case .f32: destination.update(from: source.assumingMemoryBound(to: Float.self), count: count)
        default: try? Dequantize.row(type, source, destination, count: count)
        }
    }

    /// One row as fp32 (e.g. an embedding lookup).
    public func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        dequantizeRows(row..<(row + 1), into: destination)
    }
}

/// Q4_1 rows in the decode layout of `rag_q4_1_pack_rows` (Sources/CKernels/q4_1_packed.c): per row, groups of two
/// blocks, each the nibbles in 16-bit lanes (32 bytes) then the two fp16 scales d and minima m. Owns its memory.
public final class PackedQ4_1Rows: @unchecked Sendable {
    // @unchecked: written once in init, read-only afterwards.
    public let rowByteCount: Int
    public let rows: Int
    public let base: UnsafeMutableRawPointer

    public init(source: UnsafeRawPointer, sourceRowBytes: Int, rows: Int, columns: Int) {
        self.rows = rows
        self.rowByteCount = rag_q4_1_packed_row_bytes(Int64(columns))
        base = UnsafeMutableRawPointer.allocate(byteCount: max(1, rows * rowByteCount), alignment: 64)
        rag_q4_1_pack_rows(source, sourceRowBytes, base, Int64(rows), Int64(columns))
    }

    deinit { base.deallocate() }
}
