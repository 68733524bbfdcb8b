import Foundation

/// A model file that `scripts/setup` extracts into the models directory.
/// Sizes and hashes mirror `scripts/models.lock`, which is the source of truth for setup.
public struct ModelFile: Sendable, Equatable {
    /// Path inside the models directory.
    public let relativePath: String
    public let byteCount: Int64
    public let sha256: String

    public init(relativePath: String, byteCount: Int64, sha256: String) {
        self.relativePath = relativePath
        self.byteCount = byteCount
        self.sha256 = sha256
    }
}

/// The models this project ships with (see `scripts/models.lock`).
public enum KnownModels {
    public static let generator = ModelFile(
        relativePath: "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", byteCount: 98_362_432,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
    public static let embedderWeights = ModelFile(
        relativePath: "minilm/model.safetensors", byteCount: 90_868_376,
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
    public static let embedderVocab = ModelFile(
        relativePath: "minilm/vocab.txt", byteCount: 231_508,
        sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3")
    public static let embedderConfig = ModelFile(
        relativePath: "minilm/config.json", byteCount: 612,
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41")

    /// Name stored in the index `meta` table for the embedder.
    public static let embedderName = "all-MiniLM-L6-v2"
}

public enum ModelLocatorError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case wrongSize(path: String, expected: Int64, actual: Int64)
    case notADirectory(path: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "model file not found: \(path) (run scripts/setup, or point --models / RAG_MODELS at the models directory)"
        case .wrongSize(let path, let expected, let actual):
            return "model file \(path) has \(actual) bytes, expected \(expected): it is truncated or corrupt (run scripts/setup to restore it)"
        case .notADirectory(let path):
            return "models directory \(path) is not a directory (fix --models / RAG_MODELS, or run scripts/setup)"
        }
    }
}

/// The one place that decides where model files live:
/// `--models DIR`, else `$RAG_MODELS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/rag/models`.
public struct ModelLocator: Sendable {
    public let directory: String

    public init(explicitDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicitDirectory, !explicitDirectory.isEmpty {
            directory = explicitDirectory
        } else if let fromEnvironment = environment["RAG_MODELS"], !fromEnvironment.isEmpty {
            directory = fromEnvironment
        } else {
            let cacheHome = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
            directory = cacheHome + "/rag/models"
        }
    }

    /// Absolute path of `file`, after checking that it exists with the expected size.
    /// (The full sha256 check is setup's job; a size check is cheap enough for every start.)
    public func path(of file: ModelFile) throws(ModelLocatorError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .notADirectory(path: directory)
        }
        let path = (directory as NSString).appendingPathComponent(file.relativePath)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.int64Value else {
            throw .missing(path: path)
        }
        guard size == file.byteCount else {
            throw .wrongSize(path: path, expected: file.byteCount, actual: size)
        }
        return path
    }
}
