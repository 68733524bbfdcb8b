import Foundation
import Index
import XCTest

/// The watcher reports changed paths once a burst settles, and the pipeline applies them: create, edit in place,
/// save by rename (an editor's temporary file renamed over the original), delete, rename, a new folder, and a
/// burst of files; with inotify and with the polling fallback. Waits are bounded; nothing is timed.
final class FolderWatcherTests: XCTestCase {
    var scratch: ScratchDirectory!
    var folder: String { scratch.subpath("watched") }
    var databasePath: String { scratch.subpath("index.sqlite") }

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        try scratch.write("watched/keep.txt", SampleText.paragraph(1))
        try scratch.write("watched/old-name.txt", SampleText.paragraph(2))
        try scratch.write("watched/edit.md", "# Edit\n\n" + SampleText.paragraph(3))
        try scratch.write("watched/gone.txt", SampleText.paragraph(4))
    }

    override func tearDown() { scratch = nil }

    func testInotifyAppliesEveryKindOfChange() throws {
        try exercise(forcePolling: false)
    }

    func testPollingFallbackAppliesEveryKindOfChange() throws {
        try exercise(forcePolling: true)
    }

    func exercise(forcePolling: Bool) throws {
        let store = try IndexStore(path: databasePath, mode: .readWrite)
        let pipeline = IngestPipeline(store: store, embedder: FakeEmbedder(), counter: FakeTokenCounter())
        XCTAssertEqual(try pipeline.run(roots: [folder]).added, 4)
        let root = try IngestPipeline.resolveRoot(folder)
        let watcher = FolderWatcher(roots: [root], debounce: 0.15, pollInterval: 0.2, forcePolling: forcePolling)
        if forcePolling {
            XCTAssertNotEqual(watcher.mode, .inotify)
        } else {
            XCTAssertEqual(watcher.mode, .inotify)
        }
        // Polling compares mtimes: make sure the edits land on a later time stamp than the snapshot.
        if forcePolling { Thread.sleep(forTimeInterval: 0.05) }

        try scratch.write("watched/new.txt", SampleText.paragraph(5))
        try scratch.write("watched/edit.md", "# Edit\n\nRewritten with zebra words.")
        try scratch.write("watched/.keep.txt.swp", "editor temporary")
        try scratch.write("watched/keep.txt.tmp", "Saved by rename: " + SampleText.paragraph(6))
        XCTAssertEqual(rename(scratch.subpath("watched/keep.txt.tmp"), scratch.subpath("watched/keep.txt")), 0)
        try FileManager.default.removeItem(atPath: scratch.subpath("watched/gone.txt"))
        try FileManager.default.moveItem(atPath: scratch.subpath("watched/old-name.txt"), toPath: scratch.subpath("watched/new-name.txt"))
        try FileManager.default.createDirectory(atPath: scratch.subpath("watched/sub"), withIntermediateDirectories: true)
        for index in 0..<100 { try scratch.write("watched/sub/burst\(index).txt", "Burst file \(index). " + SampleText.sentence(index)) }

        try waitUntil(watcher, pipeline) { documents in
            documents.count == 104 && !documents.contains("gone.txt") && !documents.contains("old-name.txt")
        }
        let documents = try store.documents()
        XCTAssertEqual(Set(documents.map(\.path)).intersection(["keep.txt", "new.txt", "edit.md", "new-name.txt"]).count, 4)
        let edit = try XCTUnwrap(documents.first { $0.path == "edit.md" })
        XCTAssertTrue(try store.chunks(documentID: edit.id).contains { $0.text.contains("zebra") })
        let keep = try XCTUnwrap(documents.first { $0.path == "keep.txt" })
        XCTAssertTrue(try store.chunks(documentID: keep.id).contains { $0.text.contains("Saved by rename") })
        XCTAssertFalse(documents.contains { $0.path.hasPrefix(".") || $0.path.hasSuffix(".tmp") })

        // A folder deleted while watched takes its documents along.
        try FileManager.default.removeItem(atPath: scratch.subpath("watched/sub"))
        try waitUntil(watcher, pipeline) { $0.count == 4 }
        XCTAssertEqual(try store.integrityProblems(), [])
    }

    /// Applies the watcher's batches until `done` holds for the indexed paths (at most 30 s).
    func waitUntil(_ watcher: FolderWatcher, _ pipeline: IngestPipeline, _ done: (Set<String>) -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 30)
        let store = try IndexStore(path: databasePath, mode: .readOnly)
        while Date() < deadline {
            if done(Set(try store.documents().map(\.path))) { return }
            let changed = watcher.next { Date() > deadline }
            _ = try pipeline.apply(changes: changed.sorted())
        }
        XCTFail("changes not applied within 30 s: \(try store.documents().map(\.path).prefix(10))")
    }
}
