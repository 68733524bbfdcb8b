import Foundation

/// Post-processing of a ranked list: drop near-duplicates, then diversify.
public enum Diversifier {
    /// Drops a chunk whose line range overlaps a better-ranked chunk of the same document
    /// by more than half of the shorter range (chunk overlap makes neighbours share a few lines; that is kept).
    public static func removeOverlaps(_ ranked: [RetrievedChunk]) -> [RetrievedChunk] {
        var kept: [RetrievedChunk] = []
        var keptByDocument: [Int64: [ClosedRange<Int>]] = [:]
        for hit in ranked {
            let lines = hit.chunk.startLine...max(hit.chunk.startLine, hit.chunk.endLine)
            let duplicate = (keptByDocument[hit.chunk.documentId] ?? []).contains { other in
                guard lines.overlaps(other) else { return false }
                let shared = min(lines.upperBound, other.upperBound) - max(lines.lowerBound, other.lowerBound) + 1
                let shorter = min(lines.count, other.count)
                return shared * 2 > shorter
            }
            if duplicate { continue }
            kept.append(hit)
            keptByDocument[hit.chunk.documentId, default: []].append(lines)
        }
        return kept
    }

    /// Maximal marginal relevance: repeatedly pick the chunk maximizing
    /// `λ·relevance − (1−λ)·max similarity to the chunks already picked`.
    /// Relevance is the ranking score min–max normalized over the list.
    public static func maximalMarginalRelevance(_ ranked: [RetrievedChunk], k: Int, lambda: Double,
                                                similarity: (Int64, Int64) -> Double) -> [RetrievedChunk] {
        guard ranked.count > 1, k > 1 else { return ranked }
        let relevance = MinMax(ranked.map(\.score))
        var remaining = Array(ranked.indices)
        var picked: [Int] = []
        var maxSimilarity = [Double](repeating: -1, count: ranked.count)
        while !remaining.isEmpty, picked.count < k {
            var bestPosition = 0
            var bestValue = -Double.infinity
            for (position, index) in remaining.enumerated() {
                let redundancy = picked.isEmpty ? 0 : max(0, maxSimilarity[index])
                let value = lambda * relevance.normalize(ranked[index].score) - (1 - lambda) * redundancy
                if value > bestValue { bestValue = value; bestPosition = position }
            }
            let chosen = remaining.remove(at: bestPosition)
            picked.append(chosen)
            for index in remaining {
                maxSimilarity[index] = max(maxSimilarity[index], similarity(ranked[index].chunk.id, ranked[chosen].chunk.id))
            }
        }
        // The rest keep their original order after the picked ones.
        return picked.map { ranked[$0] } + remaining.map { ranked[$0] }
    }
}
