import Index
import Retrieval
import XCTest

final class OrdinalReferenceTests: XCTestCase {
    func testReferenceResolvesToAnItemOfAnEarlierList() {
        let earlier = ["Which garden pests are common?", "My neighbour suggested three remedies: neem oil, ladybugs, and copper tape."]
        let second = OrdinalReference.resolve("How does the second remedy you mentioned work?", earlierUserMessages: earlier)
        XCTAssertNil(second, "'remedy' is not a generic list noun")
        let resolved = OrdinalReference.resolve("How does the second one work?", earlierUserMessages: earlier)
        XCTAssertEqual(resolved?.item, "ladybugs")
        XCTAssertEqual(resolved?.question, "How does ladybugs work?")
        let last = OrdinalReference.resolve("Back to the last idea: is it safe for bees?", earlierUserMessages: earlier)
        XCTAssertEqual(last?.question, "Back to copper tape: is it safe for bees?")
        let mentioned = OrdinalReference.resolve("What does the first technique I mentioned cost?", earlierUserMessages: earlier)
        XCTAssertEqual(mentioned?.question, "What does neem oil cost?")
    }

    func testListInTheSameMessageIsUsedAndItsSentenceDropped() {
        let resolved = OrdinalReference.resolve(
            "I know of two ways to store bread: freezing it or keeping it in a linen bag. Explain the first one.",
            earlierUserMessages: [])
        XCTAssertEqual(resolved?.question, "Explain freezing it.")
    }

    func testListsWithoutColonOrOxfordComma() {
        XCTAssertEqual(OrdinalReference.enumeration(in: "I use tools such as rsync, tar and cron."), ["rsync", "tar", "cron"])
        XCTAssertEqual(OrdinalReference.enumeration(in: "Two options: caching and batching."), ["caching", "batching"])
        XCTAssertNil(OrdinalReference.enumeration(in: "Note: this is fine."))
    }

    func testOrdinalsThatAreNotListReferences() {
        XCTAssertNil(OrdinalReference.resolve("Why do the first tokens matter?", earlierUserMessages: ["Options: a, b and c."]))
        XCTAssertNil(OrdinalReference.resolve("Explain the third one.", earlierUserMessages: ["Options: a and b."]),
                     "no third item")
        XCTAssertFalse(QuestionCondenser.refersBack("Why does the model fail when the very first tokens leave the window?"))
        XCTAssertTrue(QuestionCondenser.refersBack("Explain the first one in more detail please."))
    }
}

final class QueryFusionTests: XCTestCase {
    func hit(_ id: Int64, _ path: String, dense: Double) -> RetrievedChunk {
        RetrievedChunk(chunk: ChunkRecord(id: id, documentId: id, path: path, rootPath: "/", ordinal: 0, heading: "",
                                          text: path, startLine: 1, endLine: 5, charStart: 0, charEnd: 10),
                       score: 1, dense: dense, bm25: nil)
    }

    func testBestWeightedSimilarityWinsAndContextCannotPullBack() {
        // The follow-up alone matches its new subject (0.9 × 0.7 = 0.63); with the old question beside it, the old
        // subject's passage scores 0.6 and the new one 0.5: the new subject stays first.
        let bare = RetrievalResult(chunks: [hit(1, "new.md", dense: 0.7), hit(2, "old.md", dense: 0.3)], bestDenseScore: 0.7,
                                   queryVector: [1, 0], embedSeconds: 0, searchSeconds: 0)
        let withContext = RetrievalResult(chunks: [hit(2, "old.md", dense: 0.6), hit(1, "new.md", dense: 0.5)],
                                          bestDenseScore: 0.6, queryVector: [0, 1], embedSeconds: 0, searchSeconds: 0)
        let fused = QueryFusion.fuse([bare, withContext], weights: [0.9, 1], k: 2)
        XCTAssertEqual(fused.chunks.map(\.chunk.path), ["new.md", "old.md"])
        XCTAssertEqual(fused.chunks.map(\.score)[0], 0.63, accuracy: 1e-9)
        XCTAssertEqual(fused.bestDenseScore, 0.7)
        XCTAssertEqual(fused.queryVector, [1, 0])
        XCTAssertEqual(fused.phrasings, [WeightedVector([1, 0], weight: 0.9), WeightedVector([0, 1], weight: 1)])
        // A pronoun follow-up alone matches little: the context's passage wins.
        let vague = RetrievalResult(chunks: [hit(1, "new.md", dense: 0.2)], bestDenseScore: 0.2, queryVector: [1, 0],
                                    embedSeconds: 0, searchSeconds: 0)
        XCTAssertEqual(QueryFusion.fuse([vague, withContext], weights: [0.9, 1], k: 2).chunks.first?.chunk.path, "old.md")
    }

