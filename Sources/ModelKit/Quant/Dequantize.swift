import Foundation

/// Scalar reference dequantizers for ggml block formats (layouts from ggml-common.h).
/// These are the "twins" that SIMD kernels are tested against, and the panel dequantizer for prefill.
public enum Dequantize {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unsupported(GGMLType)
        case partialBlock(type: GGMLType, elements: Int)

        public var description: String {
            switch self {
            case .unsupported(let type):
                return "dequantizing \(type) tensors is not supported (use F32/F16/BF16/Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q5_K/Q6_K)"
            case .partialBlock(let type, let elements):
                return "\(elements) elements are not a whole number of \(type) blocks of \(type.blockSize)"
            }
        }
    }

    /// Types with a dequantizer here.
    public static let supported: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// Dequantizes `count` elements stored as `type` at `source` into `destination`.
    /// `source` must hold `count / type.blockSize * type.typeSize` bytes.
    public static func row(_ type: GGMLType, _ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, count: Int) throws(Failure) {
        guard supported.contains(type) else { throw .unsupported(type) }
        guard count % type.blockSize == 0 else { throw .partialBlock(type: type, elements: count) }
        let blocks = count / type.blockSize
        for b in 0..<blocks {
            let block = source + b * type.typeSize
            let out = destination + b * type.blockSize
            switch type {
            case .f32: out.pointee = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
            case .f16: out.pointee = block.half(at: 0)
            case .bf16: out.pointee = bfloat16ToFloat(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
            case .q4_0: q4_0(block, out)
            case .q4_1: q4_1(block, out)
            case .q5_0: q5_0(block, out)
            case .q5_1: q5_1(block, out)
            case .q8_0: q8_0(block, out)
            case .q4_K: q4_K(block, out)
            case .q5_K: q5_K(block, out)
            case .q6_K: q6_K(block, out)
            default: throw .unsupported(type)
            }
        }
    }

    /// Convenience: dequantizes a whole buffer into a new array.
    public static func array(_ type: GGMLType, _ bytes: UnsafeRawBufferPointer, count: Int) throws(Failure) -> [Float] {
        var result = [Float](repeating: 0, count: count)
        guard count > 0, let base = bytes.baseAddress else { return result }
        try result.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<Float>) throws(Failure) in
            try row(type, base, out.baseAddress!, count: count)
        }
        return result
    }

    // MARK: 32-element blocks

    /// Q4_0: d f16, qs[16]; element j = (low nibble of qs[j] − 8)·d, element j+16 = (high nibble − 8)·d.
    static func q4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 0)
        for j in 0..<16 {
            let q = block.byte(at: 2 + j)
            out[j] = Float(Int(q & 0x0F) - 8) * d
            out[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    /// Q4_1: d f16, m f16, qs[16]; element = nibble·d + m.
    static func q4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 0)
        let m = block.half(at: 2)
        for j in 0..<16 {
            let q = block.byte(at: 4 + j)
            out[j] = Float(q & 0x0F) * d + m
            out[j + 16] = Float(q >> 4) * d + m
        }
    }

    /// Q5_0: d f16, qh u32 (fifth bits), qs[16]; element = (5-bit value − 16)·d.
    static func q5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 0)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let q = block.byte(at: 6 + j)
            let high0 = Int((qh >> UInt32(j)) & 1) << 4
            let high1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = Float((Int(q & 0x0F) | high0) - 16) * d
            out[j + 16] = Float((Int(q >> 4) | high1) - 16) * d
        }
    }

    /// Q5_1: d f16, m f16, qh u32, qs[16]; element = 5-bit value·d + m.
    static func q5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 0)
        let m = block.half(at: 2)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let q = block.byte(at: 8 + j)
            let high0 = Int((qh >> UInt32(j)) & 1) << 4
            let high1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = Float(Int(q & 0x0F) | high0) * d + m
            out[j + 16] = Float(Int(q >> 4) | high1) * d + m
        }
    }

    /// Q8_0: d f16, qs[32] int8; element = q·d.
    static func q8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 0)
        for j in 0..<32 {
            out[j] = Float(Int8(bitPattern: block.byte(at: 2 + j))) * d
        }
    }

    // MARK: 256-element super-blocks

    /// The 6-bit scale and min of sub-block `j` (0..<8) packed in the 12 `scales` bytes of Q4_K/Q5_K.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ scales: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (scales.byte(at: j) & 63, scales.byte(at: j + 4) & 63)
        }
        let scale = (scales.byte(at: j + 4) & 0x0F) | ((scales.byte(at: j - 4) >> 6) << 4)
        let min = (scales.byte(at: j + 4) >> 4) | ((scales.byte(at: j) >> 6) << 4)
        return (scale, min)
    }

    /// Q4_K: d f16, dmin f16, scales[12], qs[128]. Eight sub-blocks of 32: element = d·scale·q − dmin·min.
    static func q4_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 0)
        let dmin = block.half(at: 2)
        let scales = block + 4
        let qs = block + 16
        for chunk in 0..<4 {  // 64 elements: low nibbles of 32 bytes, then high nibbles
            let (sc0, m0) = scaleMinK4(2 * chunk, scales)
            let (sc1, m1) = scaleMinK4(2 * chunk + 1, scales)
            let d0 = d * Float(sc0), min0 = dmin * Float(m0)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            for l in 0..<32 {
                let q = qs.byte(at: 32 * chunk + l)
                out[64 * chunk + l] = d0 * Float(q & 0x0F) - min0
                out[64 * chunk + 32 + l] = d1 * Float(q >> 4) - min1
            }
        }
    }

    /// Q5_K: d f16, dmin f16, scales[12], qh[32], qs[128]; like Q4_K with a fifth bit from qh.
    static func q5_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 0)
        let dmin = block.half(at: 2)
        let scales = block + 4
        let qh = block + 16
        let qs = block + 48
        for chunk in 0..<4 {
            let (sc0, m0) = scaleMinK4(2 * chunk, scales)
            let (sc1, m1) = scaleMinK4(2 * chunk + 1, scales)
            let d0 = d * Float(sc0), min0 = dmin * Float(m0)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let bit0 = UInt8(1) << UInt8(2 * chunk)
            let bit1 = UInt8(2) << UInt8(2 * chunk)
            for l in 0..<32 {
                let q = qs.byte(at: 32 * chunk + l)
                let h = qh.byte(at: l)
                out[64 * chunk + l] = d0 * Float(Int(q & 0x0F) + (h & bit0 != 0 ? 16 : 0)) - min0
                out[64 * chunk + 32 + l] = d1 * Float(Int(q >> 4) + (h & bit1 != 0 ? 16 : 0)) - min1
            }
        }
    }

    /// Q6_K: ql[128], qh[64], scales[16] int8, d f16. Sixteen sub-blocks of 16: element = d·scale·(6-bit q − 32).
    static func q6_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: 208)
        for half in 0..<2 {  // two halves of 128 elements
            let ql = block + 64 * half
            let qh = block + 128 + 32 * half
            let scales = block + 192 + 8 * half
            let y = out + 128 * half
            for l in 0..<32 {
                let s = l / 16
                let h = qh.byte(at: l)
                let q1 = Int((ql.byte(at: l) & 0x0F) | ((h & 3) << 4)) - 32
                let q2 = Int((ql.byte(at: l + 32) & 0x0F) | (((h >> 2) & 3) << 4)) - 32
                let q3 = Int((ql.byte(at: l) >> 4) | (((h >> 4) & 3) << 4)) - 32
                let q4 = Int((ql.byte(at: l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32
                func scale(_ i: Int) -> Float { Float(Int8(bitPattern: scales.byte(at: i))) }
                y[l] = d * scale(s) * Float(q1)
                y[l + 32] = d * scale(s + 2) * Float(q2)
                y[l + 64] = d * scale(s + 4) * Float(q3)
                y[l + 96] = d * scale(s + 6) * Float(q4)
            }
        }
    }
}
