import Foundation

/// One chunk as retrieval sees it: where it comes from and what it says.
public struct ChunkRecord: Sendable, Equatable {
    public var id: Int64
    public var documentId: Int64
    /// Path relative to its ingest root (what citations show).
    public var path: String
    /// Absolute path of the ingest root the document belongs to.
    public var rootPath: String
    /// Position of the chunk within its document (0, 1, 2, …).
    public var ordinal: Int
    /// Heading path, e.g. "KV cache › Memory cost" (empty when the document has no headings).
    public var heading: String
    public var text: String
    /// 1-based, inclusive line range in the document.
    public var startLine: Int
    public var endLine: Int
    /// Character range (Unicode scalars) in the loaded document text.
    public var charStart: Int
    public var charEnd: Int
    /// 1-based PDF pages, inclusive (nil for other formats).
    public var pageStart: Int?
    public var pageEnd: Int?

    public init(id: Int64, documentId: Int64, path: String, rootPath: String, ordinal: Int, heading: String,
                text: String, startLine: Int, endLine: Int, charStart: Int, charEnd: Int, pageStart: Int? = nil, pageEnd: Int? = nil) {
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.id = id
        self.documentId = documentId
        self.path = path
        self.rootPath = rootPath
        self.ordinal = ordinal
        self.heading = heading
        self.text = text
        self.startLine = startLine
        self.endLine = endLine
        self.charStart = charStart
        self.charEnd = charEnd
    }
}

/// All chunk vectors of an index as one contiguous row-major matrix, loaded once per process.
public struct VectorMatrix: Sendable {
    /// Chunk id of each row.
    public let ids: [Int64]
    /// [ids.count, dimension], row-major, each row L2-normalized.
    public let values: [Float]
    public let dimension: Int

    public init(ids: [Int64], values: [Float], dimension: Int) {
        precondition(values.count == ids.count * dimension, "matrix size does not match ids × dimension")
        self.ids = ids
        self.values = values
        self.dimension = dimension
    }

    public var count: Int { ids.count }

    /// Row `index` as a buffer-friendly slice.
    public func row(_ index: Int) -> ArraySlice<Float> {
        values[(index * dimension)..<((index + 1) * dimension)]
    }
}

/// What retrieval needs from an index. The SQLite store implements it; tests use an in-memory fake.
public protocol RetrievalCorpus: AnyObject {
    /// Every chunk vector, for dense search.
    func loadVectors() throws -> VectorMatrix
    /// The chunks with these ids (missing ids are left out).
    func chunks(ids: [Int64]) throws -> [Int64: ChunkRecord]
    /// FTS5 bm25 search with a MATCH expression built by `LexicalQuery` (lower bm25 = better, as SQLite returns it).
    func lexicalSearch(matchExpression: String, limit: Int) throws -> [(chunkId: Int64, bm25: Double)]
    /// How many chunks hold each term (a lowercased word), and how many chunks there are: IDF weights.
    func termStatistics(_ terms: [String]) throws -> TermStatistics
    /// The chunks just before and after `chunk` in its document (0, 1 or 2 of them).
    func neighbours(of chunk: ChunkRecord) throws -> [ChunkRecord]
    /// Every indexed document.
    func documents() throws -> [DocumentRef]
    /// All chunks of one document, in order (for reading a document whole).
    func documentChunks(documentId: Int64) throws -> [ChunkRecord]
}

/// An indexed document, as routing and long-context answering see it.
public struct DocumentRef: Sendable, Equatable {
    public var id: Int64
    /// Path relative to its ingest root.
    public var path: String
    public var rootPath: String

    public init(id: Int64, path: String, rootPath: String) {
        self.id = id
        self.path = path
        self.rootPath = rootPath
    }
}

/// Document frequencies of terms over an index's chunks.
public struct TermStatistics: Sendable {
    public var chunks: Int
    public var frequencies: [String: Int]

    public init(chunks: Int, frequencies: [String: Int]) {
        self.chunks = chunks
        self.frequencies = frequencies
    }

    /// log((N + 1) / (df + 0.5)) over the N chunks: rare terms weigh most; a term in no chunk (or not counted)
    /// weighs log(2N + 2).
    public func inverseDocumentFrequency(of term: String) -> Double {
        log(Double(chunks + 1) / (Double(frequencies[term] ?? 0) + 0.5))
    }
}
