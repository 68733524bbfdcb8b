import Foundation

/// Why a safetensors file could not be read. Every message names the file and what to do.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, detail: String)
    case badHeader(path: String, detail: String)
    case badTensor(path: String, tensor: String, detail: String)
    case missingTensor(path: String, tensor: String)
    case unexpectedShape(path: String, tensor: String, expected: [Int], actual: [Int])
    case unexpectedDType(path: String, tensor: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open safetensors file \(path): \(reason)"
        case .truncated(let path, let detail):
            return "safetensors file \(path) is truncated (\(detail)); re-download or run scripts/setup to restore it"
        case .badHeader(let path, let detail):
            return "safetensors file \(path) has a corrupt header (\(detail)); re-download or run scripts/setup to restore it"
        case .badTensor(let path, let tensor, let detail):
            return "safetensors file \(path): tensor '\(tensor)' is invalid (\(detail)); the file is corrupt, run scripts/setup to restore it"
        case .missingTensor(let path, let tensor):
            return "safetensors file \(path) has no tensor '\(tensor)': it is not the expected model (run scripts/setup)"
        case .unexpectedShape(let path, let tensor, let expected, let actual):
            return "safetensors file \(path): tensor '\(tensor)' has shape \(actual), expected \(expected): the file does not match its config.json"
        case .unexpectedDType(let path, let tensor, let expected, let actual):
            return "safetensors file \(path): tensor '\(tensor)' has dtype \(actual), expected \(expected)"
        }
    }
}
