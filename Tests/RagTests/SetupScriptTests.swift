import Foundation
import XCTest

/// `scripts/setup --check` must notice a corrupted or truncated model file.
final class SetupScriptTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func runCheck(models: URL) throws -> (Int32, String) {
        try runSetup(["--check"], models: models.path)
    }

    func runSetup(_ arguments: [String], models: String?) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.packageRoot.appendingPathComponent("scripts/setup").path] + arguments
        var env = ProcessInfo.processInfo.environment
        if let models { env["RAG_MODELS"] = models }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Writes the small embedder files with the right size but wrong/truncated content.
    func testCheckDetectsMissingTruncatedAndCorruptFiles() throws {
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("rag-setup-\(UUID())")
        defer { try? FileManager.default.removeItem(at: models) }
        try FileManager.default.createDirectory(at: models.appendingPathComponent("minilm"), withIntermediateDirectories: true)
        // Right size, wrong bytes: only the hash can tell.
        try Data(repeating: 0x41, count: 612).write(to: models.appendingPathComponent("minilm/config.json"))
        // Truncated.
        try Data(repeating: 0x41, count: 1000).write(to: models.appendingPathComponent("minilm/vocab.txt"))

        let (status, stderr) = try runCheck(models: models)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(stderr.contains("config.json fails its sha256 check"), stderr)
        XCTAssertTrue(stderr.contains("vocab.txt has 1000 bytes, expected 231508"), stderr)
        XCTAssertTrue(stderr.contains("missing model file"), stderr)
    }

    /// With every model in place, setup has nothing to do and says nothing (no download, no extraction).
    func testSetupIsQuietWhenEverythingIsInPlace() throws {
        let (checkStatus, _) = try runSetup(["--check"], models: nil)
        try XCTSkipIf(checkStatus != 0, "models are not installed here; run scripts/setup")
        let (status, output) = try runSetup(["--no-build"], models: nil)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(output, "", "a setup run with everything in place must be silent")
    }
}
