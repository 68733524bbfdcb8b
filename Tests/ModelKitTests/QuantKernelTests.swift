import CKernels
import Foundation
import ModelKit
import XCTest

/// The C kernels (SIMD and portable paths) against their scalar Swift twins.
final class QuantKernelTests: XCTestCase {
    override func tearDown() { _ = rag_simd_set_level(2) }

    private struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func float(_ range: ClosedRange<Float>) -> Float {
            range.lowerBound + (range.upperBound - range.lowerBound) * Float(next() % 1_000_000) / 1_000_000
        }
    }

    /// Random blocks of `type` with small finite fp16 scales.
    private func randomMatrix(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
        var g = Generator(state: seed)
        let blocks = rows * columns / 32
        var bytes: [UInt8] = []
        for _ in 0..<blocks {
            let d = Float16(g.float(0.001...0.05)).bitPattern
            bytes += [UInt8(d & 0xFF), UInt8(d >> 8)]
            if type == .q4_1 {
                let m = Float16(g.float(-0.2...0.2)).bitPattern
                bytes += [UInt8(m & 0xFF), UInt8(m >> 8)]
                bytes += (0..<16).map { _ in UInt8(g.next() & 0xFF) }
            } else {
                bytes += (0..<32).map { _ in UInt8(g.next() & 0xFF) }
            }
        }
        return bytes
    }

    /// level: 0 portable, 1 AVX2, 2 AVX-512 (capped by the CPU).
    /// Q4_1 decode runs on the packed copy of the rows (`PackedQ4_1Rows`), so this also checks the packing:
    /// 37 rows (the two-row kernel's single-row tail), 3 blocks (an odd count: a half group), and with
    /// `columns: 2240` 70 blocks (more than one chunk of scales).
    private func check(_ type: GGMLType, level: Int, columns: Int = 96) throws {
        let simd = rag_simd_set_level(Int32(level))
        let rows = 37
        let bytes = randomMatrix(type, rows: rows, columns: columns, seed: type == .q4_1 ? 1 : 2)
        var g = Generator(state: 9)
        let x = (0..<columns).map { _ in g.float(-2...2) }
        var sums = [Float](repeating: 0, count: columns / 32)
        var y = [Float](repeating: .nan, count: rows)
        var scratch = [Float](repeating: 0, count: columns)
        try bytes.withUnsafeBytes { raw in
            let matrix = QuantizedMatrix(type: type, rows: rows, columns: columns, base: raw.baseAddress!)
            QuantizedMatrix.blockSums(of: x, count: columns, into: &sums)
            // Rows split in two ranges, as the threads do.
            matrix.multiply(vector: x, blockSums: sums, into: &y, rows: 0..<20, rowScratch: &scratch)
            matrix.multiply(vector: x, blockSums: sums, into: &y, rows: 20..<rows, rowScratch: &scratch)
            for r in 0..<rows {
                let row = raw.baseAddress! + r * matrix.rowByteCount
                let expected = try QuantDotReference.dot(type, row: row, x: x, count: columns)
                var magnitude = 0.0
                let weights = try Dequantize.array(type, UnsafeRawBufferPointer(start: row, count: matrix.rowByteCount), count: columns)
                for i in 0..<columns { magnitude += abs(Double(weights[i]) * Double(x[i])) }
                XCTAssertEqual(Double(y[r]), expected, accuracy: 1e-5 * magnitude + 1e-6, "\(type) row \(r) level=\(simd)")
            }
            // Panel dequantization equals the scalar twin exactly.
            var panel = [Float](repeating: .nan, count: 5 * columns)
            matrix.dequantizeRows(3..<8, into: &panel)
            let reference = try Dequantize.array(type, UnsafeRawBufferPointer(start: raw.baseAddress! + 3 * matrix.rowByteCount, count: 5 * matrix.rowByteCount), count: 5 * columns)
            XCTAssertEqual(panel, reference, "\(type) dequantize level=\(simd)")
        }
    }

    func testQ4_1KernelsMatchScalarTwin() throws {
        for level in 0...2 {
            try check(.q4_1, level: level)
            try check(.q4_1, level: level, columns: 2240)
            try check(.q4_1, level: level, columns: 64)
        }
    }

    func testQ8_0KernelsMatchScalarTwin() throws {
        for level in 0...2 { try check(.q8_0, level: level) }
    }

    func testPackedQ4_1RowsKeepTheFileSizeForEvenBlockCounts() throws {
        XCTAssertEqual(rag_q4_1_packed_row_bytes(576), 18 * 20)
        XCTAssertEqual(rag_q4_1_packed_row_bytes(96), 2 * 40)   // odd: the last group has an empty second block
        let bytes = randomMatrix(.q4_1, rows: 2, columns: 64, seed: 5)
        try bytes.withUnsafeBytes { raw in
            let matrix = QuantizedMatrix(type: .q4_1, rows: 2, columns: 64, base: raw.baseAddress!)
            let packed = try XCTUnwrap(matrix.packed)
            XCTAssertEqual(packed.rowByteCount, 40)
            // Element 17 of block 1 of row 1: the high nibble of its byte 1; packed: lane 1, nibble 3 of group 0.
            let source = raw.baseAddress! + 40 + 20
            let expected = (source.load(fromByteOffset: 4 + 1, as: UInt8.self) >> 4) & 0x0F
            let lane = (packed.base + 40).load(fromByteOffset: 2, as: UInt16.self)
            XCTAssertEqual(UInt8((lane >> 12) & 0x0F), expected)
        }
    }

    func testSimdPathIsUsedOnThisMachine() throws {
        guard rag_cpu_has_avx2_fma() == 1 else { throw XCTSkip("CPU without AVX2/FMA: only the portable path runs") }
        XCTAssertGreaterThanOrEqual(rag_simd_level(), 1)
    }

    func testBlockSums() {
        let x = (0..<64).map { Float($0) }
        var sums = [Float](repeating: 0, count: 2)
        QuantizedMatrix.blockSums(of: x, count: 64, into: &sums)
        XCTAssertEqual(sums, [496, 1520])
    }
}
