import Foundation
import Index

/// Which ranking `search` uses.
public enum SearchMode: String, CaseIterable, Sendable {
    case dense, lexical, hybrid
}

/// Knobs of hybrid retrieval. Defaults were fitted on the dev splits of `eval/answers/` over four corpora
/// (see benchmarks/retrieval.md).
public struct RetrievalSettings: Sendable {
    /// Candidates taken from each retriever before fusion.
    public var candidatePool = 60
    /// Weight of the min–max normalized dense score; the lexical weight is `1 - denseWeight`.
    public var denseWeight: Double = 0.7
    /// The second stage (`CandidateReranker`); nil fuses only (`--no-rerank`).
    public var reranker: CandidateReranker? = CandidateReranker(coverageWeight: 0.4, documentSupportWeight: 0.6)
    /// MMR trade-off between relevance (1) and novelty (0).
    public var mmrLambda: Double = 0.9
    public var diversify = true

    public init() {}
}

/// A chunk with its scores. `score` is the ranking score of the mode used
/// (cosine for dense, −bm25 for lexical, the fused and reranked score for hybrid).
public struct RetrievedChunk: Sendable {
    public var chunk: ChunkRecord
    public var score: Double
    /// Cosine similarity with the query (always known).
    public var dense: Double
    /// bm25 as SQLite reports it (lower is better), when the chunk matched lexically.
    public var bm25: Double?

    public init(chunk: ChunkRecord, score: Double, dense: Double, bm25: Double?) {
        self.chunk = chunk
        self.score = score
        self.dense = dense
        self.bm25 = bm25
    }

    /// The chunk's text under its heading: what the answer checks (coverage, key terms, focus) read.
    public var textWithHeading: String { chunk.heading + "\n" + chunk.text }
}

public struct RetrievalResult: Sendable {
    public var chunks: [RetrievedChunk]
    /// Best cosine similarity over the whole index: how much evidence there is at all.
    public var bestDenseScore: Double
    /// The query's embedding (reused downstream instead of embedding the question again).
    public var queryVector: [Float]
    /// With several phrasings of the search (`QueryFusion`): each one's embedding and weight, the first included.
    public var phrasings: [WeightedVector] = []
    public var embedSeconds: Double
    public var searchSeconds: Double

    public init(chunks: [RetrievedChunk], bestDenseScore: Double, queryVector: [Float] = [], embedSeconds: Double,
                searchSeconds: Double) {
        self.chunks = chunks
        self.bestDenseScore = bestDenseScore
        self.queryVector = queryVector
        self.embedSeconds = embedSeconds
        self.searchSeconds = searchSeconds
    }
}

public enum RetrievalError: Error, CustomStringConvertible, Equatable {
    case emptyIndex
    case emptyQuery
    case dimensionMismatch(index: Int, embedder: Int)

    public var description: String {
        switch self {
        case .emptyIndex: return "the index is empty: run 'rag ingest DIR' first"
        case .emptyQuery: return "the query is empty: give a question or some search words"
        case .dimensionMismatch(let index, let embedder):
            return "index vectors have \(index) dimensions but the embedder makes \(embedder): re-build the index with 'rag ingest --reembed'"
        }
    }
}

/// Dense + lexical retrieval, fused on normalized scores, reranked (`CandidateReranker`), de-duplicated and
/// diversified.
public final class HybridRetriever {
    public let corpus: RetrievalCorpus
    public let embedder: TextEmbedder
    public var settings: RetrievalSettings
    public let dense: DenseIndex
    /// Row of each chunk id in the dense matrix (for MMR similarities).
    private let rowOfChunk: [Int64: Int]

    public init(corpus: RetrievalCorpus, embedder: TextEmbedder, settings: RetrievalSettings = RetrievalSettings()) throws {
        self.corpus = corpus
        self.embedder = embedder
        self.settings = settings
        let matrix = try corpus.loadVectors()
        if matrix.count > 0, matrix.dimension != embedder.identity.dimension {
            throw RetrievalError.dimensionMismatch(index: matrix.dimension, embedder: embedder.identity.dimension)
        }
        self.dense = DenseIndex(matrix: matrix)
        var rows: [Int64: Int] = [:]
        rows.reserveCapacity(matrix.count)
        for (row, id) in matrix.ids.enumerated() { rows[id] = row }
        self.rowOfChunk = rows
    }

    public var chunkCount: Int { dense.matrix.count }

