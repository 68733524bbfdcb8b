import Foundation

/// One of several phrasings of a search, with the weight its similarities get in the fusion.
public struct WeightedQuery: Sendable, Equatable {
    public var text: String
    public var weight: Double

    public init(_ text: String, weight: Double = 1) {
        self.text = text
        self.weight = weight
    }
}

extension HybridRetriever {
    /// The `k` best chunks over several phrasings of one search: each phrasing is searched on its own, and a chunk
    /// ranks by its best weighted cosine similarity over the phrasings (max fusion). A phrasing that carries the
    /// conversation's earlier subject ("… (follow-up to: …)") then finds that subject's passages when the follow-up
    /// alone finds nothing similar, but cannot outrank a passage the follow-up alone matches better — a change of
    /// subject is not pulled back. `bestDenseScore` is the best over the phrasings; `queryVector` is the first
    /// phrasing's.
    public func search(_ queries: [WeightedQuery], k: Int) throws -> RetrievalResult {
        let queries = queries.filter { !$0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        guard let first = queries.first else { throw RetrievalError.emptyQuery }
        if queries.count == 1 { return try search(first.text, k: k, mode: .hybrid) }
        let results = try queries.map { try search($0.text, k: k, mode: .hybrid) }
        return QueryFusion.fuse(results, weights: queries.map(\.weight), k: k)
    }
}

/// Max fusion of several retrievals of one search (`HybridRetriever.search(_:k:)`).
public enum QueryFusion {
    public static func fuse(_ results: [RetrievalResult], weights: [Double], k: Int) -> RetrievalResult {
        var best: [Int64: RetrievedChunk] = [:]
        for (result, weight) in zip(results, weights) {
            for hit in result.chunks {
                var weighted = hit
                weighted.score = weight * hit.dense
                if let known = best[hit.chunk.id], known.score >= weighted.score { continue }
                best[hit.chunk.id] = weighted
            }
        }
        let ranked = best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.chunk.id < $1.chunk.id }
        let kept = Diversifier.removeOverlaps(ranked)
        var fused = RetrievalResult(chunks: Array(kept.prefix(k)),
                                    bestDenseScore: results.map(\.bestDenseScore).max() ?? 0,
                                    queryVector: results.first?.queryVector ?? [],
                                    embedSeconds: results.map(\.embedSeconds).reduce(0, +),
                                    searchSeconds: results.map(\.searchSeconds).reduce(0, +))
        fused.phrasings = zip(results, weights).map { WeightedVector($0.queryVector, weight: $1) }
        return fused
    }
}

/// One phrasing's embedding and its weight in the fusion.
public struct WeightedVector: Sendable, Equatable {
    public var vector: [Float]
    public var weight: Double

    public init(_ vector: [Float], weight: Double) {
        self.vector = vector
        self.weight = weight
    }
}
