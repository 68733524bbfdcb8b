import Foundation
import Index
import XCTest

final class IngestPipelineTests: XCTestCase {
    var scratch: ScratchDirectory!
    var corpus: String { scratch.subpath("corpus") }
    var databasePath: String { scratch.subpath("index.sqlite") }

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
    }

    override func tearDown() { scratch = nil }

    @discardableResult
    func ingest(_ roots: [String]? = nil, embedder: FakeEmbedder = FakeEmbedder(), options: IngestOptions = IngestOptions(),
                cancellation: IngestCancellation = IngestCancellation(),
                onEvent: @escaping (IngestEvent) -> Void = { _ in }) throws -> IngestReport {
        let store = try IndexStore(path: databasePath, mode: .readWrite)
        let pipeline = IngestPipeline(store: store, embedder: embedder, counter: FakeTokenCounter(), options: options,
                                      cancellation: cancellation, onEvent: onEvent)
        return try pipeline.run(roots: roots ?? [corpus])
    }

    func store() throws -> IndexStore { try IndexStore(path: databasePath, mode: .readOnly) }

    func writeCorpus() throws {
        try scratch.write("corpus/notes.txt", (0..<6).map { SampleText.paragraph($0) }.joined(separator: "\n\n"))
        try scratch.write("corpus/guide.md", "# Guide\n\n" + SampleText.paragraph(7) + "\n\n## Part\n\n" + SampleText.paragraph(8))
        try scratch.write("corpus/docs/page.html", "<html><head><title>Page</title></head><body><h1>Head</h1><p>"
                          + SampleText.paragraph(9) + "</p></body></html>")
        try scratch.write("corpus/src/main.swift", "import Foundation\n\nfunc main() {\n    print(\"hello\")\n}\n")
    }

    func testIngestThenIncrementalChanges() throws {
        try writeCorpus()
        let embedder = FakeEmbedder()
        let first = try ingest(embedder: embedder)
        XCTAssertEqual(first.added, 4)
        XCTAssertEqual(first.updated + first.removed + first.unchanged, 0)
        XCTAssertFalse(first.interrupted)
        let statistics = try store().statistics()
        XCTAssertEqual(statistics.documentCount, 4)
        XCTAssertEqual(statistics.chunkCount, first.chunksWritten)
        XCTAssertEqual(statistics.vectorCount, statistics.chunkCount)
        XCTAssertEqual(embedder.textsEmbedded, statistics.chunkCount)
        XCTAssertNotNil(statistics.lastIngest)
        XCTAssertEqual(try store().documents().map(\.path), ["docs/page.html", "guide.md", "notes.txt", "src/main.swift"])
        XCTAssertEqual(try store().documents().map(\.format), ["html", "markdown", "text", "code"])

        // Nothing changed: nothing is read or embedded.
        let again = FakeEmbedder()
        let second = try ingest(embedder: again)
        XCTAssertEqual(second.unchanged, 4)
        XCTAssertEqual(second.added + second.updated + second.removed, 0)
        XCTAssertEqual(again.textsEmbedded, 0)

        // Touched but identical content: only the mtime is updated.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: corpus + "/notes.txt")
        let touched = FakeEmbedder()
        XCTAssertEqual(try ingest(embedder: touched).unchanged, 4)
        XCTAssertEqual(touched.textsEmbedded, 0)

        // Edit one file, delete one, rename one.
        try scratch.write("corpus/guide.md", "# Guide\n\nRewritten completely with zebra words.\n")
        try FileManager.default.removeItem(atPath: corpus + "/src/main.swift")
        try FileManager.default.moveItem(atPath: corpus + "/notes.txt", toPath: corpus + "/renamed.txt")
        let changes = FakeEmbedder()
        let third = try ingest(embedder: changes)
        XCTAssertEqual(third.updated, 1)
        XCTAssertEqual(third.added, 1)
        XCTAssertEqual(third.reused, 1, "the renamed file reuses its vectors")
        XCTAssertEqual(third.removed, 2, "the deleted file and the old name")
        XCTAssertEqual(third.unchanged, 1)
        XCTAssertEqual(changes.textsEmbedded, 1, "only the edited file's single chunk is embedded")
        let documents = try store().documents()
        XCTAssertEqual(documents.map(\.path), ["docs/page.html", "guide.md", "renamed.txt"])
        let guide = try store().chunks(documentID: documents[1].id)
        XCTAssertEqual(guide.count, 1)
        XCTAssertTrue(guide[0].text.contains("zebra"))
        XCTAssertEqual(guide[0].heading, "Guide")
        XCTAssertEqual(try store().integrityProblems(), [])
        let finalStatistics = try store().statistics()
        XCTAssertEqual(finalStatistics.vectorCount, finalStatistics.chunkCount)
        XCTAssertEqual(try store().ftsSearch(matchExpression: "zebra", limit: 5).count, 1)
    }

    func testProblemFilesAreSkippedWithReasons() throws {
        try scratch.write("corpus/good.txt", "A good file about vectors.")
        try scratch.write("corpus/latin1.txt", bytes: [0x63, 0x61, 0x66, 0xE9, 0x20, 0x6E, 0x61, 0xEF, 0x76, 0x65])
        try scratch.write("corpus/program", bytes: [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00])
        try scratch.write("corpus/picture.png", bytes: [0x89, 0x50, 0x4E, 0x47])
        try scratch.write("corpus/.hidden.txt", "secret")
        try scratch.write("corpus/.git/config", "[core]")
        try scratch.write("corpus/big.txt", String(repeating: "x", count: 2048))
        try scratch.write("corpus/empty.txt", "")
        try FileManager.default.createSymbolicLink(atPath: corpus + "/dangling.txt", withDestinationPath: corpus + "/missing-target")
        try FileManager.default.createDirectory(atPath: corpus + "/loop", withIntermediateDirectories: true)
        try scratch.write("corpus/loop/inside.txt", "Inside the loop folder.")
        try FileManager.default.createSymbolicLink(atPath: corpus + "/loop/again", withDestinationPath: corpus + "/loop")
        XCTAssertEqual(mkfifo(corpus + "/pipe", 0o644), 0)
        try scratch.write("corpus/locked.txt", "locked")
        chmod(corpus + "/locked.txt", 0)
        let runningAsRoot = getuid() == 0

        var events: [String] = []
        let report = try ingest(options: IngestOptions(maxFileBytes: 1024)) { event in
            if case .skipped(_, let file) = event { events.append(file.path) }
        }
        let reasons = Dictionary(report.skipped.map { ($0.file.path, $0.file.reason) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(reasons["program"], .binary)
        XCTAssertEqual(reasons["picture.png"], .unsupportedType("png"))
        XCTAssertEqual(reasons[".hidden.txt"], .hidden)
        XCTAssertEqual(reasons[".git"], .hidden)
        XCTAssertEqual(reasons["big.txt"], .tooLarge(bytes: 2048, limit: 1024))
        XCTAssertEqual(reasons["dangling.txt"], .brokenSymlink)
        XCTAssertEqual(reasons["loop/again"], .symlinkLoop)
        XCTAssertEqual(reasons["pipe"], .notARegularFile)
        if !runningAsRoot {
            guard case .unreadable = reasons["locked.txt"] else { return XCTFail("an unreadable file is reported: \(reasons)") }
        }
        XCTAssertEqual(Set(events), Set(reasons.keys), "every skip is reported as it happens")

        let documents = try store().documents().map(\.path)
        XCTAssertEqual(Set(documents), Set(["good.txt", "latin1.txt", "loop/inside.txt"] + (runningAsRoot ? ["locked.txt"] : [])))
        let latin1 = try store().documents().first { $0.path == "latin1.txt" }!
        XCTAssertEqual(try store().chunks(documentID: latin1.id).first?.text, "café naïve")
        XCTAssertEqual(reasons["empty.txt"], .empty, "a zero-byte file is skipped, not an added document")
    }

    func testTenMegabyteSingleLineFile() throws {
        let line = String(repeating: "lorem ipsum dolor sit amet consectetur ", count: 270_000)   // ~10.5 MB, one line
        try scratch.write("corpus/huge.txt", line)
        let start = Date()
        let report = try ingest()
        XCTAssertEqual(report.added, 1)
        XCTAssertLessThan(Date().timeIntervalSince(start), 120, "a 10 MB line is ingested in bounded time")
        let chunks = try store().chunks(documentID: try store().documents()[0].id)
        XCTAssertGreaterThan(chunks.count, 1000)
        XCTAssertTrue(chunks.allSatisfy { $0.startLine == 1 && $0.endLine == 1 && $0.tokenCount <= 256 })
        XCTAssertEqual(chunks.last?.charEnd, line.unicodeScalars.count)
    }

    func testEmptyFolderAndMissingPath() throws {
        let report = try ingest()
        XCTAssertEqual(report.added, 0)
        XCTAssertEqual(try store().statistics().roots.count, 1)
        XCTAssertEqual(try store().statistics().documentCount, 0)

        XCTAssertThrowsError(try ingest([scratch.subpath("does-not-exist")])) { error in
            XCTAssertEqual(error as? IndexError, .rootNotFound(path: scratch.subpath("does-not-exist")))
        }
        // A file is taken (IndexSyncTests); only a watcher needs a folder.
        let file = try scratch.write("plain.txt", "x")
        XCTAssertThrowsError(try IngestPipeline.resolveRoot(file)) { error in
            XCTAssertEqual(error as? IndexError, .rootNotADirectory(path: file))
        }
    }

    func testOtherEmbedderIsRefusedUntilReembed() throws {
        try writeCorpus()
        try ingest()
        let other = FakeEmbedder(name: "other-model", dimension: 16)
        XCTAssertThrowsError(try ingest(embedder: other)) { error in
            XCTAssertTrue(String(describing: error).contains("rag ingest --reembed"), "\(error)")
        }
        let chunkCount = try store().statistics().chunkCount
        let report = try ingest(embedder: other, options: IngestOptions(reembed: true))
        XCTAssertEqual(report.chunksEmbedded, chunkCount)
        XCTAssertEqual(other.textsEmbedded, chunkCount)
        let vectors = try store().allVectors()
        XCTAssertEqual(vectors.dimension, 16)
        XCTAssertEqual(vectors.count, chunkCount)
        XCTAssertEqual(try store().embedderIdentity(), other.identity)
    }

    func testIndexFromAnotherEmbeddingInputIsReembeddedOnce() throws {
        try writeCorpus()
        try ingest()
        let chunkCount = try store().statistics().chunkCount
        // An index written before vectors included the heading path has no (or another) input version.
        let writable = try IndexStore(path: databasePath, mode: .readWrite)
        try writable.setMeta("embedding_input", "text-only")
        var events: [IngestEvent] = []
        let embedder = FakeEmbedder()
        let report = try ingest(embedder: embedder, onEvent: { events.append($0) })
        XCTAssertTrue(events.contains { if case .embeddingInputChanged = $0 { return true } else { return false } })
        XCTAssertEqual(report.chunksEmbedded, chunkCount)
        XCTAssertEqual(try store().allVectors().count, chunkCount)
        XCTAssertFalse(try store().vectorsUseOtherInput())
        // The next run has nothing to do.
        let again = FakeEmbedder()
        XCTAssertEqual(try ingest(embedder: again).chunksEmbedded, 0)
        XCTAssertEqual(again.textsEmbedded, 0)
    }

    func testEmbeddedTextCarriesTheHeadingPath() {
        XCTAssertEqual(EmbeddingInput.text("body", heading: "Guide > Part"), "Guide > Part\nbody")
        XCTAssertEqual(EmbeddingInput.text("body", heading: ""), "body")
    }

    func testCancellationKeepsCompletedDocumentsAndRemovesNothing() throws {
        for index in 0..<20 { try scratch.write("corpus/file\(String(format: "%02d", index)).txt", SampleText.paragraph(index)) }
        try ingest()
        try FileManager.default.removeItem(atPath: corpus + "/file19.txt")
        for index in 0..<20 { try scratch.write("corpus/new\(String(format: "%02d", index)).txt", SampleText.paragraph(100 + index)) }

        let cancellation = IngestCancellation()
        var handled = 0
        let report = try ingest(options: IngestOptions(embedBatchSize: 1), cancellation: cancellation) { event in
            if case .progress(let progress) = event, progress.currentFile != nil {
                handled += 1
                if handled == 5 { cancellation.cancel() }
            }
        }
        XCTAssertTrue(report.interrupted)
        XCTAssertEqual(report.removed, 0, "an interrupted walk removes nothing")
        let documents = try store().documents().map(\.path)
        XCTAssertTrue(documents.contains("file19.txt"))
        XCTAssertLessThan(documents.count, 39 + 1)
        XCTAssertEqual(try store().integrityProblems(), [])
        // A second run finishes the job.
        let finish = try ingest()
        XCTAssertFalse(finish.interrupted)
        XCTAssertEqual(try store().documents().count, 39)
    }

    func testPreviewMatchesARealIngestWithoutWritingAnything() throws {
        try writeCorpus()
        try scratch.write("corpus/logo.png", bytes: [0x89, 0x50, 0x4E, 0x47])
        let preview = try IngestPreview(counter: FakeTokenCounter()).run(roots: [corpus])
        XCTAssertFalse(FileManager.default.fileExists(atPath: databasePath), "a preview opens no index")
        XCTAssertEqual(preview.documents, 4)
        XCTAssertEqual(preview.documentsByFormat, ["html": 1, "markdown": 1, "text": 1, "code": 1])
        XCTAssertEqual(preview.skipped.map(\.file.path), ["logo.png"])
        let report = try ingest()
        XCTAssertEqual(preview.chunks, report.chunksWritten)
        XCTAssertGreaterThan(preview.tokens, preview.chunks * 2)
    }

    func testProgressCountsFiles() throws {
        try writeCorpus()
        var last: IngestProgress?
        try ingest { event in if case .progress(let progress) = event { last = progress } }
        XCTAssertEqual(last?.filesDone, 4)
        XCTAssertEqual(last?.filesTotal, 4)
        XCTAssertGreaterThan(last?.chunksDone ?? 0, 0)
    }
}
