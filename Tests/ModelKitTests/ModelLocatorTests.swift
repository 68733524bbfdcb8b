import Foundation
import ModelKit
import XCTest

final class ModelLocatorTests: XCTestCase {
    func testPrecedenceExplicitThenEnvironmentThenDefault() {
        XCTAssertEqual(ModelLocator(explicitDirectory: "/a", environment: ["RAG_MODELS": "/b"]).directory, "/a")
        XCTAssertEqual(ModelLocator(explicitDirectory: nil, environment: ["RAG_MODELS": "/b"]).directory, "/b")
        XCTAssertEqual(ModelLocator(explicitDirectory: nil, environment: ["HOME": "/home/u"]).directory, "/home/u/.cache/rag/models")
        XCTAssertEqual(ModelLocator(explicitDirectory: nil, environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/c"]).directory, "/c/rag/models")
    }

    func testMissingFileNamesSetup() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rag-models-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let locator = ModelLocator(explicitDirectory: dir, environment: [:])
        XCTAssertThrowsError(try locator.path(of: KnownModels.generator)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("scripts/setup"), message)
            XCTAssertTrue(message.contains("SmolLM2-135M-Instruct.Q4_1.gguf"), message)
        }
    }

    func testTruncatedFileIsRejected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rag-models-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent(KnownModels.embedderConfig.relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(repeating: 0x20, count: 100).write(to: file)
        let locator = ModelLocator(explicitDirectory: dir.path, environment: [:])
        XCTAssertThrowsError(try locator.path(of: KnownModels.embedderConfig)) { error in
            XCTAssertEqual(error as? ModelLocatorError,
                           .wrongSize(path: file.path, expected: KnownModels.embedderConfig.byteCount, actual: 100))
            XCTAssertTrue(String(describing: error).contains("scripts/setup"))
        }
    }

    func testModelsDirectoryThatIsAFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rag-not-a-dir-\(UUID())")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let locator = ModelLocator(explicitDirectory: file.path, environment: [:])
        XCTAssertThrowsError(try locator.path(of: KnownModels.generator)) { error in
            XCTAssertEqual(error as? ModelLocatorError, .notADirectory(path: file.path))
        }
    }
}
