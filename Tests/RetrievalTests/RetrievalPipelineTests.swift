import Index
import Retrieval
import XCTest

final class RetrievalPipelineTests: XCTestCase {
    func makeCorpus() throws -> MemoryCorpus {
        try MemoryCorpus(embedder: HashingEmbedder(), documents: [
            ("kv-cache.md", ["The KV cache stores keys and values\nof earlier tokens.", "Its memory grows with context length\nand layers."]),
            ("gqa.md", ["Grouped-query attention shares keys and values\nacross query heads."]),
            ("rope.md", ["Rotary position embeddings rotate query and key pairs."]),
        ])
    }

    func testDenseScoresMatchScalarTwin() throws {
        let corpus = try makeCorpus()
        let index = DenseIndex(matrix: try corpus.loadVectors())
        let query = try HashingEmbedder().embed(["keys values memory"])[0]
        let fast = index.scores(for: query), slow = index.referenceScores(for: query)
        for (a, b) in zip(fast, slow) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testModesRankTheObviousDocumentFirst() throws {
        let retriever = try HybridRetriever(corpus: try makeCorpus(), embedder: HashingEmbedder())
        for mode in SearchMode.allCases {
            let result = try retriever.search("rotary position embeddings", k: 3, mode: mode)
            XCTAssertEqual(result.chunks.first?.chunk.path, "rope.md", "mode \(mode)")
        }
        XCTAssertThrowsError(try retriever.search("   ", k: 3)) { XCTAssertEqual($0 as? RetrievalError, .emptyQuery) }
    }

    func testEmptyIndexIsReported() throws {
        let empty = try MemoryCorpus(embedder: HashingEmbedder(), documents: [])
        let retriever = try HybridRetriever(corpus: empty, embedder: HashingEmbedder())
        XCTAssertThrowsError(try retriever.search("anything", k: 3)) { XCTAssertEqual($0 as? RetrievalError, .emptyIndex) }
    }

    func testPackerMergesNeighboursAndRespectsBudget() throws {
        let corpus = try makeCorpus()
        let hits = corpus.records.map { RetrievedChunk(chunk: $0, score: 1, dense: 1, bm25: nil) }
        let packed = ContextPacker(budget: 1000, countTokens: { $0.split(whereSeparator: \.isWhitespace).count }).pack(hits)
        XCTAssertEqual(packed.sources.count, 3, "the two kv-cache chunks are merged")
        XCTAssertEqual(packed.sources[0].startLine, 1)
        XCTAssertEqual(packed.sources[0].endLine, 4)
        XCTAssertTrue(packed.sources[0].text.contains("earlier tokens.Its memory"))
        let tight = ContextPacker(budget: 20, countTokens: { $0.split(whereSeparator: \.isWhitespace).count }).pack(hits)
        XCTAssertLessThanOrEqual(tight.tokenCount, 20)
        XCTAssertGreaterThan(tight.droppedChunks, 0)
    }

    func testCitationParsing() {
        XCTAssertEqual(Citations.numbers(in: "A [1] and B [2, 3][3] or [source 4] [9] [x]", sourceCount: 4), [1, 2, 3, 4])
        XCTAssertEqual(Citations.numbers(in: "no citations", sourceCount: 3), [])
    }

    func testAskCitesAndGatesWeakEvidence() throws {
        let retriever = try HybridRetriever(corpus: try makeCorpus(), embedder: HashingEmbedder())
        let generator = ScriptedGenerator(reply: "Rotary embeddings rotate pairs [1].")
        let engine = AnswerEngine(retriever: retriever, generator: generator)
        let result = try engine.ask("What do rotary position embeddings rotate?", options: AskOptions())
        XCTAssertEqual(result.cited, [1])
        XCTAssertEqual(result.sources.first?.path, "rope.md")
        XCTAssertTrue(generator.lastMessages.last!.content.contains("[1] rope.md"))

        var strict = AnswerSettings()
        strict.refusal.minimumSimilarity = 1.01
        let gated = try AnswerEngine(retriever: retriever, generator: generator, settings: strict)
            .ask("unrelated question about cooking pasta", options: AskOptions())
        XCTAssertEqual(gated.answer, GroundedPrompt.noAnswer)
        XCTAssertTrue(gated.sources.isEmpty)
    }

    func testLongQuestionIsTruncatedWithNotice() throws {
        let retriever = try HybridRetriever(corpus: try makeCorpus(), embedder: HashingEmbedder())
        let engine = AnswerEngine(retriever: retriever, generator: ScriptedGenerator(reply: "ok [1]"))
        let long = Array(repeating: "cache", count: 1000).joined(separator: " ")
        let result = try engine.ask(long, options: AskOptions())
        XCTAssertEqual(result.notices.count, 1)
        XCTAssertLessThanOrEqual(result.question.split(separator: " ").count, 256)
    }

    func testMetrics() {
        let m = RetrievalMetrics.of(rankedFiles: ["a", "b", "c"], gold: ["b"])
        XCTAssertEqual(m.mrrAt10, 0.5)
        XCTAssertEqual(m.recallAt5, 1)
        XCTAssertEqual(m.ndcgAt10, 1 / log2(3), accuracy: 1e-12)
    }
}

final class UnknownNameGateTests: XCTestCase {
    func testNameLikeWords() {
        XCTAssertEqual(NameLikeWords.words(in: "What memory does the AMD MI300X have, and LoRA? What about GQA in Llama 2?"),
                       ["AMD", "MI300X", "LoRA", "GQA"])
        XCTAssertEqual(NameLikeWords.words(in: "How does the cache grow with context length?"), [])
    }

    func testAQuestionNamingSomethingTheIndexNeverMentionsIsRefused() throws {
        let corpus = try MemoryCorpus(embedder: HashingEmbedder(), documents: [
            ("gqa.md", ["GQA shares keys and values across query heads of Llama models."]),
        ])
        var settings = AnswerSettings()
        settings.refusal.minimumSimilarity = -1
        let engine = AnswerEngine(retriever: try HybridRetriever(corpus: corpus, embedder: HashingEmbedder()),
                                  generator: ScriptedGenerator(reply: "It shares keys [1]."), settings: settings)
        let unknown = try engine.ask("How does the MI300X share keys across query heads?", options: AskOptions())
        XCTAssertEqual(unknown.answer, GroundedPrompt.noAnswer)
        XCTAssertTrue(unknown.routeReason.contains("MI300X"))
        let known = try engine.ask("How does GQA share keys across query heads?", options: AskOptions())
        XCTAssertNotEqual(known.answer, GroundedPrompt.noAnswer)
    }
}

