import Foundation
import Index
import XCTest

/// Keeping the index in step with the folders: files named on the command line, overlapping roots,
/// `remove`, remembered skips, and changes applied by path (what the watcher feeds the pipeline).
final class IndexSyncTests: XCTestCase {
    var scratch: ScratchDirectory!
    var databasePath: String { scratch.subpath("index.sqlite") }

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        try scratch.write("docs/a.md", "# A\n\n" + SampleText.paragraph(1))
        try scratch.write("docs/sub/b.txt", SampleText.paragraph(2))
        try scratch.write("docs/sub/c.txt", SampleText.paragraph(3))
        try scratch.write("loose/notes.txt", SampleText.paragraph(4))
        try scratch.write("loose/other.txt", SampleText.paragraph(5))
    }

    override func tearDown() { scratch = nil }

    func pipeline(_ embedder: FakeEmbedder = FakeEmbedder(), onEvent: @escaping (IngestEvent) -> Void = { _ in }) throws -> IngestPipeline {
        IngestPipeline(store: try IndexStore(path: databasePath, mode: .readWrite), embedder: embedder,
                       counter: FakeTokenCounter(), onEvent: onEvent)
    }

    @discardableResult
    func ingest(_ arguments: [String], embedder: FakeEmbedder = FakeEmbedder()) throws -> IngestReport {
        try pipeline(embedder).run(roots: arguments.map { scratch.subpath($0) })
    }

    func store() throws -> IndexStore { try IndexStore(path: databasePath, mode: .readOnly) }

    /// "root-relative-path" of every document.
    func documents() throws -> [String] {
        try store().documents().map { ($0.rootPath as NSString).lastPathComponent + ":" + $0.path }
    }

    func testFilesAreIngestedIntoTheRootOfTheirFolder() throws {
        let report = try ingest(["loose/notes.txt"])
        XCTAssertEqual(report.added, 1)
        XCTAssertEqual(try documents(), ["loose:notes.txt"])
        XCTAssertEqual(try store().roots().map(\.filesOnly), [true])

        // A plain ingest re-checks the named file only: other.txt next to it is not taken in.
        try scratch.write("loose/notes.txt", SampleText.paragraph(9))
        let again = try pipeline().run(roots: [])
        XCTAssertEqual(again.updated, 1)
        XCTAssertEqual(try documents(), ["loose:notes.txt"])

        // Ingesting the folder itself makes it a whole-folder root.
        XCTAssertEqual(try ingest(["loose"]).added, 1)
        XCTAssertEqual(try documents(), ["loose:notes.txt", "loose:other.txt"])
        XCTAssertEqual(try store().roots().map(\.filesOnly), [false])
    }

    func testOverlappingRootsHoldEachFileOnce() throws {
        try ingest(["docs/sub"])
        try ingest(["docs/sub/b.txt"])
        XCTAssertEqual(try documents(), ["sub:b.txt", "sub:c.txt"], "a file inside a root is part of that root")

        // The enclosing folder takes the inner root in, keeping its vectors.
        let embedder = FakeEmbedder()
        let report = try ingest(["docs"], embedder: embedder)
        XCTAssertEqual(report.added, 1)
        XCTAssertEqual(report.unchanged, 2)
        XCTAssertEqual(embedder.textsEmbedded, 1, "only a.md is embedded")
        XCTAssertEqual(try documents(), ["docs:a.md", "docs:sub/b.txt", "docs:sub/c.txt"])
        XCTAssertEqual(try store().roots().map { ($0.path as NSString).lastPathComponent }, ["docs"])

        // A folder inside the root is a scope of it; deleting a file there removes only that document.
        try FileManager.default.removeItem(atPath: scratch.subpath("docs/sub/c.txt"))
        let scoped = try ingest(["docs/sub"])
        XCTAssertEqual(scoped.removed, 1)
        XCTAssertEqual(try documents(), ["docs:a.md", "docs:sub/b.txt"])
    }

    func testRemoveFileFolderAndRoot() throws {
        try ingest(["docs", "loose/notes.txt"])
        XCTAssertEqual(try store().statistics().documentCount, 4)

        let writer = try IndexStore(path: databasePath, mode: .readWrite)
        let file = try writer.remove(arguments: [scratch.subpath("docs/a.md")])
        XCTAssertEqual(file.map(\.documents), [1])
        XCTAssertEqual(file.first?.roots, [])
        // Remembered as removed: the next ingest of the folder leaves it out, naming it brings it back.
        XCTAssertEqual(try ingest(["docs"]).added, 0)
        XCTAssertEqual(try store().skippedFiles().map(\.reason), ["removed"])
        XCTAssertEqual(try ingest(["docs/a.md"]).added, 1)
        XCTAssertEqual(try store().skippedFiles(), [])

        let folder = try writer.remove(arguments: [scratch.subpath("docs/sub")])
        XCTAssertEqual(folder.first?.documents, 2)
        XCTAssertEqual(try documents(), ["docs:a.md", "loose:notes.txt"])

        // A path that is not indexed is an error, and nothing of the same call is removed.
        XCTAssertThrowsError(try writer.remove(arguments: [scratch.subpath("loose/notes.txt"), scratch.subpath("nowhere")])) { error in
            XCTAssertEqual(error as? IndexError, .notIndexed(path: self.scratch.subpath("nowhere")))
        }
        XCTAssertEqual(try documents(), ["docs:a.md", "loose:notes.txt"])

        // Roots are forgotten: a plain ingest does not bring them back.
        let roots = try writer.remove(arguments: [scratch.subpath("docs"), scratch.subpath("loose/notes.txt")])
        XCTAssertEqual(roots.map(\.roots.count), [1, 1])
        XCTAssertEqual(try store().statistics().chunkCount, 0)
        XCTAssertEqual(try store().integrityProblems(), [])
        XCTAssertEqual(try pipeline().run(roots: []).added, 0)
        XCTAssertEqual(try store().roots(), [])
    }

    func testSkippedFilesAreNotReadAgainUntilTheyChange() throws {
        try scratch.write("docs/blob.txt", bytes: Array("abc".utf8) + [0, 1, 2])
        let first = try ingest(["docs"])
        XCTAssertEqual(first.skipped.map(\.file.reason), [.binary])
        let kept = try XCTUnwrap(try store().skippedFiles().first)
        XCTAssertEqual(kept.size, 6)
        XCTAssertNotNil(kept.mtime)

        // Unchanged: reported again from memory, without reading (the file is made unreadable to prove it).
        chmod(scratch.subpath("docs/blob.txt"), 0)
        defer { chmod(scratch.subpath("docs/blob.txt"), 0o644) }
        let second = try ingest(["docs"])
        XCTAssertEqual(second.skipped.map(\.file.reason), [.remembered(key: "binary", detail: "binary content")])
        XCTAssertEqual(try store().skippedFiles().map(\.reason), ["binary"])

        // Changed: read again, and now it is text.
        chmod(scratch.subpath("docs/blob.txt"), 0o644)
        try scratch.write("docs/blob.txt", "now it is text about " + SampleText.sentence(3))
        XCTAssertEqual(try ingest(["docs"]).added, 1)
        XCTAssertEqual(try store().skippedFiles(), [])
    }

    func testChangesAppliedByPath() throws {
        try ingest(["docs"])
        var applied: [String] = []
        let pipeline = try pipeline { event in
            if case .applied(_, let path, let change) = event { applied.append("\(change.rawValue) \(path)") }
        }
        try scratch.write("docs/new.md", SampleText.paragraph(6))
        try scratch.write("docs/sub/b.txt", SampleText.paragraph(7))
        try FileManager.default.moveItem(atPath: scratch.subpath("docs/a.md"), toPath: scratch.subpath("docs/renamed.md"))
        try scratch.write("docs/newdir/d.txt", SampleText.paragraph(8))
        let report = try pipeline.apply(changes: ["docs/new.md", "docs/sub/b.txt", "docs/a.md", "docs/renamed.md", "docs/newdir",
                                                  "elsewhere/x.txt"].map { scratch.subpath($0) })
        XCTAssertEqual(report.added, 3)
        XCTAssertEqual(report.reused, 1, "the renamed file keeps its vectors")
        XCTAssertEqual(report.updated, 1)
        XCTAssertEqual(report.removed, 1)
        XCTAssertEqual(applied.sorted(), ["added new.md", "added newdir/d.txt", "added renamed.md", "removed a.md", "updated sub/b.txt"])
        XCTAssertEqual(try documents(), ["docs:new.md", "docs:newdir/d.txt", "docs:renamed.md", "docs:sub/b.txt", "docs:sub/c.txt"])

        // A deleted folder takes its documents along.
        try FileManager.default.removeItem(atPath: scratch.subpath("docs/sub"))
        XCTAssertEqual(try pipeline.apply(changes: [scratch.subpath("docs/sub")]).removed, 2)
    }

    func testLinkToAFileOfTheSameFolderIsOneDocument() throws {
        try FileManager.default.createSymbolicLink(atPath: scratch.subpath("docs/alias.md"), withDestinationPath: "a.md")
        let report = try ingest(["docs"])
        XCTAssertEqual(report.skipped.map(\.file.reason), [.linkInsideRoot(target: "a.md")])
        XCTAssertEqual(try documents(), ["docs:a.md", "docs:sub/b.txt", "docs:sub/c.txt"])
        // Named through the link, the file is still the one document.
        XCTAssertEqual(try ingest(["docs/alias.md"]).added, 0)
        XCTAssertEqual(try store().statistics().documentCount, 3)
    }
}
