import Foundation

/// Settings of one ingest run.
public struct IngestOptions: Sendable {
    /// Files larger than this, and files whose loader produces more text than this (a decompressed
    /// `.gz`, pdftotext output), are skipped (and reported).
    public var maxFileBytes: Int64
    /// Drop every vector and embed all chunks again with the current embedder.
    public var reembed: Bool
    /// Chunks per embedder call (batches cross document boundaries).
    public var embedBatchSize: Int
    /// Fraction of a chunk repeated at the start of the next one in the same section.
    public var overlapFraction: Double
    /// Follow symbolic links that lead out of the folder being ingested (off: they are skipped).
    public var followLinks: Bool

    public init(maxFileBytes: Int64 = 32 << 20, reembed: Bool = false, embedBatchSize: Int = 32, overlapFraction: Double = 0.15,
                followLinks: Bool = false) {
        self.maxFileBytes = maxFileBytes
        self.reembed = reembed
        self.embedBatchSize = embedBatchSize
        self.overlapFraction = overlapFraction
        self.followLinks = followLinks
    }
}

/// Set from a signal handler (Ctrl-C): the ingest finishes the documents in hand and stops.
public final class IngestCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public func cancel() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}

/// Where the time of an ingest went, in seconds.
public struct IngestTimings: Sendable, Equatable, Codable {
    /// Listing folders.
    public var walk: Double = 0
    /// Reading files and hashing them.
    public var read: Double = 0
    /// Turning bytes into text and structure (HTML, roff, PDF…).
    public var parse: Double = 0
    public var chunk: Double = 0
    public var embed: Double = 0
    /// SQLite transactions.
    public var write: Double = 0

    public init() {}
}

/// What an ingest did.
public struct IngestReport: Sendable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var removed = 0
    /// Added or updated documents whose vectors were copied from a document with the same content (renames, copies).
    public var reused = 0
    /// Skipped files with their root.
    public var skipped: [(root: String, file: SkippedFile)] = []
    /// Indexed files that were not clean UTF-8 (repaired, or decoded as Latin-1), with their root.
    public var decoded: [(root: String, path: String, encoding: TextEncodingUsed)] = []
    /// Chunks written for added and updated documents.
    public var chunksWritten = 0
    /// Chunks that went through the embedder (new text, or `--reembed`).
    public var chunksEmbedded = 0
    public var filesSeen = 0
    public var seconds = 0.0
    public var timings = IngestTimings()
    /// Stopped early by a cancellation (Ctrl-C): nothing was removed, completed documents are kept.
    public var interrupted = false

    public init() {}
}

/// Progress, reported after every file and every embedder batch.
public struct IngestProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var chunksDone: Int
    /// File bytes handled and in all (a better measure of the work left than file counts).
    public var bytesDone: Int64
    public var bytesTotal: Int64
    public var elapsed: Double
    /// The file just handled (relative path).
    public var currentFile: String?
}

/// What an ingest or a watcher did to one document.
public enum DocumentChange: String, Sendable {
    case added, updated, removed
}

/// Part of a root to ingest: scopes are relative paths ("" for the whole root); files in `named` were named on
/// the command line, so a remembered skip does not keep them out.
public struct IngestTarget: Sendable {
    public let root: StoredRoot
    public var scopes: [String]
    public var named: Set<String>

    public init(root: StoredRoot, scopes: [String], named: Set<String>) {
        self.root = root
        self.scopes = scopes
        self.named = named
    }

    /// Is this document path inside one of the scopes?
    func holds(_ path: String) -> Bool { scopes.contains { RootScope.contains($0, path) } }

    /// One target per root, each scope once and none inside another (so no file is walked twice).
    static func merged(_ targets: [IngestTarget]) -> [IngestTarget] {
        var merged: [IngestTarget] = []
        for target in targets {
            if let index = merged.firstIndex(where: { $0.root.id == target.root.id }) {
                merged[index].scopes += target.scopes
                merged[index].named.formUnion(target.named)
            } else {
                merged.append(target)
            }
        }
        for index in merged.indices {
            let scopes = Set(merged[index].scopes).sorted()
            merged[index].scopes = scopes.filter { scope in !scopes.contains { $0 != scope && RootScope.contains($0, scope) } }
        }
        return merged
    }
}

public enum IngestEvent: Sendable {
    /// A document was added, updated or removed (written to the index).
    case applied(root: String, path: String, change: DocumentChange)
    case walked(root: String, files: Int, skipped: Int)
    case progress(IngestProgress)
    case skipped(root: String, file: SkippedFile)
    case reembedding(chunks: Int)
    /// The index's vectors were made from another `EmbeddingInput`: every chunk is embedded again.
    case embeddingInputChanged
}