    func testFollowUpQueriesCarryThePreviousQuestionAndTopic() {
        let condenser = QuestionCondenser(generator: ScriptedGenerator(reply: ""), budget: ChatBudget())
        let previous = ChatTurn(number: 1, question: "How do I store bread?", standaloneQuestion: "How do I store bread?",
                                answer: "Freeze it [1].",
                                sources: [ChatSourceReference(number: 1, path: "bread.md", startLine: 1, endLine: 2,
                                                              heading: "Keeping Bread > Freezing", score: 1)],
                                cited: [1])
        let queries = condenser.searchQueries("How long does it last?", previous: previous)
        XCTAssertEqual(queries.map(\.text), ["How long does it last?", "How long does it last? How do I store bread?",
                                             "How long does it last? Keeping Bread"])
        XCTAssertEqual(queries.first?.weight, QuestionCondenser.bareFollowUpWeight)
        XCTAssertTrue(condenser.searchQueries("How do sourdough starters ferment flour?", previous: previous).isEmpty)
    }
}

final class ReferentFocusTests: XCTestCase {
    func hit(_ id: Int64, _ path: String, heading: String = "", _ text: String) -> RetrievedChunk {
        RetrievedChunk(chunk: ChunkRecord(id: id, documentId: id, path: path, rootPath: "/", ordinal: 0, heading: heading,
                                          text: text, startLine: 1, endLine: 5, charStart: 0, charEnd: 10),
                       score: 1, dense: 0.5, bm25: nil)
    }

    let focus = ReferentFocus(item: "sharing key/value heads between query heads",
                              siblings: ["storing the entries in lower precision", "keeping only a window of recent tokens"])

    func testResolutionCarriesTheOtherItemsOfTheList() {
        let resolved = OrdinalReference.resolve(
            "Three ways to shrink it: sharing key/value heads between query heads, storing the entries in lower precision, "
                + "and keeping only a window of recent tokens. Explain the first one.", earlierUserMessages: [])
        XCTAssertEqual(resolved?.question, "Explain sharing key/value heads between query heads.")
        XCTAssertEqual(resolved?.focus, focus)
    }

    func testPassagesNamingAnotherItemLeaveWhenOneNamesTheItemAlone() {
        let overview = hit(1, "cache.md", heading: "The Cache > Ways to shrink it",
                           "- Fewer key/value heads: share keys and values between query heads.\n"
                               + "- Lower precision: storing keys and values in INT8 halves it.\n"
                               + "- A sliding window keeps only recent tokens.")
        let specific = hit(2, "gqa.md", heading: "Grouped-query attention",
                           "All query heads share one key head and one value head, so far fewer key/value heads are "
                               + "cached for every token; almost every recent model uses it.")
        let other = hit(3, "rope.md", "Rotary embeddings rotate queries and keys by position.")
        XCTAssertTrue(focus.isAbout(specific.chunk.heading + "\n" + specific.chunk.text),
                      "'recent' and 'token' alone do not name the window item")
        XCTAssertTrue(focus.names(overview.chunk.text))
        XCTAssertTrue(focus.namesSibling(overview.chunk.text))
        XCTAssertEqual(focus.focused([overview, specific, other]).map(\.chunk.path), ["gqa.md", "rope.md"])
        // Without a passage about the item alone, the evidence stays as retrieved.
        XCTAssertEqual(focus.focused([overview, other]).map(\.chunk.path), ["cache.md", "rope.md"])
        XCTAssertEqual(ReferentFocus(item: "a b", siblings: []).focused([overview, specific]).count, 2)
    }
}
