import Foundation

/// Why a GGUF file could not be read. Every message names the file and what to do.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notGGUF(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, offset: Int, needed: Int)
    case corrupt(path: String, reason: String)
    case unsupportedTensorType(path: String, tensor: String, rawType: UInt32)
    case missingKey(path: String, key: String)
    case missingTensor(path: String, name: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open GGUF file \(path): \(reason) (check the path and permissions)"
        case .notGGUF(let path):
            return "\(path) is not a GGUF file (wrong magic bytes; point at a .gguf model or run scripts/setup)"
        case .unsupportedVersion(let path, let version):
            return "GGUF file \(path) has version \(version); only versions 2 and 3 are supported (re-export the model as GGUF v3)"
        case .truncated(let path, let offset, let needed):
            return "GGUF file \(path) is truncated: needed \(needed) bytes at offset \(offset) (re-download it or run scripts/setup)"
        case .corrupt(let path, let reason):
            return "GGUF file \(path) is corrupt: \(reason) (re-download it or run scripts/setup)"
        case .unsupportedTensorType(let path, let tensor, let rawType):
            return "GGUF file \(path): tensor '\(tensor)' has unsupported ggml type \(rawType) (use a model quantized as F32/F16/BF16/Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q5_K/Q6_K)"
        case .missingKey(let path, let key):
            return "GGUF file \(path) has no metadata key '\(key)' (the model file does not match what this program expects)"
        case .missingTensor(let path, let name):
            return "GGUF file \(path) has no tensor '\(name)' (the model file does not match what this program expects)"
        }
    }
}
