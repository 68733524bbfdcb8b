import Foundation

/// A document row as the index holds it.
public struct StoredDocument: Sendable, Equatable {
    public let id: Int64
    public let rootPath: String
    /// Relative to `rootPath`.
    public let path: String
    public let sha256: String
    public let size: Int64
    public let mtime: Double
    public let format: String
    public let indexedAt: Double
    public let chunkCount: Int

    public var absolutePath: String { (rootPath as NSString).appendingPathComponent(path) }
}

/// A file an ingest left out, as the index keeps it (`rag status --json`).
public struct StoredSkippedFile: Sendable, Equatable {
    public let rootPath: String
    /// Relative to `rootPath`.
    public let path: String
    /// `SkipReason.key`.
    public let reason: String
    /// `SkipReason.description`.
    public let detail: String
    /// The file's size and mtime when it was skipped (nil when not known): while they stay the same, the
    /// file is not read again.
    public let size: Int64?
    public let mtime: Double?
}

/// An ingest root: a folder, all of it, or only the files named on the command line.
public struct StoredRoot: Sendable, Equatable {
    public let id: Int64
    /// Absolute, links resolved.
    public let path: String
    /// True for the folder of files named to `rag ingest`: it holds only those and is not walked.
    public let filesOnly: Bool
}

/// What `rag remove` took out of the index for one path.
public struct Removal: Sendable, Equatable {
    /// The path as given.
    public let path: String
    /// Roots forgotten entirely.
    public var roots: [String] = []
    public var documents = 0
    public var chunks = 0
}

/// A chunk row with what a citation needs.
public struct StoredChunk: Sendable, Equatable {
    public let id: Int64
    public let documentId: Int64
    public let ordinal: Int
    public let rootPath: String
    /// Document path relative to `rootPath`.
    public let path: String
    /// Heading path joined with " > " (empty when the chunk sits before any heading).
    public let heading: String
    /// Unicode scalar offsets into the document's extracted text, end exclusive.
    public let charStart: Int
    public let charEnd: Int
    /// 1-based, inclusive lines of the source file.
    public let startLine: Int
    public let endLine: Int
    public let tokenCount: Int
    public let text: String
    /// 1-based PDF pages, inclusive (nil for other formats).
    public let pageStart: Int?
    public let pageEnd: Int?

    public var absolutePath: String { (rootPath as NSString).appendingPathComponent(path) }
}

/// A chunk ready to be written, with its vector.
public struct EmbeddedChunk: Sendable, Equatable {
    public var ordinal: Int
    public var text: String
    public var heading: String
    public var characterRange: Range<Int>
    public var lineRange: ClosedRange<Int>
    public var tokenCount: Int
    /// `dimension` floats, L2-normalized.
    public var vector: [Float]
    /// PDF pages (nil for other formats).
    public var pageRange: ClosedRange<Int>?

    public init(ordinal: Int, text: String, heading: String, characterRange: Range<Int>,
                lineRange: ClosedRange<Int>, tokenCount: Int, vector: [Float], pageRange: ClosedRange<Int>? = nil) {
        self.pageRange = pageRange
        self.ordinal = ordinal
        self.text = text
        self.heading = heading
        self.characterRange = characterRange
        self.lineRange = lineRange
        self.tokenCount = tokenCount
        self.vector = vector
    }
}

/// What the ingest needs to decide whether a file changed.
public struct DocumentState: Sendable, Equatable {
    public let id: Int64
    public let size: Int64
    public let mtime: Double
    public let sha256: String
    public let format: String
}

/// The file facts stored with a document.
public struct DocumentFacts: Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var size: Int64
    public var mtime: Double
    public var format: String

    public init(path: String, sha256: String, size: Int64, mtime: Double, format: String) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.mtime = mtime
        self.format = format
    }
}

/// Every chunk vector in one contiguous row-major matrix: row i belongs to `chunkIds[i]`.
public struct ChunkVectors: Sendable {
    public let chunkIds: [Int64]
    /// [count, dimension]
    public let values: [Float]
    public let dimension: Int

    public var count: Int { chunkIds.count }

    public init(chunkIds: [Int64], values: [Float], dimension: Int) {
        precondition(values.count == chunkIds.count * dimension, "matrix is not [count, dimension]")
        self.chunkIds = chunkIds
        self.values = values
        self.dimension = dimension
    }
}

/// Per-root counts for `rag status`.
public struct RootSummary: Sendable, Equatable {
    public let id: Int64
    public let path: String
    /// Holds only named files (see `StoredRoot.filesOnly`).
    public let filesOnly: Bool
    public let documentCount: Int
    public let chunkCount: Int
}

/// What `rag status` shows.
public struct IndexStatistics: Sendable, Equatable {
    public let path: String
    public let schemaVersion: Int
    public let roots: [RootSummary]
    public let documentCount: Int
    public let chunkCount: Int
    public let vectorCount: Int
    /// Database file plus its write-ahead log.
    public let databaseBytes: Int64
    public let embedder: EmbedderIdentity?
    /// Seconds since 1970 of the last completed ingest.
    public let lastIngest: Double?
}
