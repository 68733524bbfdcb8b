import CSQLite
import Foundation

/// The index: one SQLite file (WAL) holding roots, documents, chunks, vectors, full-text index and meta.
///
/// Writers open `.readWrite` (creates the file, applies migrations); readers open `.readOnly` and keep
/// working while an ingest runs in another process. One instance is one connection: use it from one thread.
public final class IndexStore {
    public let path: String
    public let connection: SQLiteConnection

    public enum Mode: Sendable { case readWrite, readOnly }

    /// Meta keys.
    enum MetaKey {
        static let embedderName = "embedder_name"
        static let embedderModelSHA256 = "embedder_model_sha256"
        static let dimension = "dimension"
        static let lastIngest = "last_ingest"
        static let embeddingInput = "embedding_input"
    }

    public init(path: String, mode: Mode) throws(IndexError) {
        self.path = path
        switch mode {
        case .readOnly:
            guard FileManager.default.fileExists(atPath: path) else { throw .missingIndex(path: path) }
            connection = try SQLiteConnection(path: path, mode: .readOnly)
            try connection.execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA query_only = ON")
            let version = Int(try connection.scalarInt("PRAGMA user_version") ?? 0)
            if version == 0 { throw .missingIndex(path: path) }
            if version > Migrations.latestVersion {
                throw .schemaTooNew(path: path, found: version, supported: Migrations.latestVersion)
            }
            if version < Migrations.latestVersion {
                throw .schemaTooOld(path: path, found: version, required: Migrations.latestVersion)
            }
        case .readWrite:
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            connection = try SQLiteConnection(path: path, mode: .readWrite)
            try connection.execute("PRAGMA busy_timeout = 10000")
            try connection.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")
            try Migrations.migrate(connection)
        }
    }

    /// Opens an existing index read-write only up to `schemaVersion` (tests build older schemas this way).
    public init(path: String, migratingUpTo schemaVersion: Int) throws(IndexError) {
        self.path = path
        connection = try SQLiteConnection(path: path, mode: .readWrite)
        try connection.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000")
        try Migrations.migrate(connection, upTo: schemaVersion)
    }

    public var schemaVersion: Int {
        get throws(IndexError) { Int(try connection.scalarInt("PRAGMA user_version") ?? 0) }
    }

    public func transaction<T>(_ body: () throws(IndexError) -> T) throws(IndexError) -> T {
        try connection.transaction(body)
    }

    // MARK: - Meta

    public func meta(_ key: String) throws(IndexError) -> String? {
        let statement = try connection.prepare("SELECT value FROM meta WHERE key = ?")
        statement.bind(1, key)
        return try statement.step() ? statement.string(0) : nil
    }

    public func setMeta(_ key: String, _ value: String) throws(IndexError) {
        let statement = try connection.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        statement.bind(1, key)
        statement.bind(2, value)
        try statement.run()
    }

    /// The embedder whose vectors the index holds (nil for a new index).
    public func embedderIdentity() throws(IndexError) -> EmbedderIdentity? {
        guard let name = try meta(MetaKey.embedderName),
              let sha = try meta(MetaKey.embedderModelSHA256),
              let dimension = try meta(MetaKey.dimension).flatMap({ Int($0) }) else { return nil }
        return EmbedderIdentity(name: name, modelSHA256: sha, dimension: dimension)
    }

    public func setEmbedderIdentity(_ identity: EmbedderIdentity) throws(IndexError) {
        try setMeta(MetaKey.embedderName, identity.name)
        try setMeta(MetaKey.embedderModelSHA256, identity.modelSHA256)
        try setMeta(MetaKey.dimension, String(identity.dimension))
    }

    /// Refuses an index built by another embedder; records the identity in a new index.
    public func claim(for identity: EmbedderIdentity) throws(IndexError) {
        if let stored = try embedderIdentity() {
            if stored != identity { throw .embedderMismatch(path: path, stored: stored, current: identity) }
        } else {
            try transaction { () throws(IndexError) in
                try setEmbedderIdentity(identity)
                try setMeta(MetaKey.embeddingInput, EmbeddingInput.version)
            }
        }
    }

