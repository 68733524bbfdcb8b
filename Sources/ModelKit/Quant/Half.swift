import Foundation

/// Half-precision conversions for block scales (IEEE fp16 and bfloat16), read from unaligned bytes.
@inline(__always)
public func halfToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

@inline(__always)
public func bfloat16ToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

extension UnsafeRawPointer {
    @inline(__always)
    func half(at offset: Int) -> Float {
        halfToFloat(UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    func byte(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }
}
