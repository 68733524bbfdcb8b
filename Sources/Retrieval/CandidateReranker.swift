import Foundation

/// The second stage of hybrid search: the fused candidates rescored with what only their text and their
/// neighbours in the ranking show. Two signals, weights fitted on the dev splits of four corpora
/// (benchmarks/retrieval.md):
///
/// - **coverage**: the share of the query's IDF mass whose terms occur in the chunk's heading path or text.
///   Dense similarity rewards a chunk on the topic; coverage rewards the one that names what was asked.
/// - **document support**: the best score of another candidate chunk of the same document. A page with
///   several passages on the question is more likely the page asked about than one with a single
///   near-miss (the SQLite docs' reference pages, the man pages' option lists).
///
/// `score = fused + coverageWeight · coverage`, then `+ documentSupportWeight · best other score in the document`.
public struct CandidateReranker: Sendable {
    public var coverageWeight: Double
    public var documentSupportWeight: Double

    public init(coverageWeight: Double, documentSupportWeight: Double) {
        self.coverageWeight = coverageWeight
        self.documentSupportWeight = documentSupportWeight
    }

    /// One candidate: its chunk and its first-stage (fused) score.
    public struct Candidate: Sendable {
        public var chunk: ChunkRecord
        public var score: Double
    }

    /// The candidates with their new scores (same order as given).
    public func rerank(_ candidates: [Candidate], queryTerms: [String], statistics: TermStatistics) -> [Candidate] {
        let weights = Dictionary(queryTerms.map { ($0, statistics.inverseDocumentFrequency(of: $0)) },
                                 uniquingKeysWith: { first, _ in first })
        let totalWeight = weights.values.reduce(0, +)
        var rescored = candidates.map { candidate -> Candidate in
            guard totalWeight > 0 else { return candidate }
            let words = Set(LexicalQuery.words(in: candidate.chunk.heading + "\n" + candidate.chunk.text))
            let covered = weights.reduce(0.0) { sum, term in words.contains(term.key) ? sum + term.value : sum }
            return Candidate(chunk: candidate.chunk, score: candidate.score + coverageWeight * covered / totalWeight)
        }
        // Document support: the best and second-best score of each document.
        var best: [Int64: (first: Double, second: Double)] = [:]
        for candidate in rescored {
            let current = best[candidate.chunk.documentId] ?? (0, 0)
            best[candidate.chunk.documentId] = candidate.score > current.first
                ? (candidate.score, current.first) : (current.first, max(current.second, candidate.score))
        }
        for index in rescored.indices {
            guard let scores = best[rescored[index].chunk.documentId] else { continue }
            let other = rescored[index].score >= scores.first ? scores.second : scores.first
            rescored[index].score += documentSupportWeight * other
        }
        return rescored
    }
}