    /// True when the stored vectors were computed from another `EmbeddingInput` than this build's.
    public func vectorsUseOtherInput() throws(IndexError) -> Bool {
        try meta(MetaKey.embeddingInput) != EmbeddingInput.version
    }

    /// Throws when the index holds another embedder's vectors (a new index passes).
    public func checkEmbedder(_ identity: EmbedderIdentity) throws(IndexError) {
        if let stored = try embedderIdentity(), stored != identity {
            throw .embedderMismatch(path: path, stored: stored, current: identity)
        }
    }

    /// `--reembed`: drops every vector and adopts `identity`, in one transaction.
    /// Chunks without vectors are then filled by `chunksMissingVectors` / `setVector`.
    public func resetVectors(for identity: EmbedderIdentity) throws(IndexError) {
        try transaction { () throws(IndexError) in
            try connection.execute("DELETE FROM chunk_vectors")
            try setEmbedderIdentity(identity)
            try setMeta(MetaKey.embeddingInput, EmbeddingInput.version)
        }
    }

    public func recordIngestFinished(at time: Double) throws(IndexError) {
        try setMeta(MetaKey.lastIngest, String(time))
    }

    // MARK: - Roots and documents (writing)

    /// The id of the root with this absolute path, inserted if new.
    public func rootID(for rootPath: String) throws(IndexError) -> Int64 {
        let find = try connection.prepare("SELECT id FROM roots WHERE path = ?")
        find.bind(1, rootPath)
        if try find.step() { return find.int64(0) }
        let insert = try connection.prepare("INSERT INTO roots(path, added_at) VALUES (?, ?)")
        insert.bind(1, rootPath)
        insert.bind(2, Date().timeIntervalSince1970)
        try insert.run()
        return connection.lastInsertRowID
    }

    /// Every document of a root, keyed by relative path.
    public func documentStates(rootID: Int64) throws(IndexError) -> [String: DocumentState] {
        let statement = try connection.prepare("SELECT id, path, size, mtime, sha256, format FROM documents WHERE root_id = ?")
        statement.bind(1, rootID)
        var states: [String: DocumentState] = [:]
        while try statement.step() {
            states[statement.string(1)] = DocumentState(id: statement.int64(0), size: statement.int64(2), mtime: statement.double(3),
                                                       sha256: statement.string(4), format: statement.string(5))
        }
        return states
    }

