import Foundation
import Index

/// What the index holds: `rag status --json`, and the `index` of `GET /api/status`.
public struct StatusReport: Encodable, Sendable {
    public struct Root: Encodable, Sendable {
        public let path: String
        public let documents: Int
        public let chunks: Int
        /// The folder of files named to `rag ingest`: it holds only those.
        public let filesOnly: Bool

        enum CodingKeys: String, CodingKey {
            case path, documents, chunks
            case filesOnly = "files_only"
        }
    }

    /// A file the last ingest of its root left out, with the reason.
    public struct Skipped: Encodable, Sendable {
        public let root: String
        public let path: String
        public let reason: String
        public let detail: String
        /// Size and mtime of the file when it was skipped: it is not read again while they stay the same.
        public let size: Int64?
        public let mtime: Double?
    }

    public let database: String
    public let databaseBytes: Int64
    public let schemaVersion: Int
    public let roots: [Root]
    public let documents: Int
    public let chunks: Int
    public let vectors: Int
    public let embedder: String?
    public let dimension: Int?
    public let modelSHA256: String?
    /// ISO 8601, UTC.
    public let lastIngest: String?
    /// Files the last ingest of each root left out.
    public let skipped: [Skipped]

    enum CodingKeys: String, CodingKey {
        case database, roots, documents, chunks, vectors, embedder, dimension, skipped
        case databaseBytes = "database_bytes"
        case schemaVersion = "schema_version"
        case modelSHA256 = "model_sha256"
        case lastIngest = "last_ingest"
    }

    public init(_ statistics: IndexStatistics, skipped: [StoredSkippedFile] = []) {
        database = statistics.path
        databaseBytes = statistics.databaseBytes
        schemaVersion = statistics.schemaVersion
        roots = statistics.roots.map { Root(path: $0.path, documents: $0.documentCount, chunks: $0.chunkCount, filesOnly: $0.filesOnly) }
        documents = statistics.documentCount
        chunks = statistics.chunkCount
        vectors = statistics.vectorCount
        embedder = statistics.embedder?.name
        dimension = statistics.embedder?.dimension
        modelSHA256 = statistics.embedder?.modelSHA256
        lastIngest = statistics.lastIngest.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) }
        self.skipped = skipped.map { Skipped(root: $0.rootPath, path: $0.path, reason: $0.reason, detail: $0.detail, size: $0.size, mtime: $0.mtime) }
    }
}
