import Foundation
import Index
import XCTest

/// A folder of hostile files, as an unpacked archive or a cloned repository might hold, ingested
/// with a small size limit: each file has its expected outcome, nothing aborts the ingest, every
/// skip is reported with its reason and kept in the index.
final class HostileFolderTests: XCTestCase {
    var scratch: ScratchDirectory!
    var corpus: String { scratch.subpath("corpus") }
    var databasePath: String { scratch.subpath("index.sqlite") }
    /// Small, so the gzip bomb only needs a few MiB of zeros.
    let limit: Int64 = 1 << 20

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
    }

    override func tearDown() { scratch = nil }

    func ingest(options: IngestOptions? = nil, onEvent: @escaping (IngestEvent) -> Void = { _ in }) throws -> IngestReport {
        let store = try IndexStore(path: databasePath, mode: .readWrite)
        let pipeline = IngestPipeline(store: store, embedder: FakeEmbedder(), counter: FakeTokenCounter(),
                                      options: options ?? IngestOptions(maxFileBytes: limit), onEvent: onEvent)
        return try pipeline.run(roots: [corpus])
    }

    /// Every chunk text of the document at `path`, joined.
    func indexedText(_ path: String) throws -> String? {
        let store = try IndexStore(path: databasePath, mode: .readOnly)
        guard let document = try store.documents().first(where: { $0.path == path }) else { return nil }
        return try store.chunks(documentID: document.id).map(\.text).joined(separator: " ")
    }

    /// `count` zero bytes, gzip-compressed (by the gzip on $PATH), written at `relative`.
    func writeGzipBomb(_ relative: String, zeros count: Int) throws {
        let plain = try scratch.write("bomb-source", bytes: [UInt8](repeating: 0x20, count: count))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -9 -c \"$1\" > \"$2\"", "sh", plain, corpus + "/" + relative]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        try FileManager.default.removeItem(atPath: plain)
    }

    func writeHostileFolder() throws {
        let manager = FileManager.default
        // Outside the root: a "secret" file and a folder.
        try scratch.write("outside/secret.txt", "private key material that must not be indexed")
        try manager.createSymbolicLink(atPath: corpus + "/notes.txt", withDestinationPath: scratch.subpath("outside/secret.txt"))
        try manager.createSymbolicLink(atPath: corpus + "/outdir", withDestinationPath: scratch.subpath("outside"))
        // A link to a file of the same folder: the file is indexed once, under its own name.
        try scratch.write("corpus/real.md", "# Real\n\nThe real document about rivers.")
        try manager.createSymbolicLink(atPath: corpus + "/alias.md", withDestinationPath: "real.md")
        // Loops: a folder link to its parent, and two links to each other.
        try scratch.write("corpus/loop/inside.txt", "Inside the loop folder.")
        try manager.createSymbolicLink(atPath: corpus + "/loop/again", withDestinationPath: corpus + "/loop")
        try manager.createSymbolicLink(atPath: corpus + "/ping", withDestinationPath: "pong")
        try manager.createSymbolicLink(atPath: corpus + "/pong", withDestinationPath: "ping")
        // A FIFO from the start, and a file that becomes a FIFO after the walk (see `testHostileFolder`).
        XCTAssertEqual(mkfifo(corpus + "/pipe.txt", 0o644), 0)
        try scratch.write("corpus/swapped.txt", "this file is replaced by a FIFO after the walk")
        // 16 MiB of spaces in a few KiB: over the 1 MiB limit once decompressed.
        try writeGzipBomb("bomb.1.gz", zeros: 16 << 20)
        // 10,000 nested elements.
        try scratch.write("corpus/nested.html", String(repeating: "<div>", count: 10_000) + "deep nested text"
                          + String(repeating: "</div>", count: 10_000))
        try scratch.write("corpus/nul.txt", bytes: Array("hello".utf8) + [0] + Array("world".utf8))
        try scratch.write("corpus/fake.pdf", "%PDF-1.4 this is not really a PDF")
        try scratch.write("corpus/bad-byte.txt", bytes: Array("résumé and café ".utf8) + [0xFF] + Array(" end".utf8))
        try scratch.write("corpus/latin1.txt", bytes: [0x63, 0x61, 0x66, 0xE9, 0x20, 0x6E, 0x61, 0xEF, 0x76, 0x65])
        try scratch.write("corpus/empty.txt", "")
        // One line of 900 KiB without whitespace (under the limit).
        try scratch.write("corpus/long-line.txt", String(repeating: "x", count: 900 << 10))
    }

    func testHostileFolder() throws {
        try writeHostileFolder()
        var events: [String] = []
        let report = try ingest { event in
            switch event {
            case .walked:
                // The walk saw a regular file; by the time it is read it is a FIFO (opening it must not block).
                try? FileManager.default.removeItem(atPath: self.corpus + "/swapped.txt")
                mkfifo(self.corpus + "/swapped.txt", 0o644)
            case .skipped(_, let file):
                events.append(file.path)
            default:
                break
            }
        }
        let reasons = Dictionary(report.skipped.map { ($0.file.path, $0.file.reason) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(reasons["notes.txt"], .linkOutsideRoot)
        XCTAssertEqual(reasons["outdir"], .linkOutsideRoot)
        XCTAssertEqual(reasons["loop/again"], .symlinkLoop)
        XCTAssertEqual(reasons["ping"], .symlinkLoop)
        XCTAssertEqual(reasons["pong"], .symlinkLoop)
        XCTAssertEqual(reasons["alias.md"], .linkInsideRoot(target: "real.md"))
        XCTAssertEqual(reasons["pipe.txt"], .notARegularFile)
        XCTAssertEqual(reasons["swapped.txt"], .notARegularFile)
        XCTAssertEqual(reasons["bomb.1.gz"], .outputTooLarge(source: "decompressed text", limit: limit))
        XCTAssertEqual(reasons["nul.txt"], .binary)
        XCTAssertEqual(reasons["empty.txt"], .empty)
        if DocumentLoader().pdftotextPath != nil {
            guard case .conversionFailed = reasons["fake.pdf"] else { return XCTFail("a fake PDF fails conversion: \(reasons)") }
        } else {
            XCTAssertEqual(reasons["fake.pdf"], .pdftotextMissing)
        }
        XCTAssertEqual(reasons.count, 12, "\(reasons)")
        XCTAssertEqual(Set(events), Set(reasons.keys), "every skip is reported as it happens")
        XCTAssertTrue(SkipReason.outputTooLarge(source: "decompressed text", limit: limit).description.contains("--max-file-mb"))
        XCTAssertEqual(SkipReason.linkOutsideRoot.description.prefix(23), "link outside the folder")

        // Indexed: the real file (not its alias), the loop folder's file, the nested HTML, the long line,
        // and the two decoded files. The secret is nowhere; the empty file is not a document.
        XCTAssertEqual(report.added, 6)
        let store = try IndexStore(path: databasePath, mode: .readOnly)
        XCTAssertEqual(try store.documents().map(\.path).sorted(),
                       ["bad-byte.txt", "latin1.txt", "long-line.txt", "loop/inside.txt", "nested.html", "real.md"])
        XCTAssertEqual(try indexedText("nested.html")?.contains("deep nested text"), true)
        XCTAssertEqual(try indexedText("bad-byte.txt"), "résumé and café \u{FFFD} end")
        XCTAssertEqual(try indexedText("latin1.txt"), "café naïve")
        XCTAssertEqual(try indexedText("long-line.txt")?.hasPrefix("xxxx"), true)
        let decoded = Dictionary(report.decoded.map { ($0.path, $0.encoding) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(decoded, ["bad-byte.txt": .utf8Repaired(invalidSequences: 1), "latin1.txt": .windows1252])

        // The index keeps every skip with its reason.
        let kept = try store.skippedFiles()
        XCTAssertEqual(Dictionary(kept.map { ($0.path, $0.reason) }, uniquingKeysWith: { first, _ in first }),
                       reasons.mapValues(\.key))
        XCTAssertTrue(kept.allSatisfy { !$0.detail.isEmpty })
    }

    func testFollowLinksOptsIn() throws {
        try writeHostileFolder()
        let report = try ingest(options: IngestOptions(maxFileBytes: limit, followLinks: true))
        let skippedPaths = Set(report.skipped.map(\.file.path))
        XCTAssertFalse(skippedPaths.contains("notes.txt"))
        XCTAssertFalse(skippedPaths.contains("outdir"))
        XCTAssertEqual(try indexedText("notes.txt"), "private key material that must not be indexed")
        XCTAssertNotNil(try indexedText("outdir/secret.txt"))
    }

    func testSkipsOfAnEarlierRunAreReplaced() throws {
        try scratch.write("corpus/empty.txt", "")
        try scratch.write("corpus/a.txt", "some text")
        _ = try ingest()
        XCTAssertEqual(try IndexStore(path: databasePath, mode: .readOnly).skippedFiles().map(\.path), ["empty.txt"])
        try scratch.write("corpus/empty.txt", "now it has text")
        let second = try ingest()
        XCTAssertEqual(second.added, 1)
        XCTAssertEqual(try IndexStore(path: databasePath, mode: .readOnly).skippedFiles(), [])
    }

    func testOpeningAFIFONeverBlocks() throws {
        XCTAssertEqual(mkfifo(scratch.subpath("fifo"), 0o644), 0)
        guard case .skipped(.notARegularFile) = SourceFile.load(path: scratch.subpath("fifo"), limit: limit, root: nil) else {
            return XCTFail("a FIFO is not read")
        }
        guard case .skipped(.notARegularFile) = SourceFile.load(path: "/dev/zero", limit: limit, root: nil) else {
            return XCTFail("a device is not read")
        }
    }

    func testHelpersReadTheOpenFileAndLeakNoDescriptors() throws {
        try scratch.write("page.1", ".TH PAGE 1\n.SH NAME\npage \\- a manual page\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -9 -c \"$1\" > \"$2\"", "sh", scratch.subpath("page.1"), scratch.subpath("page.1.gz")]
        try process.run()
        process.waitUntilExit()
        let loader = DocumentLoader()
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        func loadOnce() throws {
            guard case .opened(let file) = SourceFile.load(path: scratch.subpath("page.1.gz"), limit: limit, root: nil) else {
                return XCTFail("the .gz file opens")
            }
            guard case .loaded(let document) = loader.load(name: "page.1.gz", file: file, limit: limit) else {
                return XCTFail("the man page loads through gzip on the open descriptor")
            }
            XCTAssertTrue(document.text.contains("a manual page"), document.text)
        }
        try loadOnce()
        let before = openDescriptors()
        for _ in 0..<20 { try loadOnce() }
        XCTAssertLessThanOrEqual(openDescriptors(), before + 2, "no descriptor leaks per load")
    }

    func testReadingStopsAtTheLimit() throws {
        let path = try scratch.write("corpus/grown.txt", String(repeating: "a", count: 3 << 20))
        guard case .skipped(.tooLarge(_, let reported)) = SourceFile.load(path: path, limit: limit, root: nil) else {
            return XCTFail("a file that grew past the limit after the walk is skipped")
        }
        XCTAssertEqual(reported, limit)
    }

    func testLongLinesAreCountedInBoundedPieces() throws {
        let counter = FakeTokenCounter()
        let line = (0..<200_000).map { "w\($0 % 97)" }.joined(separator: " ")   // ~1 MiB, one line
        let document = PlainTextLoader.load(line)
        let chunks = Chunker(counter: counter).chunk(document)
        XCTAssertLessThanOrEqual(counter.longestTextCounted, 32_768, "the tokenizer never sees the whole line")
        XCTAssertTrue(chunks.allSatisfy { $0.tokenCount <= counter.maxTokens })
        XCTAssertEqual(chunks.first?.byteRange.lowerBound, 0)
        XCTAssertEqual(chunks.last?.byteRange.upperBound, line.utf8.count)
    }
}
