import Index
import Retrieval
import XCTest

func testSource(_ number: Int, _ text: String, heading: String = "") -> ContextSource {
    ContextSource(number: number, path: "\(number).md", rootPath: "/", heading: heading, startLine: 1, endLine: 1,
                  text: text, score: 1, chunkIds: [Int64(number)], documentId: Int64(number))
}

final class SupportTermsTests: XCTestCase {
    func testNumbersAndUnitsAreNormalized() {
        XCTAssertEqual(SupportTerms("a window of 4,096 tokens").numbers, ["4096"])
        XCTAssertEqual(SupportTerms("192KB of SRAM").quantities, SupportTerms("192 KB of SRAM").quantities)
        XCTAssertTrue(SupportTerms("1.5 TB/s").numbers.contains("1.5"))
        XCTAssertTrue(SupportTerms("1.5–2.0 TB/s").quantities.isSuperset(of: ["1.5 tb", "2.0 tb"]))
        XCTAssertFalse(SupportTerms("| 2 | 14 GB |").quantities.contains("2 gb"), "table cells are not a range")
        XCTAssertEqual(SupportTerms("query heads").words, ["query", "head"])
    }
}

final class CitationMarkerTests: XCTestCase {
    func testMarkersAreAppendedBeforeTheClosingPunctuation() {
        XCTAssertEqual(CitationMarkers.appending([1], to: "The window is 4096."), "The window is 4096 [1].")
        XCTAssertEqual(CitationMarkers.appending([1, 3], to: " It is fast\n"), " It is fast [1, 3]\n")
        XCTAssertEqual(CitationMarkers.appending([], to: "Same."), "Same.")
    }

    func testInvalidMarkersAreRemovedAndValidOnesStay() {
        XCTAssertEqual(CitationMarkers.keepingValid(in: "A [1] and B [7] or [2, 9].", sourceCount: 2), "A [1] and B or [2].")
        XCTAssertEqual(CitationMarkers.removingAll(from: "A [1] and [source 2]."), "A and.")
        XCTAssertEqual(Citations.numbers(in: "A [1] and B [2, 3][3] or [source 4] [9] [x]", sourceCount: 4), [1, 2, 3, 4])
    }
}

final class SentenceSplitterTests: XCTestCase {
    func testStreamIsCutAtSentenceEndsOnly() {
        var splitter = SentenceSplitter()
        var sentences: [String] = []
        for piece in ["It uses 1.", "5 TB/s (Dao et al. 2022). Next", " one!\n1. Item\nEnd"] { sentences += splitter.feed(piece) }
        if let last = splitter.finish() { sentences.append(last) }
        XCTAssertEqual(sentences, ["It uses 1.5 TB/s (Dao et al. 2022).", " Next one!", "\n1. Item", "\nEnd"])
    }
}

final class SupportScorerTests: XCTestCase {
    let sources = [testSource(1, "RoPE rotates query and key pairs; Llama 3 uses a base of 500,000."),
                   testSource(2, "Mistral 7B uses a sliding window of W = 4,096 tokens. A 7B model takes 14 GB in FP16.")]

    func testASentenceIsAttributedToTheSourceHoldingWhatItAdds() {
        let scorer = SupportScorer(sources: sources, question: "What window size does Mistral 7B use?")
        let support = scorer.support(of: "The window size used by Mistral 7B is 4096.")
        XCTAssertEqual(support.sources, [2])
        XCTAssertTrue(support.grounded)
        XCTAssertTrue(support.informative)
        XCTAssertFalse(scorer.support(of: "I like turtles and penguins.").grounded)
    }

    func testNumbersTheSourcesDoNotStateAreStray() {
        let scorer = SupportScorer(sources: sources, question: "How much memory does a 7B model take in FP16?")
        XCTAssertEqual(scorer.support(of: "It takes 2 GB.").strayNumbers, ["2", "2 gb"])
        XCTAssertFalse(scorer.support(of: "It takes 2 GB.").grounded)
        XCTAssertTrue(scorer.support(of: "It takes 14 GB.").grounded)
        XCTAssertFalse(scorer.support(of: "The 7B model in FP16.").informative, "only the question's words")
    }
}

