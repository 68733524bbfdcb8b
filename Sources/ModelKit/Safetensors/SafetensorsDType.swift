/// Element types of the safetensors format (the `dtype` field of the header).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case uint8 = "U8", int8 = "I8"
    case int16 = "I16", uint16 = "U16"
    case float16 = "F16", bfloat16 = "BF16"
    case int32 = "I32", uint32 = "U32", float32 = "F32"
    case int64 = "I64", uint64 = "U64", float64 = "F64"

    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }
}
