import Foundation
import Index
import XCTest

final class IndexStoreTests: XCTestCase {
    let identity = EmbedderIdentity(name: "fake", modelSHA256: "00ff", dimension: 4)

    func chunk(_ ordinal: Int, _ text: String, vector: [Float]) -> EmbeddedChunk {
        EmbeddedChunk(ordinal: ordinal, text: text, heading: "Doc > Part \(ordinal)", characterRange: (ordinal * 10)..<(ordinal * 10 + 10),
                      lineRange: (ordinal + 1)...(ordinal + 2), tokenCount: 7, vector: vector)
    }

    /// A store with one root and two documents of 3 and 2 chunks.
    func makeStore(_ scratch: ScratchDirectory) throws -> (IndexStore, [Int64]) {
        let store = try IndexStore(path: scratch.subpath("index.sqlite"), mode: .readWrite)
        try store.claim(for: identity)
        let documents = try store.transaction { () throws(IndexError) -> [Int64] in
            let root = try store.rootID(for: "/data/root")
            let first = try store.replaceDocument(
                rootID: root, facts: DocumentFacts(path: "a.txt", sha256: "aaa", size: 10, mtime: 1, format: "text"),
                chunks: [chunk(0, "alpha apples", vector: [1, 0, 0, 0]), chunk(1, "beta bananas", vector: [0, 1, 0, 0]),
                         chunk(2, "gamma grapes", vector: [0, 0, 1, 0])], dimension: 4)
            let second = try store.replaceDocument(
                rootID: root, facts: DocumentFacts(path: "sub/b.md", sha256: "bbb", size: 20, mtime: 2, format: "markdown"),
                chunks: [chunk(0, "delta dates apples", vector: [0, 0, 0, 1]), chunk(1, "epsilon", vector: [0.5, 0.5, 0.5, 0.5])],
                dimension: 4)
            return [first, second]
        }
        return (store, documents)
    }

    func testWriteAndReadBack() throws {
        let scratch = try ScratchDirectory()
        let (store, documents) = try makeStore(scratch)
        XCTAssertEqual(try store.schemaVersion, Migrations.latestVersion)

        let vectors = try store.allVectors()
        XCTAssertEqual(vectors.count, 5)
        XCTAssertEqual(vectors.dimension, 4)
        XCTAssertEqual(vectors.values.count, 20)
        XCTAssertEqual(Array(vectors.values[4..<8]), [0, 1, 0, 0])

        let chunks = try store.chunks(ids: [vectors.chunkIds[3], vectors.chunkIds[0], 999_999])
        XCTAssertEqual(chunks.map(\.text), ["delta dates apples", "alpha apples"], "in the order asked, unknown ids left out")
        XCTAssertEqual(chunks[0].path, "sub/b.md")
        XCTAssertEqual(chunks[0].rootPath, "/data/root")
        XCTAssertEqual(chunks[0].absolutePath, "/data/root/sub/b.md")
        XCTAssertEqual(chunks[0].heading, "Doc > Part 0")
        XCTAssertEqual(chunks[0].startLine, 1)
        XCTAssertEqual(chunks[0].endLine, 2)

        let middle = try store.neighbours(of: vectors.chunkIds[1])
        XCTAssertEqual(middle.previous, vectors.chunkIds[0])
        XCTAssertEqual(middle.next, vectors.chunkIds[2])
        let first = try store.neighbours(of: vectors.chunkIds[3])
        XCTAssertNil(first.previous)
        XCTAssertEqual(first.next, vectors.chunkIds[4])

        let listed = try store.documents()
        XCTAssertEqual(listed.map(\.path), ["a.txt", "sub/b.md"])
        XCTAssertEqual(listed.map(\.chunkCount), [3, 2])
        XCTAssertEqual(listed.map(\.id), documents)

        let statistics = try store.statistics()
        XCTAssertEqual(statistics.documentCount, 2)
        XCTAssertEqual(statistics.chunkCount, 5)
        XCTAssertEqual(statistics.vectorCount, 5)
        XCTAssertEqual(statistics.roots.map(\.path), ["/data/root"])
        XCTAssertEqual(statistics.embedder, identity)
        XCTAssertGreaterThan(statistics.databaseBytes, 0)
        XCTAssertEqual(try store.integrityProblems(), [])
    }

    func testFullTextSearchStaysConsistentUnderDeletesAndReplaces() throws {
        let scratch = try ScratchDirectory()
        let (store, documents) = try makeStore(scratch)
        var hits = try store.ftsSearch(matchExpression: "\"apples\"", limit: 10)
        XCTAssertEqual(hits.count, 2)
        XCTAssertTrue(hits.allSatisfy { $0.bm25 < 0 }, "SQLite bm25: lower is better")
        XCTAssertLessThanOrEqual(hits[0].bm25, hits[1].bm25, "best first")

        try store.transaction { () throws(IndexError) in try store.removeDocument(id: documents[0]) }
        hits = try store.ftsSearch(matchExpression: "\"apples\"", limit: 10)
        XCTAssertEqual(try store.chunks(ids: hits.map(\.chunkId)).map(\.path), ["sub/b.md"])
        XCTAssertEqual(try store.ftsSearch(matchExpression: "grapes", limit: 10).count, 0)

        // Replacing a document's chunks replaces its full-text rows.
        try store.transaction { () throws(IndexError) in
            let root = try store.rootID(for: "/data/root")
            try store.replaceDocument(rootID: root, facts: DocumentFacts(path: "sub/b.md", sha256: "ccc", size: 5, mtime: 3, format: "markdown"),
                                      chunks: [chunk(0, "zeta zucchini", vector: [1, 1, 0, 0])], dimension: 4)
        }
        XCTAssertEqual(try store.ftsSearch(matchExpression: "apples", limit: 10).count, 0)
        XCTAssertEqual(try store.ftsSearch(matchExpression: "zucchini", limit: 10).count, 1)
        XCTAssertEqual(try store.statistics().chunkCount, 1)
        XCTAssertEqual(try store.statistics().vectorCount, 1, "vectors of replaced chunks are gone (cascade)")
        XCTAssertEqual(try store.integrityProblems(), [])
    }

