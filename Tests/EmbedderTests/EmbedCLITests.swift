import Foundation
import Index
import XCTest

/// `rag embed`, `rag tokenize --embedder` and `rag bench embed`, run as a user runs them (the built binary).
final class EmbedCLITests: XCTestCase {
    private struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `.build/<config>/rag` (built next to the test bundle) with output captured in files.
    private func rag(_ arguments: [String]) throws -> Result {
        let binary = Bundle.main.bundleURL.appendingPathComponent("rag")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("rag binary not built at \(binary.path)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rag-embed-cli-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
        XCTAssertTrue(FileManager.default.createFile(atPath: out.path, contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: err.path, contents: nil))
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: out, encoding: .utf8),
                      stderr: try String(contentsOf: err, encoding: .utf8))
    }

    func testTokenizeEmbedderPrintsModelInputIds() throws {
        try EmbedderFixtures.requireModel()
        let result = try rag(["tokenize", "--embedder", "Hello, WORLD x[SEP]y"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "[101, 7592, 1010, 2088, 1060, 102, 1061, 102]\n")
    }

    func testTokenizeEmbedderTruncatesLikeTheModel() throws {
        try EmbedderFixtures.requireModel()
        let result = try rag(["tokenize", "--embedder", String(repeating: "word ", count: 300)])
        XCTAssertEqual(result.status, 0, result.stderr)
        let ids = try JSONDecoder().decode([Int32].self, from: Data(result.stdout.utf8))
        XCTAssertEqual(ids.count, 256)
        XCTAssertEqual(ids.first, 101)
        XCTAssertEqual(ids.last, 102)
    }

    func testEmbedPrintsTheReferenceVector() throws {
        try EmbedderFixtures.requireModel()
        let reference = try EmbedderFixtures.jsonLines("minilm/reference.jsonl", as: EmbedderFixtures.ReferenceCase.self)
            .first { $0.text == "hello" }
        let result = try rag(["embed", "hello"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let vector = try JSONDecoder().decode([Float].self, from: Data(result.stdout.utf8))
        XCTAssertEqual(vector.count, 384)
        if let reference {
            XCTAssertGreaterThanOrEqual(cosine(vector, reference.embedding), 0.999999)
        }
        let int8 = try rag(["embed", "--int8", "hello"])
        XCTAssertEqual(int8.status, 0, int8.stderr)
        let quantized = try JSONDecoder().decode([Float].self, from: Data(int8.stdout.utf8))
        XCTAssertGreaterThanOrEqual(cosine(vector, quantized), 0.999)
    }

    func testMissingModelsFailWithSetupHint() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("rag-no-models-\(UUID())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        for arguments in [["embed", "x"], ["tokenize", "--embedder", "x"]] {
            let result = try rag(["--models", empty.path] + arguments)
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderr.contains("scripts/setup"), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
    }

    func testBenchEmbedReportsJSON() throws {
        try EmbedderFixtures.requireModel()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rag-bench-\(UUID()).jsonl")
        try Data(#"{"id": 0, "text": "SQLite is a small database."}\#n{"id": 1, "text": "WAL mode."}\#n"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try rag(["bench", "embed", "--file", file.path, "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(report?["chunks"] as? Int, 2)
        XCTAssertEqual(report?["threads"] as? Int, 1)
        XCTAssertEqual(report?["embedder"] as? String, "all-MiniLM-L6-v2")
        for key in ["chunksPerSecond", "tokensPerSecond", "seconds", "queryLatencyMs"] {
            XCTAssertNotNil(report?[key] as? Double, key)
        }

        let missing = try rag(["bench", "embed", "--file", file.path + ".absent"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains(".absent"), missing.stderr)
        let badThreads = try rag(["bench", "embed", "--threads", "zero"])
        XCTAssertEqual(badThreads.status, 2)
    }
}
