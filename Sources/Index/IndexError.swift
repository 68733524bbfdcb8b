import Foundation

/// Everything that can go wrong while opening, reading or writing an index.
/// Each message is one line that names the file and says what to do.
public enum IndexError: Error, Equatable, CustomStringConvertible {
    /// The database file does not exist (readers never create one).
    case missingIndex(path: String)
    /// SQLite refused an operation; `operation` says what we were doing.
    case sqlite(path: String, operation: String, code: Int32, message: String)
    /// The file was written by a newer `rag` with migrations we do not know.
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// A read-only connection found an older schema that needs migrating first.
    case schemaTooOld(path: String, found: Int, required: Int)
    /// The index holds vectors of another embedder; mixing them would make search meaningless.
    case embedderMismatch(path: String, stored: EmbedderIdentity, current: EmbedderIdentity)
    /// An ingest root given on the command line does not exist or is not a folder.
    case rootNotFound(path: String)
    case rootNotADirectory(path: String)
    /// `rag remove PATH`: the index holds nothing at or under PATH.
    case notIndexed(path: String)
    /// The embedder returned something other than `count` vectors of `dimension` floats.
    case badEmbedding(expectedCount: Int, actualCount: Int, dimension: Int)
    /// The embedder threw; `message` is its description.
    case embedderFailed(message: String)
    /// A stored vector blob has the wrong length for the index dimension.
    case corruptVector(chunkId: Int64, bytes: Int, dimension: Int)
    /// A query vector does not match the index dimension.
    case queryDimension(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .missingIndex(let path):
            return "no index at \(path): run 'rag ingest DIR' first"
        case .sqlite(let path, let operation, let code, let message):
            return "index \(path): \(operation) failed (SQLite error \(code): \(message))"
        case .schemaTooNew(let path, let found, let supported):
            return "index \(path) has schema version \(found), newer than this rag supports (\(supported)): upgrade rag or use another --db"
        case .schemaTooOld(let path, let found, let required):
            return "index \(path) has schema version \(found), this rag needs \(required): run 'rag ingest' once to upgrade it"
        case .embedderMismatch(let path, let stored, let current):
            return "index \(path) was built with embedder \(stored.name) (\(stored.dimension)-d, model \(stored.modelSHA256.prefix(12))), "
                + "not \(current.name) (\(current.dimension)-d, model \(current.modelSHA256.prefix(12))): run 'rag ingest --reembed DIR' to rebuild the vectors"
        case .rootNotFound(let path):
            return "\(path): no such file or folder (check the path given to 'rag ingest')"
        case .rootNotADirectory(let path):
            return "\(path) is a file, not a folder (--watch watches folders: give the folder that holds it)"
        case .notIndexed(let path):
            return "\(path) is not in the index ('rag status' lists the indexed folders)"
        case .badEmbedding(let expectedCount, let actualCount, let dimension):
            return "embedder returned \(actualCount) vectors for \(expectedCount) texts (or not \(dimension) floats each): the embedder is broken"
        case .embedderFailed(let message):
            return "embedding failed: \(message)"
        case .corruptVector(let chunkId, let bytes, let dimension):
            return "stored vector of chunk \(chunkId) has \(bytes) bytes, expected \(dimension * 4): run 'rag ingest --reembed DIR' to rebuild the vectors"
        case .queryDimension(let expected, let actual):
            return "query vector has \(actual) dimensions, the index has \(expected): embed the query with the index's embedder"
        }
    }
}
