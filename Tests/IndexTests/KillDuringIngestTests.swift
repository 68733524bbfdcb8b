import Foundation
import Index
import XCTest

/// `kill -9` in the middle of an ingest, then a re-run: the index must be complete, without duplicates
/// or orphans, and pass `PRAGMA integrity_check`. The ingest runs in a child process: this test binary
/// itself, started on `testChildIngest` with the corpus and database in its environment.
final class KillDuringIngestTests: XCTestCase {
    static let corpusVariable = "RAG_KILL_TEST_CORPUS"
    static let databaseVariable = "RAG_KILL_TEST_DB"
    static let fileCount = 60

    /// The child: a slow ingest (a pause per embedder call, one transaction per two chunks).
    func testChildIngest() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let corpus = environment[Self.corpusVariable], let database = environment[Self.databaseVariable] else {
            throw XCTSkip("helper of testKillNineThenRerunLeavesACompleteIndex; runs only as its child process")
        }
        let store = try IndexStore(path: database, mode: .readWrite)
        let pipeline = IngestPipeline(store: store, embedder: FakeEmbedder(delayPerCall: 0.03), counter: FakeTokenCounter(maxTokens: 64),
                                      options: IngestOptions(embedBatchSize: 2))
        _ = try pipeline.run(roots: [corpus])
    }

    func testKillNineThenRerunLeavesACompleteIndex() throws {
        let scratch = try ScratchDirectory()
        for index in 0..<Self.fileCount {
            try scratch.write("corpus/doc\(String(format: "%03d", index)).md",
                              "# Document \(index)\n\n" + SampleText.paragraph(index, sentences: 6) + "\n\n## More\n\n" + SampleText.paragraph(index + 500))
        }
        let corpus = scratch.subpath("corpus")
        let database = scratch.subpath("killed.sqlite")

        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.testBinary())
        child.arguments = ["IndexTests.KillDuringIngestTests/testChildIngest"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.corpusVariable] = corpus
        environment[Self.databaseVariable] = database
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()

        // Wait until some documents are committed, then kill without warning.
        let deadline = Date(timeIntervalSinceNow: 120)
        var committed = 0
        while Date() < deadline, child.isRunning {
            if let reader = try? IndexStore(path: database, mode: .readOnly), let count = try? reader.statistics().documentCount {
                committed = count
                if committed >= 8 { break }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertTrue(child.isRunning, "the child was still ingesting when killed")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)

        let afterKill = try IndexStore(path: database, mode: .readWrite)
        XCTAssertEqual(try afterKill.integrityProblems(), [])
        let partial = try afterKill.statistics()
        XCTAssertGreaterThanOrEqual(partial.documentCount, 8)
        XCTAssertLessThan(partial.documentCount, Self.fileCount, "killed mid-way")
        XCTAssertEqual(partial.vectorCount, partial.chunkCount, "no document is half written")

        // Re-run to completion and compare with an index built in one go.
        let pipeline = IngestPipeline(store: afterKill, embedder: FakeEmbedder(), counter: FakeTokenCounter(maxTokens: 64))
        let rerun = try pipeline.run(roots: [corpus])
        XCTAssertEqual(rerun.unchanged, partial.documentCount, "committed documents are not redone")
        XCTAssertEqual(rerun.added, Self.fileCount - partial.documentCount)

        let reference = try IndexStore(path: scratch.subpath("reference.sqlite"), mode: .readWrite)
        _ = try IngestPipeline(store: reference, embedder: FakeEmbedder(), counter: FakeTokenCounter(maxTokens: 64)).run(roots: [corpus])

        let finished = try afterKill.statistics(), expected = try reference.statistics()
        XCTAssertEqual(finished.documentCount, Self.fileCount)
        XCTAssertEqual(finished.chunkCount, expected.chunkCount)
        XCTAssertEqual(finished.vectorCount, finished.chunkCount)
        XCTAssertEqual(try afterKill.documents().map(\.path), try reference.documents().map(\.path))
        XCTAssertEqual(try afterKill.connection.scalarInt("SELECT count(*) FROM (SELECT document_id, ordinal FROM chunks GROUP BY 1, 2 HAVING count(*) > 1)"), 0,
                       "no duplicate chunks")
        XCTAssertEqual(try afterKill.integrityProblems(), [])
    }

    /// The running XCTest executable (this file's own test bundle on Linux).
    static func testBinary() -> String {
        let first = ProcessInfo.processInfo.arguments[0]
        return first.hasPrefix("/") ? first : FileManager.default.currentDirectoryPath + "/" + first
    }
}
