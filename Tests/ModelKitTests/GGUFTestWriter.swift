import Foundation
import ModelKit

/// Builds small GGUF files in memory for tests (the inverse of `GGUFFile`'s parser).
struct GGUFTestWriter {
    enum Value {
        case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
        case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
        case array(elementType: UInt32, [Value])

        var typeCode: UInt32 {
            switch self {
            case .uint8: return 0
            case .int8: return 1
            case .uint16: return 2
            case .int16: return 3
            case .uint32: return 4
            case .int32: return 5
            case .float32: return 6
            case .bool: return 7
            case .string: return 8
            case .array: return 9
            case .uint64: return 10
            case .int64: return 11
            case .float64: return 12
            }
        }
    }

    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var type: UInt32
        var data: [UInt8]
    }

    var version: UInt32 = 3
    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []
    var alignment = 32

    static func strings(_ values: [String]) -> Value { .array(elementType: 8, values.map { .string($0) }) }
    static func int32s(_ values: [Int32]) -> Value { .array(elementType: 5, values.map { .int32($0) }) }

    /// Tensor data offsets to write instead of the computed ones (hostile files).
    var offsetOverrides: [String: UInt64] = [:]

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        func putValue(_ v: Value) {
            switch v {
            case .uint8(let x): put(x)
            case .int8(let x): put(x)
            case .uint16(let x): put(x)
            case .int16(let x): put(x)
            case .uint32(let x): put(x)
            case .int32(let x): put(x)
            case .float32(let x): put(x.bitPattern)
            case .bool(let x): put(UInt8(x ? 1 : 0))
            case .string(let x): putString(x)
            case .uint64(let x): put(x)
            case .int64(let x): put(x)
            case .float64(let x): put(x.bitPattern)
            case .array(let elementType, let items):
                put(elementType)
                put(UInt64(items.count))
                for item in items { putValue(item) }
            }
        }
        out.append(contentsOf: Array("GGUF".utf8))
        put(version)
        put(UInt64(tensors.count))
        put(UInt64(metadata.count))
        for (key, value) in metadata {
            putString(key)
            put(value.typeCode)
            putValue(value)
        }
        var offsets: [UInt64] = []
        var running = 0
        for t in tensors {
            offsets.append(UInt64(running))
            running += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, offset) in zip(tensors, offsets) {
            putString(t.name)
            put(UInt32(t.dimensions.count))
            for d in t.dimensions { put(d) }
            put(t.type)
            put(offsetOverrides[t.name] ?? offset)
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out.append(contentsOf: t.data)
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }

    /// Writes the file to a fresh temporary path and returns the path.
    func write() throws -> String {
        try Self.write(bytes())
    }

    static func write(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-test-\(UUID().uuidString).gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension Float {
    /// Little-endian bytes of an array of floats (F32 tensor data).
    static func bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }
}