    /// Replaces the document at `facts.path` (if any) with new rows. Call inside a transaction.
    @discardableResult
    public func replaceDocument(rootID: Int64, facts: DocumentFacts, chunks: [EmbeddedChunk], dimension: Int) throws(IndexError) -> Int64 {
        let remove = try connection.prepare("DELETE FROM documents WHERE root_id = ? AND path = ?")
        remove.bind(1, rootID)
        remove.bind(2, facts.path)
        try remove.run()

        let insertDocument = try connection.prepare("""
            INSERT INTO documents(root_id, path, sha256, size, mtime, format, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        insertDocument.bind(1, rootID)
        insertDocument.bind(2, facts.path)
        insertDocument.bind(3, facts.sha256)
        insertDocument.bind(4, facts.size)
        insertDocument.bind(5, facts.mtime)
        insertDocument.bind(6, facts.format)
        insertDocument.bind(7, Date().timeIntervalSince1970)
        try insertDocument.run()
        let documentID = connection.lastInsertRowID

        let insertChunk = try connection.prepare("""
            INSERT INTO chunks(document_id, ordinal, text, heading, char_start, char_end, start_line, end_line, token_count,
                               page_start, page_end)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertVector = try connection.prepare("INSERT INTO chunk_vectors(chunk_id, vector) VALUES (?, ?)")
        for chunk in chunks {
            guard chunk.vector.count == dimension else {
                throw .badEmbedding(expectedCount: chunks.count, actualCount: chunks.count, dimension: dimension)
            }
            insertChunk.bind(1, documentID)
            insertChunk.bind(2, chunk.ordinal)
            insertChunk.bind(3, chunk.text)
            insertChunk.bind(4, chunk.heading)
            insertChunk.bind(5, chunk.characterRange.lowerBound)
            insertChunk.bind(6, chunk.characterRange.upperBound)
            insertChunk.bind(7, chunk.lineRange.lowerBound)
            insertChunk.bind(8, chunk.lineRange.upperBound)
            insertChunk.bind(9, chunk.tokenCount)
            if let pages = chunk.pageRange {
                insertChunk.bind(10, pages.lowerBound)
                insertChunk.bind(11, pages.upperBound)
            } else {
                insertChunk.bindNull(10)
                insertChunk.bindNull(11)
            }
            try insertChunk.run()
            let chunkID = connection.lastInsertRowID
            insertVector.bind(1, chunkID)
            VectorBlob.withLittleEndianBytes(chunk.vector) { insertVector.bind(2, blob: $0) }
            try insertVector.run()
        }
        return documentID
    }

    /// Records a new size/mtime for a document whose content hash did not change.
    public func touchDocument(id: Int64, size: Int64, mtime: Double) throws(IndexError) {
        let statement = try connection.prepare("UPDATE documents SET size = ?, mtime = ? WHERE id = ?")
        statement.bind(1, size)
        statement.bind(2, mtime)
        statement.bind(3, id)
        try statement.run()
    }

    /// Deletes a document with its chunks, vectors and full-text rows (foreign keys cascade, triggers keep FTS in step).
    public func removeDocument(id: Int64) throws(IndexError) {
        let statement = try connection.prepare("DELETE FROM documents WHERE id = ?")
        statement.bind(1, id)
        try statement.run()
    }

    /// Chunks and vectors of some document with this content and format, when every chunk has its vector:
    /// a renamed or copied file reuses them instead of being embedded again.
    public func reusableChunks(sha256: String, format: String, dimension: Int) throws(IndexError) -> [EmbeddedChunk]? {
        let find = try connection.prepare("SELECT id FROM documents WHERE sha256 = ? AND format = ? LIMIT 1")
        find.bind(1, sha256)
        find.bind(2, format)
        guard try find.step() else { return nil }
        let documentID = find.int64(0)
        let statement = try connection.prepare("""
            SELECT c.ordinal, c.text, c.heading, c.char_start, c.char_end, c.start_line, c.end_line, c.token_count, v.vector,
                   c.page_start, c.page_end
            FROM chunks c LEFT JOIN chunk_vectors v ON v.chunk_id = c.id
            WHERE c.document_id = ? ORDER BY c.ordinal
            """)
        statement.bind(1, documentID)
        var records: [EmbeddedChunk] = []
        while try statement.step() {
            if statement.isNull(8) { return nil }
            let blob = statement.blob(8)
            guard blob.count == dimension * 4 else { return nil }
            records.append(EmbeddedChunk(
                ordinal: statement.int(0), text: statement.string(1), heading: statement.string(2),
                characterRange: statement.int(3)..<max(statement.int(3), statement.int(4)),
                lineRange: statement.int(5)...max(statement.int(5), statement.int(6)),
                tokenCount: statement.int(7), vector: VectorBlob.floats(from: blob),
                pageRange: statement.isNull(9) ? nil : statement.int(9)...max(statement.int(9), statement.int(10))))
        }
        return records
    }

    /// Up to `limit` chunks that have no vector yet (after `--reembed`, or an index from an interrupted re-embed).
    public func chunksMissingVectors(limit: Int) throws(IndexError) -> [(id: Int64, text: String, heading: String)] {
        let statement = try connection.prepare("""
            SELECT c.id, c.text, c.heading FROM chunks c LEFT JOIN chunk_vectors v ON v.chunk_id = c.id
            WHERE v.chunk_id IS NULL ORDER BY c.id LIMIT ?
            """)
        statement.bind(1, limit)
        var rows: [(id: Int64, text: String, heading: String)] = []
        while try statement.step() { rows.append((statement.int64(0), statement.string(1), statement.string(2))) }
        return rows
    }

    public func countChunksMissingVectors() throws(IndexError) -> Int {
        Int(try connection.scalarInt("SELECT count(*) FROM chunks c LEFT JOIN chunk_vectors v ON v.chunk_id = c.id WHERE v.chunk_id IS NULL") ?? 0)
    }

    public func setVector(chunkID: Int64, vector: [Float]) throws(IndexError) {
        let statement = try connection.prepare("INSERT OR REPLACE INTO chunk_vectors(chunk_id, vector) VALUES (?, ?)")
        statement.bind(1, chunkID)
        VectorBlob.withLittleEndianBytes(vector) { statement.bind(2, blob: $0) }
        try statement.run()
    }

    // MARK: - Reading (what retrieval needs)

    /// Every vector, as chunk ids plus one contiguous [count, dimension] matrix, in chunk id order.
    public func allVectors() throws(IndexError) -> ChunkVectors {
        let dimension = try embedderIdentity()?.dimension ?? 0
        guard dimension > 0 else { return ChunkVectors(chunkIds: [], values: [], dimension: 0) }
        let count = Int(try connection.scalarInt("SELECT count(*) FROM chunk_vectors") ?? 0)
        var ids: [Int64] = []
        ids.reserveCapacity(count)
        var values: [Float] = []
        values.reserveCapacity(count * dimension)
        let statement = try connection.prepare("SELECT chunk_id, vector FROM chunk_vectors ORDER BY chunk_id")
        while try statement.step() {
            let blob = statement.blob(1)
            guard blob.count == dimension * 4 else {
                throw .corruptVector(chunkId: statement.int64(0), bytes: blob.count, dimension: dimension)
            }
            ids.append(statement.int64(0))
            VectorBlob.append(blob, to: &values)
        }
        return ChunkVectors(chunkIds: ids, values: values, dimension: dimension)
    }

    private static let chunkColumns = """
        c.id, c.document_id, c.ordinal, r.path, d.path, c.heading, c.char_start, c.char_end,
        c.start_line, c.end_line, c.token_count, c.text, c.page_start, c.page_end
        FROM chunks c JOIN documents d ON d.id = c.document_id JOIN roots r ON r.id = d.root_id
        """

    private func readChunk(_ statement: SQLiteStatement) -> StoredChunk {
        StoredChunk(id: statement.int64(0), documentId: statement.int64(1), ordinal: statement.int(2),
                    rootPath: statement.string(3), path: statement.string(4), heading: statement.string(5),
                    charStart: statement.int(6), charEnd: statement.int(7), startLine: statement.int(8),
                    endLine: statement.int(9), tokenCount: statement.int(10), text: statement.string(11),
                    pageStart: statement.isNull(12) ? nil : statement.int(12), pageEnd: statement.isNull(13) ? nil : statement.int(13))
    }

    /// The chunks with these ids, in the order of `ids` (unknown ids are left out).
    public func chunks(ids: [Int64]) throws(IndexError) -> [StoredChunk] {
        guard !ids.isEmpty else { return [] }
        var byID: [Int64: StoredChunk] = [:]
        // Bind in slices: SQLite limits the number of parameters per statement.
        let sliceSize = 500
        var start = 0
        while start < ids.count {
            let slice = ids[start..<min(ids.count, start + sliceSize)]
            let placeholders = Array(repeating: "?", count: slice.count).joined(separator: ",")
            let statement = try connection.prepare("SELECT \(Self.chunkColumns) WHERE c.id IN (\(placeholders))")
            for (offset, id) in slice.enumerated() { statement.bind(Int32(offset + 1), id) }
            while try statement.step() {
                let chunk = readChunk(statement)
                byID[chunk.id] = chunk
            }
            start += sliceSize
        }
        return ids.compactMap { byID[$0] }
    }

    /// All chunks of one document in order.
    public func chunks(documentID: Int64) throws(IndexError) -> [StoredChunk] {
        let statement = try connection.prepare("SELECT \(Self.chunkColumns) WHERE c.document_id = ? ORDER BY c.ordinal")
        statement.bind(1, documentID)
        var result: [StoredChunk] = []
        while try statement.step() { result.append(readChunk(statement)) }
        return result
    }

    /// Full-text search. `matchExpression` is an FTS5 MATCH expression the caller made safe
    /// (quote user words: `"word1" OR "word2"`). Returns chunk ids with SQLite's `bm25()` score as it
    /// returns it: **lower (more negative) is better**; best first.
    public func ftsSearch(matchExpression: String, limit: Int) throws(IndexError) -> [(chunkId: Int64, bm25: Double)] {
        let statement = try connection.prepare("""
            SELECT rowid, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?
            """)
        statement.bind(1, matchExpression)
        statement.bind(2, limit)
        var results: [(chunkId: Int64, bm25: Double)] = []
        while try statement.step() { results.append((statement.int64(0), statement.double(1))) }
        return results
    }

    /// How many chunks match each FTS5 MATCH expression (made safe by the caller, as for `ftsSearch`), and how many
    /// chunks there are: the document frequencies behind IDF weights.
    public func matchCounts(_ expressions: [String]) throws(IndexError) -> (chunks: Int, counts: [String: Int]) {
        let total = try connection.prepare("SELECT count(*) FROM chunks")
        let chunks = try total.step() ? Int(total.int64(0)) : 0
        let statement = try connection.prepare("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?")
        var counts: [String: Int] = [:]
        for expression in Set(expressions) {
            statement.reset()
            statement.bind(1, expression)
            counts[expression] = try statement.step() ? Int(statement.int64(0)) : 0
        }
        return (chunks, counts)
    }

    /// The chunks just before and after `chunkID` in its document (nil at the ends).
    public func neighbours(of chunkID: Int64) throws(IndexError) -> (previous: Int64?, next: Int64?) {
        let statement = try connection.prepare("""
            SELECT (SELECT p.id FROM chunks p WHERE p.document_id = c.document_id AND p.ordinal = c.ordinal - 1),
                   (SELECT n.id FROM chunks n WHERE n.document_id = c.document_id AND n.ordinal = c.ordinal + 1)
            FROM chunks c WHERE c.id = ?
            """)
        statement.bind(1, chunkID)
        guard try statement.step() else { return (nil, nil) }
        return (statement.isNull(0) ? nil : statement.int64(0), statement.isNull(1) ? nil : statement.int64(1))
    }

    // MARK: - Skipped files

    /// Records the files an ingest skipped under a root. `clearing`: the scopes (relative paths, "" for the whole
    /// root) whose walk finished, so these are all their skips and older records inside them go; the other
    /// files are added.
    public func recordSkippedFiles(rootID: Int64, _ files: [SkippedFile], clearing scopes: [String]) throws(IndexError) {
        if !scopes.isEmpty {
            let remove = try connection.prepare("DELETE FROM skipped_files WHERE root_id = ? AND path = ?")
            for path in try skippedStates(rootID: rootID).keys where scopes.contains(where: { RootScope.contains($0, path) }) {
                remove.reset()
                remove.bind(1, rootID)
                remove.bind(2, path)
                try remove.run()
            }
        }
        let insert = try connection.prepare(
            "INSERT OR REPLACE INTO skipped_files(root_id, path, reason, detail, recorded_at, size, mtime) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let now = Date().timeIntervalSince1970
        for file in files {
            insert.reset()
            insert.bind(1, rootID)
            insert.bind(2, file.path)
            insert.bind(3, file.reason.key)
            insert.bind(4, file.reason.description)
            insert.bind(5, now)
            let remember = file.reason.isWorthRemembering
            if remember, let size = file.size { insert.bind(6, size) } else { insert.bindNull(6) }
            if remember, let mtime = file.mtime { insert.bind(7, mtime) } else { insert.bindNull(7) }
            try insert.run()
        }
    }

    /// The skipped files of one root, keyed by relative path.
    public func skippedStates(rootID: Int64) throws(IndexError) -> [String: StoredSkippedFile] {
        let statement = try connection.prepare("""
            SELECT r.path, s.path, s.reason, s.detail, s.size, s.mtime FROM skipped_files s JOIN roots r ON r.id = s.root_id
            WHERE s.root_id = ?
            """)
        statement.bind(1, rootID)
        var result: [String: StoredSkippedFile] = [:]
        while try statement.step() {
            let file = readSkipped(statement)
            result[file.path] = file
        }
        return result
    }

    /// Files the last ingests skipped, ordered by root and path.
    public func skippedFiles() throws(IndexError) -> [StoredSkippedFile] {
        let statement = try connection.prepare("""
            SELECT r.path, s.path, s.reason, s.detail, s.size, s.mtime FROM skipped_files s JOIN roots r ON r.id = s.root_id
            ORDER BY r.path, s.path
            """)
        var result: [StoredSkippedFile] = []
        while try statement.step() { result.append(readSkipped(statement)) }
        return result
    }

    private func readSkipped(_ statement: SQLiteStatement) -> StoredSkippedFile {
        StoredSkippedFile(rootPath: statement.string(0), path: statement.string(1), reason: statement.string(2),
                          detail: statement.string(3), size: statement.isNull(4) ? nil : statement.int64(4),
                          mtime: statement.isNull(5) ? nil : statement.double(5))
    }

    /// Every document, ordered by root and path.
    public func documents() throws(IndexError) -> [StoredDocument] {
        let statement = try connection.prepare("""
            SELECT d.id, r.path, d.path, d.sha256, d.size, d.mtime, d.format, d.indexed_at,
                   (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)
            FROM documents d JOIN roots r ON r.id = d.root_id ORDER BY r.path, d.path
            """)
        var result: [StoredDocument] = []
        while try statement.step() {
            result.append(StoredDocument(id: statement.int64(0), rootPath: statement.string(1), path: statement.string(2),
                                         sha256: statement.string(3), size: statement.int64(4), mtime: statement.double(5),
                                         format: statement.string(6), indexedAt: statement.double(7), chunkCount: statement.int(8)))
        }
        return result
    }

    public func statistics() throws(IndexError) -> IndexStatistics {
        let rootsStatement = try connection.prepare("""
            SELECT r.id, r.path, r.files_only,
                   (SELECT count(*) FROM documents d WHERE d.root_id = r.id),
                   (SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.root_id = r.id)
            FROM roots r ORDER BY r.path
            """)
        var roots: [RootSummary] = []
        while try rootsStatement.step() {
            roots.append(RootSummary(id: rootsStatement.int64(0), path: rootsStatement.string(1), filesOnly: rootsStatement.int(2) != 0,
                                     documentCount: rootsStatement.int(3), chunkCount: rootsStatement.int(4)))
        }
        let fileBytes = [path, path + "-wal"].reduce(Int64(0)) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0)
        }
        return IndexStatistics(
            path: path, schemaVersion: try schemaVersion, roots: roots,
            documentCount: Int(try connection.scalarInt("SELECT count(*) FROM documents") ?? 0),
            chunkCount: Int(try connection.scalarInt("SELECT count(*) FROM chunks") ?? 0),
            vectorCount: Int(try connection.scalarInt("SELECT count(*) FROM chunk_vectors") ?? 0),
            databaseBytes: fileBytes, embedder: try embedderIdentity(),
            lastIngest: try meta(MetaKey.lastIngest).flatMap { Double($0) })
    }

