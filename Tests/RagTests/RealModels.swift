import Foundation
import XCTest

/// The installed models, for the tests that run them through the `rag` binary (skipped when they are absent;
/// CI always has them).
enum RealModels {
    /// `$RAG_MODELS`, else `~/.cache/rag/models` (what `rag` itself uses).
    static var directory: String {
        ProcessInfo.processInfo.environment["RAG_MODELS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache/rag/models")
    }

    static func require() throws {
        for file in ["smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "minilm/model.safetensors", "minilm/vocab.txt", "minilm/config.json"] {
            guard FileManager.default.fileExists(atPath: directory + "/" + file) else {
                throw XCTSkip("model file \(file) is not installed in \(directory) (run scripts/setup)")
            }
        }
    }

    /// The checkout the tests run in (its `corpora/`, `eval/`, `scripts/`).
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
