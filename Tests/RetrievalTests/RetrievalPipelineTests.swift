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

    /// A model that ranks by overlap and answers when the best unit holds enough of the question.
    static func overlapModel(threshold: Double = 0.5, unknownNameWeight: Double = 0) -> EvidenceModel {
        var ranker = Array(repeating: 0.0, count: EvidenceFeatures.names.count)
        ranker[EvidenceFeatures.names.firstIndex(of: "overlap")!] = 5
        var answerability = Array(repeating: 0.0, count: AnswerabilityFeatures.names.count + 1)
        answerability[AnswerabilityFeatures.names.firstIndex(of: "top_overlap")!] = 10
        answerability[AnswerabilityFeatures.names.firstIndex(of: "unknown_name")!] = unknownNameWeight
        answerability[AnswerabilityFeatures.names.count] = -5
        return EvidenceModel(rankerWeights: ranker, rerankWeights: ranker, answerabilityWeights: answerability,
                             refusalThreshold: threshold, likelihoodCandidates: 0)
    }

    func testAskQuotesTheBestUnitWithItsLinesOrRefuses() throws {
        let retriever = try HybridRetriever(corpus: try makeCorpus(), embedder: HashingEmbedder())
        var settings = AnswerSettings()
        settings.evidenceModel = Self.overlapModel()
        let engine = AnswerEngine(retriever: retriever, generator: ScriptedGenerator(reply: "unused"), settings: settings)
        let result = try engine.ask("How does the KV cache memory grow with context length?", options: AskOptions())
        XCTAssertEqual(result.answer, "Its memory grows with context length and layers. [1]", "a hard-wrapped sentence is one unit")
        XCTAssertEqual(result.origin, .extractive)
        XCTAssertEqual(result.cited, [1])
        XCTAssertEqual(result.sources.map(\.path), ["kv-cache.md"])
        XCTAssertEqual(result.sources.map(\.startLine), [3])
        XCTAssertEqual(result.sources.map(\.endLine), [4])
        XCTAssertNotNil(result.evidence?.answerableProbability)

        let refused = try engine.ask("unrelated question about cooking pasta", options: AskOptions())
        XCTAssertEqual(refused.answer, GroundedPrompt.noAnswer)
        XCTAssertEqual(refused.origin, .refusal)
        XCTAssertTrue(refused.sources.isEmpty)
        XCTAssertTrue(refused.routeReason.contains("P(answerable)"))
    }

    func testAShortAnswerIsShownOnlyWhenFaithfulToTheUnit() throws {
        let retriever = try HybridRetriever(corpus: try makeCorpus(), embedder: HashingEmbedder())
        var settings = AnswerSettings()
        settings.evidenceModel = Self.overlapModel()
        settings.shortAnswers = true
        let faithful = AnswerEngine(retriever: retriever, generator: ScriptedGenerator(reply: "The memory grows with context length."),
                                    settings: settings)
        let stated = try faithful.ask("How does the memory grow with the context?", options: AskOptions())
        XCTAssertEqual(stated.answer, "The memory grows with context length. [1]")
        XCTAssertEqual(stated.origin, .model)
        let unfaithful = AnswerEngine(retriever: retriever, generator: ScriptedGenerator(reply: "The memory shrinks with context length."),
                                      settings: settings)
        let quoted = try unfaithful.ask("How does the memory grow with the context?", options: AskOptions())
        XCTAssertEqual(quoted.answer, "Its memory grows with context length and layers. [1]")
        XCTAssertEqual(quoted.unsupportedSentence, "The memory shrinks with context length.")
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
        settings.evidenceModel = RetrievalPipelineTests.overlapModel(unknownNameWeight: -20)
        let engine = AnswerEngine(retriever: try HybridRetriever(corpus: corpus, embedder: HashingEmbedder()),
                                  generator: ScriptedGenerator(reply: "It shares keys [1]."), settings: settings)
        let unknown = try engine.ask("How does the MI300X share keys across query heads?", options: AskOptions())
        XCTAssertEqual(unknown.answer, GroundedPrompt.noAnswer)
        XCTAssertEqual(unknown.evidence?.answerability.unknownName, 1)
        let known = try engine.ask("How does GQA share keys across query heads?", options: AskOptions())
        XCTAssertNotEqual(known.answer, GroundedPrompt.noAnswer)
    }
}

