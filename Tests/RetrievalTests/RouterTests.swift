@testable import Retrieval
import XCTest

final class RouterTests: XCTestCase {
    let documents = [
        DocumentRef(id: 1, path: "notes/kv-cache.md", rootPath: "/r"),
        DocumentRef(id: 2, path: "notes/kv-cache-quantization.md", rootPath: "/r"),
        DocumentRef(id: 3, path: "flash_attention.md", rootPath: "/r"),
    ]

    func retrieval(best: Double, documentIds: [Int64] = [3, 1]) -> RetrievalResult {
        let chunks = documentIds.enumerated().map { index, id in
            RetrievedChunk(chunk: ChunkRecord(id: Int64(index), documentId: id, path: documents.first { $0.id == id }!.path,
                                              rootPath: "/r", ordinal: 0, heading: "", text: "", startLine: 1, endLine: 1,
                                              charStart: 0, charEnd: 0), score: best, dense: best, bm25: nil)
        }
        return RetrievalResult(chunks: chunks, bestDenseScore: best, embedSeconds: 0, searchSeconds: 0)
    }

    func testSummaryOfANamedDocumentTakesTheDocumentRoute() {
        let decision = Router().decide(question: "Give me an overview of the flash attention note", forced: nil,
                                       requestedDocument: nil, retrieval: retrieval(best: 0.8), documents: documents)
        XCTAssertEqual(decision.route, .document)
        XCTAssertEqual(decision.documents.map(\.id), [3])
    }

    func testLongestNameWins() {
        let named = Router.namedDocuments(in: "summarize kv-cache-quantization.md please", among: documents)
        XCTAssertEqual(named.first?.id, 2)
    }

    func testNamingADocumentWithoutSummaryIntentStaysRag() {
        let decision = Router().decide(question: "How large is the kv cache for 8k tokens?", forced: nil,
                                       requestedDocument: nil, retrieval: retrieval(best: 0.7), documents: documents)
        XCTAssertEqual(decision.route, .rag)
    }

    func testCuesAreWholeWords() {
        // "register" holds "gist", "outlined" holds "outline": neither asks for a summary.
        let decision = Router().decide(question: "How do I register a callback for the kv cache log?", forced: nil,
                                       requestedDocument: nil, retrieval: retrieval(best: 0.7), documents: documents)
        XCTAssertEqual(decision.route, .rag)
        XCTAssertNil(Router.wholeDocumentCue(in: "the steps outlined in flash attention"))
        XCTAssertEqual(Router.wholeDocumentCue(in: "tl;dr of the kv-cache note?"), "tl;dr")
        XCTAssertEqual(Router.wholeDocumentCue(in: "What's it about, the flash attention note?"), "what's it about")
    }

    func testWeakEvidenceIsLeftToTheEvidenceModelUnlessConfigured() {
        let unset = Router().decide(question: "something vague", forced: nil, requestedDocument: nil,
                                    retrieval: retrieval(best: 0.3), documents: documents)
        XCTAssertEqual(unset.route, .rag)
        var settings = RouterSettings()
        settings.weakEvidence = 0.38
        let decision = Router(settings: settings).decide(question: "something vague", forced: nil, requestedDocument: nil,
                                       retrieval: retrieval(best: 0.3), documents: documents)
        XCTAssertEqual(decision.route, .long)
        XCTAssertEqual(decision.documents.map(\.id), [3, 1])
        XCTAssertTrue(decision.reason.contains("weak"))
    }

    func testExplicitChoicesWin() {
        let doc = Router().decide(question: "x", forced: nil, requestedDocument: documents[0], retrieval: retrieval(best: 0.9), documents: documents)
        XCTAssertEqual(doc.route, .document)
        XCTAssertEqual(doc.documents, [documents[0]])
        let rag = Router().decide(question: "summarize flash attention", forced: .rag, requestedDocument: nil,
                                  retrieval: retrieval(best: 0.1), documents: documents)
        XCTAssertEqual(rag.route, .rag)
        let long = Router().decide(question: "q", forced: .long, requestedDocument: nil, retrieval: retrieval(best: 0.9), documents: documents)
        XCTAssertEqual(long.route, .long)
    }
}

final class LongContextTests: XCTestCase {
    func testWholeDocumentWhenItFitsAndMapReduceWhenNot() throws {
        let corpus = try MemoryCorpus(embedder: HashingEmbedder(), documents: [
            ("long.md", (0..<12).map { "Section \($0) talks about topic \($0) at some length here.\nSecond line." }),
        ])
        let generator = ScriptedGenerator(reply: "summary words")
        var settings = LongContextSettings()
        let document = try corpus.documents()[0]

        settings.budget = 10_000
        let fits = try LongContextReader(corpus: corpus, generator: generator, settings: settings)
            .sources(for: "what topics?", documents: [document], generation: GenerationOptions(), progress: { _ in })
        XCTAssertFalse(fits.summarized)
        XCTAssertEqual(fits.context.sources.count, 1)
        XCTAssertEqual(fits.context.sources[0].endLine, 24)

        settings.budget = 60
        settings.sectionTokens = 30
        var steps: [String] = []
        let mapped = try LongContextReader(corpus: corpus, generator: generator, settings: settings)
            .sources(for: "what topics?", documents: [document], generation: GenerationOptions(), progress: { steps.append($0) })
        XCTAssertTrue(mapped.summarized)
        XCTAssertEqual(steps.count, 6, "12 chunks of 12 words in sections of at most 30 tokens")
        XCTAssertTrue(mapped.context.sources.allSatisfy { $0.text == "summary words" })
        XCTAssertEqual(mapped.context.sources.first?.startLine, 1)
    }

    func testAskReportsTheRoute() throws {
        let corpus = try MemoryCorpus(embedder: HashingEmbedder(), documents: [
            ("rope.md", ["Rotary position embeddings rotate query and key pairs."]),
            ("gqa.md", ["Grouped query attention shares keys."]),
        ])
        let engine = AnswerEngine(retriever: try HybridRetriever(corpus: corpus, embedder: HashingEmbedder()),
                                  generator: ScriptedGenerator(reply: "It rotates pairs [1]."))
        let result = try engine.ask("Summarize the rope note", options: AskOptions())
        XCTAssertEqual(result.route, "document")
        XCTAssertEqual(result.sources.map(\.path), ["rope.md"])
    }
}