final class GroundedStreamTests: XCTestCase {
    let sources = [testSource(1, "FlashAttention was introduced in 2022 by Tri Dao."),
                   testSource(2, "The A100 has 192 KB of SRAM per streaming multiprocessor.")]

    func run(_ reply: String, question: String, settings: GroundingSettings = GroundingSettings()) -> GroundedStream {
        var stream = GroundedStream(scorer: SupportScorer(sources: sources, question: question), sourceCount: 2,
                                    expectsNumber: QuestionKind.expectsNumber(question), settings: settings)
        var shown = ""
        for word in reply.split(separator: " ", omittingEmptySubsequences: false) { shown += stream.feed(word + " ") }
        shown += stream.finish()
        XCTAssertEqual(shown, stream.shown)
        return stream
    }

    func testSupportedSentencesGetMarkersAndTheAnswerStopsWhereItDrifts() {
        let stream = run("The A100 has 192KB of SRAM. It was made of cheese in 1850. More text.",
                         question: "How much SRAM does the A100 have?")
        XCTAssertEqual(stream.shown, "The A100 has 192KB of SRAM [2].")
        XCTAssertEqual(stream.driftedAt, "It was made of cheese in 1850.")
        XCTAssertFalse(stream.needsFallback)
    }

    func testModelMarkersStayAndInvalidOnesGo() {
        let stream = run("Tri Dao introduced it in 2022 [1][5].", question: "Who introduced FlashAttention?")
        XCTAssertEqual(stream.shown, "Tri Dao introduced it in 2022 [1].")
    }

    func testAnAnswerThatEchoesTheQuestionOrLacksTheAskedNumberNeedsTheFallback() {
        XCTAssertTrue(run("FlashAttention was introduced.", question: "Who introduced FlashAttention, and in which year?").needsFallback)
        XCTAssertTrue(run("It was introduced by Tri Dao.", question: "In which year was FlashAttention introduced?").needsFallback)
        XCTAssertTrue(run("The answer is 7.", question: "How much SRAM does the A100 have?").needsFallback)
    }

    func testTheModelWritingTheNextQuestionEndsTheAnswer() {
        let stream = run("Tri Dao in 2022.\nQuestion: Who else? Tri Dao in 2022.", question: "Who introduced FlashAttention?")
        XCTAssertEqual(stream.shown, "Tri Dao in 2022 [1].")
    }

    func testWithoutTheCheckEverythingIsShownWithMarkers() {
        var settings = GroundingSettings()
        settings.checkSupport = false
        let stream = run("The A100 has 192KB of SRAM. It was made of cheese.", question: "How much SRAM does the A100 have?",
                         settings: settings)
        XCTAssertEqual(stream.shown.trimmingCharacters(in: .whitespaces), "The A100 has 192KB of SRAM [2]. It was made of cheese.")
        XCTAssertFalse(stream.needsFallback)
    }

    func testQuestionKinds() {
        XCTAssertTrue(QuestionKind.expectsNumber("How many heads does it have?"))
        XCTAssertTrue(QuestionKind.expectsNumber("In which year was it introduced?"))
        XCTAssertFalse(QuestionKind.expectsNumber("Why does the model break down?"))
    }
}

final class ExtractiveAnswerTests: XCTestCase {
    func testTheBestSentenceIsQuotedWithItsSourceSkippingQuestions() {
        let ranked = [RankedSentence(text: "How much does it save?", source: 1, order: 0, score: 0.9),
                      RankedSentence(text: "It saves memory.", source: 2, order: 0, score: 0.8),
                      RankedSentence(text: "It saves 8x of the memory.", source: 3, order: 0, score: 0.7)]
        XCTAssertEqual(ExtractiveAnswer.text(quoting: ExtractiveAnswer.choose(from: ranked)), "According to [2], \"It saves memory.\"")
        let numeric = ExtractiveAnswer.choose(from: ranked, question: "How much does it save?", expectsNumber: true)
        XCTAssertEqual(numeric.map(\.source), [3])
    }
}

