import Foundation
@testable import Retrieval
import XCTest

final class CandidateRerankerTests: XCTestCase {
    func chunk(_ id: Int64, document: Int64, heading: String = "", _ text: String) -> ChunkRecord {
        ChunkRecord(id: id, documentId: document, path: "doc\(document).md", rootPath: "/r", ordinal: Int(id), heading: heading,
                    text: text, startLine: 1, endLine: 2, charStart: 0, charEnd: text.count)
    }

    let statistics = TermStatistics(chunks: 1000, frequencies: ["busy": 5, "timeout": 20, "database": 600])

    func testCoverageLiftsTheChunkThatNamesTheRareTerms() {
        let reranker = CandidateReranker(coverageWeight: 0.4, documentSupportWeight: 0)
        let candidates = [
            CandidateReranker.Candidate(chunk: chunk(1, document: 1, "The database is locked by another writer."), score: 0.9),
            CandidateReranker.Candidate(chunk: chunk(2, document: 2, heading: "Busy timeout", "Sleeps and retries until the timeout."), score: 0.8),
        ]
        let rescored = reranker.rerank(candidates, queryTerms: ["busy", "timeout", "database"], statistics: statistics)
        XCTAssertGreaterThan(rescored[1].score, rescored[0].score, "the heading and text name the two rare terms")
        // Coverage is a share of the query's IDF mass: all three terms would add exactly the weight.
        let all = reranker.rerank([CandidateReranker.Candidate(chunk: chunk(3, document: 3, "busy timeout database"), score: 0)],
                                  queryTerms: ["busy", "timeout", "database"], statistics: statistics)
        XCTAssertEqual(all[0].score, 0.4, accuracy: 1e-12)
    }

    func testDocumentSupportAddsTheBestOtherChunkOfTheSameDocument() {
        let reranker = CandidateReranker(coverageWeight: 0, documentSupportWeight: 0.5)
        let candidates = [
            CandidateReranker.Candidate(chunk: chunk(1, document: 1, "a"), score: 1.0),
            CandidateReranker.Candidate(chunk: chunk(2, document: 2, "b"), score: 0.8),
            CandidateReranker.Candidate(chunk: chunk(3, document: 2, "c"), score: 0.6),
        ]
        let rescored = reranker.rerank(candidates, queryTerms: ["x"], statistics: statistics)
        XCTAssertEqual(rescored[0].score, 1.0, accuracy: 1e-12, "alone in its document")
        XCTAssertEqual(rescored[1].score, 0.8 + 0.5 * 0.6, accuracy: 1e-12)
        XCTAssertEqual(rescored[2].score, 0.6 + 0.5 * 0.8, accuracy: 1e-12)
        XCTAssertGreaterThan(rescored[1].score, rescored[0].score, "two passages outrank one slightly better one")
    }

    func testNoQueryTermsLeavesScoresAsFused() {
        let reranker = CandidateReranker(coverageWeight: 0.4, documentSupportWeight: 0)
        let candidates = [CandidateReranker.Candidate(chunk: chunk(1, document: 1, "text"), score: 0.7)]
        XCTAssertEqual(reranker.rerank(candidates, queryTerms: [], statistics: statistics)[0].score, 0.7)
    }
}
