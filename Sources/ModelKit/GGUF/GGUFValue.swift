import Foundation

/// One metadata value of a GGUF file, with its stored type.
public indirect enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The value as an integer, for any integer type that fits in `Int`.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a float, for float types and integers.
    public var floatValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return intValue.map(Double.init)
        }
    }
}

/// A typed GGUF array. Elements of one array share one type.
public enum GGUFArray: Equatable, Sendable {
    case uint8([UInt8])
    case int8([Int8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case float32([Float])
    case bool([Bool])
    case string([String])
    case uint64([UInt64])
    case int64([Int64])
    case float64([Double])
    /// Arrays of arrays (rare; allowed by the format).
    case array([GGUFArray])

    public var count: Int {
        switch self {
        case .uint8(let a): return a.count
        case .int8(let a): return a.count
        case .uint16(let a): return a.count
        case .int16(let a): return a.count
        case .uint32(let a): return a.count
        case .int32(let a): return a.count
        case .float32(let a): return a.count
        case .bool(let a): return a.count
        case .string(let a): return a.count
        case .uint64(let a): return a.count
        case .int64(let a): return a.count
        case .float64(let a): return a.count
        case .array(let a): return a.count
        }
    }

    /// Integer elements as `Int` (nil for non-integer arrays or values that do not fit).
    public var intValues: [Int]? {
        switch self {
        case .uint8(let a): return a.map(Int.init)
        case .int8(let a): return a.map(Int.init)
        case .uint16(let a): return a.map(Int.init)
        case .int16(let a): return a.map(Int.init)
        case .uint32(let a): return a.map(Int.init)
        case .int32(let a): return a.map(Int.init)
        case .int64(let a): return a.map(Int.init)
        case .uint64(let a):
            var result: [Int] = []
            result.reserveCapacity(a.count)
            for v in a { guard let i = Int(exactly: v) else { return nil }; result.append(i) }
            return result
        default: return nil
        }
    }

    public var floatValues: [Float]? {
        switch self {
        case .float32(let a): return a
        case .float64(let a): return a.map(Float.init)
        default: return nil
        }
    }
}

/// The value type codes of the GGUF format.
enum GGUFValueType: UInt32 {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Smallest encoded size of one element; used to reject absurd array counts before allocating.
    var minimumEncodedSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }
}