    /// The `k` best chunks for `query`.
    public func search(_ query: String, k: Int, mode: SearchMode = .hybrid) throws -> RetrievalResult {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw RetrievalError.emptyQuery }
        guard chunkCount > 0 else { throw RetrievalError.emptyIndex }

        let embedStart = DispatchTime.now()
        let queryVector = try embedder.embed([trimmed])[0]
        let searchStart = DispatchTime.now()

        let allDense = dense.scores(for: queryVector)
        let bestDense = Double(allDense.max() ?? 0)
        let pool = max(settings.candidatePool, k)

        var denseScoreOfChunk: [Int64: Double] = [:]
        for row in TopK.indices(of: allDense, k: pool) { denseScoreOfChunk[dense.matrix.ids[row]] = Double(allDense[row]) }

        var bm25OfChunk: [Int64: Double] = [:]
        if mode != .dense, let expression = LexicalQuery.matchExpression(for: trimmed) {
            for hit in try corpus.lexicalSearch(matchExpression: expression, limit: pool) { bm25OfChunk[hit.chunkId] = hit.bm25 }
        }

        // Candidates and their ranking score under the chosen mode.
        let candidates: [(id: Int64, score: Double)]
        switch mode {
        case .dense:
            candidates = denseScoreOfChunk.map { ($0.key, $0.value) }
        case .lexical:
            candidates = bm25OfChunk.map { ($0.key, -$0.value) }
        case .hybrid:
            let ids = Set(denseScoreOfChunk.keys).union(bm25OfChunk.keys)
            let cosine = { (id: Int64) -> Double in
                self.rowOfChunk[id].map { Double(allDense[$0]) } ?? 0
            }
            let denseNorm = MinMax(ids.map(cosine))
            let lexicalNorm = MinMax(bm25OfChunk.values.map { -$0 })
            candidates = ids.map { id in
                let d = denseNorm.normalize(cosine(id))
                let l = bm25OfChunk[id].map { lexicalNorm.normalize(-$0) } ?? 0
                return (id, settings.denseWeight * d + (1 - settings.denseWeight) * l)
            }
        }
        let records = try corpus.chunks(ids: candidates.map(\.id))
        var scored = candidates.compactMap { candidate in
            records[candidate.id].map { CandidateReranker.Candidate(chunk: $0, score: candidate.score) }
        }
        if mode == .hybrid, let reranker = settings.reranker {
            let terms = LexicalQuery.terms(in: trimmed)
            scored = reranker.rerank(scored, queryTerms: terms, statistics: try corpus.termStatistics(terms))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.chunk.id < $1.chunk.id }
        var hits: [RetrievedChunk] = scored.map { candidate in
            let cosine = rowOfChunk[candidate.chunk.id].map { Double(allDense[$0]) } ?? 0
            return RetrievedChunk(chunk: candidate.chunk, score: candidate.score, dense: cosine, bm25: bm25OfChunk[candidate.chunk.id])
        }
        hits = Diversifier.removeOverlaps(hits)
        if settings.diversify, mode == .hybrid {
            hits = Diversifier.maximalMarginalRelevance(hits, k: k, lambda: settings.mmrLambda, similarity: similarity)
        }
        let end = DispatchTime.now()
        return RetrievalResult(chunks: Array(hits.prefix(k)), bestDenseScore: bestDense, queryVector: queryVector,
                               embedSeconds: seconds(embedStart, searchStart), searchSeconds: seconds(searchStart, end))
    }

    /// Cosine similarity of two indexed chunks (their vectors are unit length).
    private func similarity(_ a: Int64, _ b: Int64) -> Double {
        guard let rowA = rowOfChunk[a], let rowB = rowOfChunk[b] else { return 0 }
        let dimension = dense.matrix.dimension
        return dense.matrix.values.withUnsafeBufferPointer { values in
            var sum: Float = 0
            for column in 0..<dimension { sum += values[rowA * dimension + column] * values[rowB * dimension + column] }
            return Double(sum)
        }
    }
}

/// Min–max normalization to [0, 1]; a constant list maps to 1.
struct MinMax {
    let low: Double
    let high: Double

    init(_ values: [Double]) {
        low = values.min() ?? 0
        high = values.max() ?? 0
    }

    func normalize(_ value: Double) -> Double {
        high > low ? (value - low) / (high - low) : 1
    }
}

func seconds(_ start: DispatchTime, _ end: DispatchTime) -> Double {
    Double(end.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