    /// `PRAGMA integrity_check` plus foreign-key and full-text consistency; returns problems (empty = healthy).
    public func integrityProblems() throws(IndexError) -> [String] {
        var problems: [String] = []
        let integrity = try connection.prepare("PRAGMA integrity_check")
        while try integrity.step() {
            let line = integrity.string(0)
            if line != "ok" { problems.append(line) }
        }
        let foreignKeys = try connection.prepare("PRAGMA foreign_key_check")
        while try foreignKeys.step() { problems.append("foreign key violation in \(foreignKeys.string(0))") }
        let ftsCount = try connection.scalarInt("SELECT count(*) FROM chunks_fts") ?? 0
        let chunkCount = try connection.scalarInt("SELECT count(*) FROM chunks") ?? 0
        if ftsCount != chunkCount { problems.append("full-text index has \(ftsCount) rows for \(chunkCount) chunks") }
        return problems
    }
}

/// Float32 vectors as little-endian BLOBs.
enum VectorBlob {
    static func withLittleEndianBytes<R>(_ vector: [Float], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        #if _endian(little)
        return vector.withUnsafeBytes(body)
        #else
        let swapped = vector.map { $0.bitPattern.littleEndian }
        return swapped.withUnsafeBytes(body)
        #endif
    }

    static func append(_ blob: UnsafeRawBufferPointer, to values: inout [Float]) {
        let count = blob.count / 4
        #if _endian(little)
        values.append(contentsOf: UnsafeBufferPointer(start: blob.baseAddress?.assumingMemoryBound(to: Float.self), count: count))
        #else
        for index in 0..<count {
            values.append(Float(bitPattern: UInt32(littleEndian: blob.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))))
        }
        #endif
    }

    static func floats(from blob: UnsafeRawBufferPointer) -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(blob.count / 4)
        append(blob, to: &values)
        return values
    }
}
