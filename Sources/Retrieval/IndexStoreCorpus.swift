import Foundation
import Index

/// The SQLite index as retrieval sees it.
public final class IndexStoreCorpus: RetrievalCorpus {
    public let store: IndexStore

    public init(store: IndexStore) { self.store = store }

    public func loadVectors() throws -> VectorMatrix {
        let vectors = try store.allVectors()
        return VectorMatrix(ids: vectors.chunkIds, values: vectors.values, dimension: vectors.dimension)
    }

    public func chunks(ids: [Int64]) throws -> [Int64: ChunkRecord] {
        Dictionary(try store.chunks(ids: ids).map { ($0.id, Self.record($0)) }, uniquingKeysWith: { first, _ in first })
    }

    public func lexicalSearch(matchExpression: String, limit: Int) throws -> [(chunkId: Int64, bm25: Double)] {
        try store.ftsSearch(matchExpression: matchExpression, limit: limit)
    }

    public func termStatistics(_ terms: [String]) throws -> TermStatistics {
        let counted = try store.matchCounts(terms.map(LexicalQuery.quote))
        return TermStatistics(chunks: counted.chunks,
                              frequencies: Dictionary(terms.map { ($0, counted.counts[LexicalQuery.quote($0)] ?? 0) },
                                                      uniquingKeysWith: { first, _ in first }))
    }

    public func neighbours(of chunk: ChunkRecord) throws -> [ChunkRecord] {
        let around = try store.neighbours(of: chunk.id)
        return try store.chunks(ids: [around.previous, around.next].compactMap { $0 }).map(Self.record)
    }

    public func documents() throws -> [DocumentRef] {
        try store.documents().map { DocumentRef(id: $0.id, path: $0.path, rootPath: $0.rootPath) }
    }

    public func documentChunks(documentId: Int64) throws -> [ChunkRecord] {
        try store.chunks(documentID: documentId).map(Self.record)
    }

    static func record(_ chunk: StoredChunk) -> ChunkRecord {
        ChunkRecord(id: chunk.id, documentId: chunk.documentId, path: chunk.path, rootPath: chunk.rootPath, ordinal: chunk.ordinal,
                    heading: chunk.heading, text: chunk.text, startLine: chunk.startLine, endLine: chunk.endLine,
                    charStart: chunk.charStart, charEnd: chunk.charEnd, pageStart: chunk.pageStart, pageEnd: chunk.pageEnd)
    }
}