    func testMigratesAnOlderSchemaKeepingData() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.subpath("old.sqlite")
        do {
            // Version 1: no full-text table yet.
            let old = try IndexStore(path: path, migratingUpTo: 1)
            XCTAssertEqual(try old.schemaVersion, 1)
            try old.connection.execute("""
                INSERT INTO roots(id, path, added_at) VALUES (1, '/r', 0);
                INSERT INTO documents(id, root_id, path, sha256, size, mtime, format, indexed_at) VALUES (1, 1, 'x.txt', 'h', 1, 1, 'text', 0);
                INSERT INTO chunks(id, document_id, ordinal, text, heading, char_start, char_end, start_line, end_line, token_count)
                    VALUES (1, 1, 0, 'migrated words survive', '', 0, 22, 1, 1, 5);
                """)
        }
        // A reader refuses the old schema with a hint; a writer upgrades it.
        XCTAssertThrowsError(try IndexStore(path: path, mode: .readOnly)) { error in
            XCTAssertEqual(error as? IndexError, .schemaTooOld(path: path, found: 1, required: Migrations.latestVersion))
            XCTAssertTrue(String(describing: error).contains("rag ingest"))
        }
        let store = try IndexStore(path: path, mode: .readWrite)
        XCTAssertEqual(try store.schemaVersion, Migrations.latestVersion)
        XCTAssertEqual(try store.ftsSearch(matchExpression: "survive", limit: 5).map(\.chunkId), [1], "existing chunks are indexed")
        XCTAssertEqual(try store.integrityProblems(), [])
        let reader = try IndexStore(path: path, mode: .readOnly)
        XCTAssertEqual(try reader.chunks(ids: [1]).first?.text, "migrated words survive")
    }

    func testMigrationsAreNumberedInOrder() {
        XCTAssertEqual(Migrations.all.map(\.version), Array(1...Migrations.all.count))
    }

    func testNewerSchemaIsRefused() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.subpath("future.sqlite")
        do {
            let store = try IndexStore(path: path, mode: .readWrite)
            try store.connection.execute("PRAGMA user_version = \(Migrations.latestVersion + 5)")
        }
        XCTAssertThrowsError(try IndexStore(path: path, mode: .readWrite)) { error in
            guard case .schemaTooNew = error as? IndexError else { return XCTFail("\(error)") }
        }
    }

    func testReaderOfMissingIndexSaysRunIngest() throws {
        let scratch = try ScratchDirectory()
        XCTAssertThrowsError(try IndexStore(path: scratch.subpath("none.sqlite"), mode: .readOnly)) { error in
            XCTAssertEqual(error as? IndexError, .missingIndex(path: scratch.subpath("none.sqlite")))
            XCTAssertTrue(String(describing: error).contains("rag ingest"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.subpath("none.sqlite")), "readers never create the file")
    }

    func testOtherEmbedderIsRefusedWithReembedHint() throws {
        let scratch = try ScratchDirectory()
        let (store, _) = try makeStore(scratch)
        let other = EmbedderIdentity(name: "other", modelSHA256: "1234", dimension: 8)
        XCTAssertThrowsError(try store.claim(for: other)) { error in
            XCTAssertTrue(String(describing: error).contains("rag ingest --reembed"))
        }
        try store.resetVectors(for: other)
        XCTAssertEqual(try store.embedderIdentity(), other)
        XCTAssertEqual(try store.countChunksMissingVectors(), 5)
        XCTAssertEqual(try store.allVectors().count, 0)
    }

    func testReadOnlyConnectionReadsWhileAWriterHoldsATransaction() throws {
        let scratch = try ScratchDirectory()
        let (store, _) = try makeStore(scratch)
        let reader = try IndexStore(path: store.path, mode: .readOnly)
        try store.connection.execute("BEGIN IMMEDIATE")
        try store.connection.execute("DELETE FROM chunks")
        XCTAssertEqual(try reader.statistics().chunkCount, 5, "the reader sees the last committed state")
        try store.connection.execute("COMMIT")
        XCTAssertEqual(try reader.statistics().chunkCount, 0)
        XCTAssertThrowsError(try reader.setMeta("x", "y"), "read-only connections cannot write")
    }

    func testReusableChunksNeedEveryVector() throws {
        let scratch = try ScratchDirectory()
        let (store, _) = try makeStore(scratch)
        let reused = try store.reusableChunks(sha256: "aaa", format: "text", dimension: 4)
        XCTAssertEqual(reused?.map(\.text), ["alpha apples", "beta bananas", "gamma grapes"])
        XCTAssertEqual(reused?[1].vector, [0, 1, 0, 0])
        XCTAssertNil(try store.reusableChunks(sha256: "aaa", format: "markdown", dimension: 4), "format must match")
        try store.connection.execute("DELETE FROM chunk_vectors WHERE chunk_id = (SELECT min(id) FROM chunks)")
        XCTAssertNil(try store.reusableChunks(sha256: "aaa", format: "text", dimension: 4))
    }
}
