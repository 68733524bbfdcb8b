import Foundation
import ModelKit
import XCTest

/// Hand-built blocks in ggml's layouts; each test packs chosen integers and checks every element.
final class QuantDequantizeTests: XCTestCase {
    private func half(_ value: Float) -> [UInt8] {
        let bits = Float16(value).bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }

    private func dequantize(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
        try bytes.withUnsafeBytes { try Dequantize.array(type, $0, count: count) }
    }

    /// A deterministic pseudo-random sequence (tests must not depend on global RNG state).
    private func sequence(_ n: Int, seed: UInt64, modulo: Int) -> [Int] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(modulo))
        }
    }

    func testF16BF16F32() throws {
        let f16 = half(1.5) + half(-0.25)
        XCTAssertEqual(try dequantize(.f16, f16, count: 2), [1.5, -0.25])
        let bf16: [UInt8] = [0x80, 0x3F, 0x00, 0xC0]  // 1.0, -2.0
        XCTAssertEqual(try dequantize(.bf16, bf16, count: 2), [1.0, -2.0])
        let f32 = Float.bytes([3.25, -7])
        XCTAssertEqual(try dequantize(.f32, f32, count: 2), [3.25, -7])
    }

    func testQ4_0AndQ4_1() throws {
        let nibbles = sequence(32, seed: 1, modulo: 16)
        var qs = [UInt8](repeating: 0, count: 16)
        for j in 0..<16 { qs[j] = UInt8(nibbles[j]) | UInt8(nibbles[j + 16]) << 4 }
        let q40 = try dequantize(.q4_0, half(0.5) + qs, count: 32)
        XCTAssertEqual(q40, nibbles.map { Float($0 - 8) * 0.5 })
        let q41 = try dequantize(.q4_1, half(0.25) + half(-1.5) + qs, count: 32)
        XCTAssertEqual(q41, nibbles.map { Float($0) * 0.25 - 1.5 })
    }

    func testQ5_0AndQ5_1() throws {
        let values = sequence(32, seed: 2, modulo: 32)
        var qs = [UInt8](repeating: 0, count: 16)
        var qh: UInt32 = 0
        for j in 0..<16 {
            qs[j] = UInt8(values[j] & 15) | UInt8(values[j + 16] & 15) << 4
        }
        for j in 0..<32 where values[j] & 16 != 0 { qh |= 1 << UInt32(j) }
        let qhBytes = (0..<4).map { UInt8((qh >> (8 * UInt32($0))) & 0xFF) }
        let q50 = try dequantize(.q5_0, half(2) + qhBytes + qs, count: 32)
        XCTAssertEqual(q50, values.map { Float($0 - 16) * 2 })
        let q51 = try dequantize(.q5_1, half(0.5) + half(3) + qhBytes + qs, count: 32)
        XCTAssertEqual(q51, values.map { Float($0) * 0.5 + 3 })
    }

    func testQ8_0() throws {
        let values = sequence(64, seed: 3, modulo: 256).map { $0 - 128 }
        let block0 = half(0.125) + values[0..<32].map { UInt8(bitPattern: Int8($0)) }
        let block1 = half(-2) + values[32..<64].map { UInt8(bitPattern: Int8($0)) }
        let out = try dequantize(.q8_0, block0 + block1, count: 64)
        XCTAssertEqual(Array(out[0..<32]), values[0..<32].map { Float($0) * 0.125 })
        XCTAssertEqual(Array(out[32..<64]), values[32..<64].map { Float($0) * -2 })
    }

    /// Packs eight 6-bit (scale, min) pairs the way ggml's Q4_K/Q5_K quantizers do.
    private func packScalesK4(_ scales: [Int], _ mins: [Int]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 12)
        for j in 0..<8 {
            if j < 4 {
                out[j] = UInt8(scales[j])
                out[j + 4] = UInt8(mins[j])
            } else {
                out[j + 4] = UInt8(scales[j] & 0xF) | UInt8(mins[j] & 0xF) << 4
                out[j - 4] |= UInt8(scales[j] >> 4) << 6
                out[j] |= UInt8(mins[j] >> 4) << 6
            }
        }
        return out
    }

    func testQ4_K() throws {
        let scales = sequence(8, seed: 4, modulo: 64)
        let mins = sequence(8, seed: 5, modulo: 64)
        let quants = sequence(256, seed: 6, modulo: 16)
        // Element 64c + l (l < 32) is the low nibble of qs[32c + l]; element 64c + 32 + l is its high nibble.
        var qs = [UInt8](repeating: 0, count: 128)
        for c in 0..<4 {
            for l in 0..<32 { qs[32 * c + l] = UInt8(quants[64 * c + l]) | UInt8(quants[64 * c + 32 + l]) << 4 }
        }
        let d: Float = 0.5, dmin: Float = 0.25
        let out = try dequantize(.q4_K, half(d) + half(dmin) + packScalesK4(scales, mins) + qs, count: 256)
        for i in 0..<256 {
            let sub = i / 32
            XCTAssertEqual(out[i], d * Float(scales[sub]) * Float(quants[i]) - dmin * Float(mins[sub]), "element \(i)")
        }
    }

    func testQ5_K() throws {
        let scales = sequence(8, seed: 7, modulo: 64)
        let mins = sequence(8, seed: 8, modulo: 64)
        let quants = sequence(256, seed: 9, modulo: 32)
        var qs = [UInt8](repeating: 0, count: 128)
        var qh = [UInt8](repeating: 0, count: 32)
        for c in 0..<4 {
            for l in 0..<32 {
                let lo = quants[64 * c + l], hi = quants[64 * c + 32 + l]
                qs[32 * c + l] = UInt8(lo & 15) | UInt8(hi & 15) << 4
                if lo & 16 != 0 { qh[l] |= 1 << UInt8(2 * c) }
                if hi & 16 != 0 { qh[l] |= 1 << UInt8(2 * c + 1) }
            }
        }
        let d: Float = 0.125, dmin: Float = 1
        let out = try dequantize(.q5_K, half(d) + half(dmin) + packScalesK4(scales, mins) + qh + qs, count: 256)
        for i in 0..<256 {
            let sub = i / 32
            XCTAssertEqual(out[i], d * Float(scales[sub]) * Float(quants[i]) - dmin * Float(mins[sub]), "element \(i)")
        }
    }

    func testQ6_K() throws {
        let quants = sequence(256, seed: 10, modulo: 64)
        let scales = sequence(16, seed: 11, modulo: 256).map { $0 - 128 }
        var ql = [UInt8](repeating: 0, count: 128)
        var qh = [UInt8](repeating: 0, count: 64)
        // In each half of 128: element l, l+32, l+64, l+96 share ql[l], ql[l+32] nibbles and qh[l] 2-bit fields.
        for h in 0..<2 {
            for l in 0..<32 {
                let q = (0..<4).map { quants[128 * h + l + 32 * $0] }
                ql[64 * h + l] = UInt8(q[0] & 15) | UInt8(q[2] & 15) << 4
                ql[64 * h + l + 32] = UInt8(q[1] & 15) | UInt8(q[3] & 15) << 4
                qh[32 * h + l] = UInt8(q[0] >> 4) | UInt8(q[1] >> 4) << 2 | UInt8(q[2] >> 4) << 4 | UInt8(q[3] >> 4) << 6
            }
        }
        let d: Float = 0.0625
        let bytes = ql + qh + scales.map { UInt8(bitPattern: Int8($0)) } + half(d)
        XCTAssertEqual(bytes.count, GGMLType.q6_K.typeSize)
        let out = try dequantize(.q6_K, bytes, count: 256)
        for i in 0..<256 {
            XCTAssertEqual(out[i], d * Float(scales[i / 16]) * Float(quants[i] - 32), "element \(i)")
        }
    }

    func testRejectsPartialBlocksAndUnsupportedTypes() {
        XCTAssertThrowsError(try dequantize(.q8_0, [UInt8](repeating: 0, count: 34), count: 16))
        XCTAssertThrowsError(try dequantize(.q2_K, [UInt8](repeating: 0, count: 84), count: 256))
    }
}
