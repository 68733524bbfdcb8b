import Foundation

/// One evaluation query: `{"id", "query", "gold_files": [paths relative to the ingested root]}`.
public struct EvaluationQuery: Codable, Sendable {
    public var id: String
    public var query: String
    public var goldFiles: [String]

    enum CodingKeys: String, CodingKey {
        case id, query
        case goldFiles = "gold_files"
    }
}

/// File-level retrieval metrics: a ranked list of files (first appearance of each file among the
/// ranked chunks) against the set of relevant files, binary relevance.
public struct RetrievalMetrics: Sendable, Codable, Equatable {
    public var recallAt5: Double
    public var recallAt10: Double
    public var mrrAt10: Double
    public var ndcgAt10: Double

    public static func of(rankedFiles: [String], gold: Set<String>) -> RetrievalMetrics {
        guard !gold.isEmpty else { return RetrievalMetrics(recallAt5: 0, recallAt10: 0, mrrAt10: 0, ndcgAt10: 0) }
        func recall(_ k: Int) -> Double { Double(Set(rankedFiles.prefix(k)).intersection(gold).count) / Double(gold.count) }
        let firstHit = rankedFiles.prefix(10).firstIndex(where: gold.contains)
        var dcg = 0.0
        for (rank, file) in rankedFiles.prefix(10).enumerated() where gold.contains(file) { dcg += 1 / log2(Double(rank) + 2) }
        var ideal = 0.0
        for rank in 0..<min(10, gold.count) { ideal += 1 / log2(Double(rank) + 2) }
        return RetrievalMetrics(recallAt5: recall(5), recallAt10: recall(10),
                                mrrAt10: firstHit.map { 1 / Double($0 + 1) } ?? 0, ndcgAt10: dcg / ideal)
    }

    public static func mean(_ all: [RetrievalMetrics]) -> RetrievalMetrics {
        let n = Double(max(1, all.count))
        return RetrievalMetrics(recallAt5: all.map(\.recallAt5).reduce(0, +) / n,
                                recallAt10: all.map(\.recallAt10).reduce(0, +) / n,
                                mrrAt10: all.map(\.mrrAt10).reduce(0, +) / n,
                                ndcgAt10: all.map(\.ndcgAt10).reduce(0, +) / n)
    }

    /// Distinct files in rank order.
    public static func rankedFiles(_ chunks: [RetrievedChunk]) -> [String] {
        var seen = Set<String>()
        return chunks.map(\.chunk.path).filter { seen.insert($0).inserted }
    }
}