final class RefusalRuleTests: XCTestCase {
    func testCoverageRescuesWeakSimilarityOnlyWhenEveryQuestionWordIsFound() {
        let rule = RefusalRule()
        let covered = Answerability(question: "How many dimensions do MiniLM vectors have?",
                                    passages: ["MiniLM produces 384-dimensional vectors."], similarity: 0.32)
        XCTAssertEqual(covered.coverage, 1)
        XCTAssertNil(rule.refusal(covered))
        let partial = Answerability(question: "What learning rate was used for Mistral?",
                                    passages: ["Mistral uses a sliding window."], similarity: 0.32)
        XCTAssertEqual(partial.missing, ["learning", "rate"])
        XCTAssertNotNil(rule.refusal(partial))
        XCTAssertNotNil(rule.refusal(Answerability(similarity: 0.2, coverage: 1, missing: [])))
        XCTAssertNil(rule.refusal(Answerability(similarity: 0.5, coverage: 0.5, missing: ["x"])))
    }

    func testTheEngineRefusesWithoutGenerating() throws {
        let corpus = try MemoryCorpus(embedder: HashingEmbedder(), documents: [("a.md", ["Sliding windows keep recent tokens."])])
        var settings = AnswerSettings()
        settings.refusal.minimumSimilarity = 0.99
        let generator = ScriptedGenerator(reply: "Invented.")
        let engine = AnswerEngine(retriever: try HybridRetriever(corpus: corpus, embedder: HashingEmbedder()),
                                  generator: generator, settings: settings)
        let result = try engine.ask("How do I bake bread?", options: AskOptions())
        XCTAssertEqual(result.answer, GroundedPrompt.noAnswer)
        XCTAssertEqual(result.origin, .refusal)
        XCTAssertTrue(generator.lastMessages.isEmpty)
    }
}

final class GroundedAnswerTests: XCTestCase {
    func engine(reply: String) throws -> AnswerEngine {
        let corpus = try MemoryCorpus(embedder: HashingEmbedder(), documents: [
            ("window.md", ["Mistral 7B uses a sliding window of 4,096 tokens in each of its 32 layers."]),
            ("sram.md", ["The A100 has 192 KB of on-chip SRAM per streaming multiprocessor."]),
            ("flash.md", ["FlashAttention was introduced in 2022 by Tri Dao. FlashAttention-2 (2023) split the work better."]),
        ])
        var settings = AnswerSettings()
        settings.refusal.minimumSimilarity = -1
        settings.refusal.weakSimilarity = -1
        return AnswerEngine(retriever: try HybridRetriever(corpus: corpus, embedder: HashingEmbedder()),
                            generator: ScriptedGenerator(reply: reply), settings: settings)
    }

    func testTheAnswerIsCitedSentenceBySentence() throws {
        var streamed = ""
        let result = try engine(reply: "Mistral 7B uses a window of 4096 tokens.")
            .ask("What window does Mistral 7B use?", options: AskOptions(), onText: { streamed += $0; return true })
        let cited = result.sources.first { $0.path == "window.md" }!.number
        XCTAssertEqual(result.answer, "Mistral 7B uses a window of 4096 tokens [\(cited)].")
        XCTAssertEqual(streamed, result.answer)
        XCTAssertEqual(result.cited, [cited])
        XCTAssertEqual(result.origin, .model)
    }

    func testAnUnsupportedAnswerIsReplacedByQuotedEvidence() throws {
        let result = try engine(reply: "The window is 12 metres wide.").ask("What window does Mistral 7B use?", options: AskOptions())
        XCTAssertEqual(result.origin, .extractive)
        XCTAssertTrue(result.answer.hasPrefix("According to ["), result.answer)
        XCTAssertTrue(result.answer.contains("4,096 tokens"), result.answer)
        XCTAssertEqual(result.cited.count, 1)
    }

    func testAnAnswerGivingHalfOfATwoPartQuestionYieldsToAQuoteGivingBoth() throws {
        var streamed = ""
        let result = try engine(reply: "FlashAttention-2 came in 2023.")
            .ask("In which year was FlashAttention introduced, and who was its first author?", options: AskOptions(),
                 onText: { streamed += $0; return true })
        XCTAssertEqual(result.origin, .extractive)
        XCTAssertTrue(result.answer.contains("2022 by Tri Dao"), result.answer)
        XCTAssertEqual(streamed, result.answer, "the replaced answer was never shown")
    }
}
