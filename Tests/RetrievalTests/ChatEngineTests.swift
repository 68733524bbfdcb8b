import Retrieval
import XCTest

final class ChatEngineTests: XCTestCase {
    func testFirstTurnIsNotCondensedFollowUpsAre() throws {
        let generator = ChatScriptGenerator()
        generator.condenseReply = { _ in "How much memory does the KV cache use?" }
        let engine = try makeChatEngine(generator: generator, store: InMemoryChatSessionStore())

        let first = try engine.ask("What is the KV cache?")
        XCTAssertFalse(first.condensing.rewritten)
        XCTAssertEqual(first.turn.standaloneQuestion, "What is the KV cache?")
        XCTAssertTrue(generator.calls(.condense).isEmpty, "nothing to condense on the first turn")

        let second = try engine.ask("How much memory does it use?")
        XCTAssertTrue(second.condensing.rewritten)
        XCTAssertEqual(second.answer.question, "How much memory does the KV cache use?", "retrieval and answer get the rewrite")
        let condensePrompt = try XCTUnwrap(generator.calls(.condense).first?.messages.last?.content)
        XCTAssertTrue(condensePrompt.contains("User: What is the KV cache?"))
        XCTAssertTrue(condensePrompt.hasSuffix("Follow-up: How much memory does it use?"))

        // Both answers come from the evidence (a quoted unit with its citation), not from a free-text reply.
        XCTAssertTrue(generator.calls(.answer).isEmpty)
        XCTAssertEqual(second.answer.cited, [1])
        XCTAssertTrue(second.answer.answer.hasSuffix(" [1]"))
        XCTAssertEqual(second.turn.number, 2)
        XCTAssertEqual(engine.transcript.count, 2)
    }

    func testUnusableRewriteFallsBackToTheFollowUp() throws {
        let generator = ChatScriptGenerator()
        generator.condenseReply = { _ in "Penguins live in Antarctica." }
        let engine = try makeChatEngine(generator: generator, store: InMemoryChatSessionStore())
        _ = try engine.ask("What is the KV cache?")
        let result = try engine.ask("How big is it?")
        XCTAssertFalse(result.condensing.rewritten)
        XCTAssertEqual(result.turn.standaloneQuestion, "How big is it? (follow-up to: What is the KV cache?)",
                       "the previous question goes along so that retrieval knows what 'it' is")
        generator.condenseReply = { _ in "" }
        let third = try engine.ask("And its values?")
        XCTAssertEqual(third.turn.standaloneQuestion, "And its values? (follow-up to: How big is it?)",
                       "the most recent question goes along, and fallbacks do not nest")
        let standalone = try engine.ask("How does grouped-query attention shrink the cache?")
        XCTAssertEqual(standalone.turn.standaloneQuestion, "How does grouped-query attention shrink the cache?",
                       "a follow-up that stands on its own is used as typed")
    }

    func testCondenserStopsAfterItsFirstLine() throws {
        let generator = ChatScriptGenerator()
        generator.condenseReply = { _ in "\n\nHow large is the KV cache?\nThe KV cache is large because" }
        let engine = try makeChatEngine(generator: generator, store: InMemoryChatSessionStore())
        _ = try engine.ask("What is the KV cache?")
        let result = try engine.ask("How large is it?")
        XCTAssertEqual(result.turn.standaloneQuestion, "How large is the KV cache?")
    }

    /// 200 turns with long answers, long follow-ups and the occasional pasted wall of text:
    /// every prompt stays within the budget, and so do the summary and the memory.
    func testTwoHundredTurnsStayWithinTheBudget() throws {
        let generator = ChatScriptGenerator()
        var turn = 0
        generator.answerReply = { _ in words(180 + (turn * 37) % 200, seed: turn) + " [1]." }
        generator.condenseReply = { _ in "What about the " + words(3 + turn % 90, seed: turn) + "?" }
        let budget = ChatBudget()
        let store = InMemoryChatSessionStore()
        let engine = try makeChatEngine(generator: generator, store: store, budget: budget)
        let instructionTokens = 60   // system instructions and prompt scaffolding, in words
        let bound = budget.promptBound(instructionTokens: instructionTokens)
        XCTAssertLessThanOrEqual(bound, 3200, "far below the 8192-token context, so prefill stays affordable")

        var summarized = 0
        for index in 0..<200 {
            turn = index
            let question = index % 23 == 5 ? words(2000, seed: index) : "Tell me about " + words(4 + index % 20, seed: index) + "?"
            let callsBefore = generator.calls.count
            let result = try engine.ask(question)
            if result.summarizing != nil { summarized += 1 }

            for call in generator.calls[callsBefore...] {
                XCTAssertLessThanOrEqual(call.promptTokens, bound, "turn \(index + 1): \(call.kind) prompt has \(call.promptTokens) tokens")
                XCTAssertLessThanOrEqual(call.promptTokens + call.maxTokens, generator.contextLength, "turn \(index + 1) fits the context")
            }
            XCTAssertLessThanOrEqual(result.summaryTokens, budget.summaryTokens, "turn \(index + 1)")
            XCTAssertLessThanOrEqual(result.memoryTokens, budget.memoryTokens, "turn \(index + 1)")
            XCTAssertLessThanOrEqual(engine.memory.recentTurns.count, budget.maxRecentTurns)
            if index % 23 == 5 {
                XCTAssertTrue(result.notices.contains { $0.contains("longer than \(budget.questionTokens) tokens") })
                XCTAssertEqual(generator.countTokens(result.turn.question), budget.questionTokens)
            }
            XCTAssertEqual(result.turn.number, index + 1)
        }
        XCTAssertGreaterThan(summarized, 20, "old turns were folded regularly")
        XCTAssertLessThan(summarized, 200, "but not after every turn")
        let stored = try XCTUnwrap(try store.load("test"))
        XCTAssertEqual(stored.turns.count, 200, "every turn is stored")
        XCTAssertEqual(stored.summary, engine.memory.summary)
        XCTAssertEqual(stored.turns.last?.number, 200)
    }

    func testOldTurnsFoldIntoFactsWithoutTheModel() throws {
        let generator = ChatScriptGenerator()
        var budget = ChatBudget()
        budget.maxRecentTurns = 2
        let engine = try makeChatEngine(generator: generator, store: InMemoryChatSessionStore(), budget: budget)
        var answers: [String] = []
        for index in 0..<4 { answers.append(try engine.ask("Question \(index) about the cache?").turn.answer) }
        XCTAssertTrue(generator.calls.allSatisfy { $0.kind == .condense }, "nothing is generated to remember")
        let facts = engine.memory.summary.text.split(separator: "\n").map(String.init)
        let distinct = Set(answers.prefix(2).map { ConversationMemory.withoutCitations($0).lowercased() }).count
        XCTAssertEqual(facts.count, distinct, "two turns folded, one line per distinct answer")
        XCTAssertTrue(facts[0].hasPrefix("Question 0 about the cache? "))
        XCTAssertTrue(facts[0].contains(ConversationMemory.withoutCitations(answers[0]).trimmingCharacters(in: .whitespaces)),
                      "the answer is kept word for word")
    }

    func testBusyStoreKeepsTurnsAndSavesThemLater() throws {
        let generator = ChatScriptGenerator()
        let store = InMemoryChatSessionStore()
        let engine = try makeChatEngine(generator: generator, store: store)
        store.simulateBusy = true
        let first = try engine.ask("What is the cache?")
        XCTAssertFalse(first.saved)
        XCTAssertTrue(first.notices.contains { $0.hasPrefix("database busy") }, "\(first.notices)")
        let second = try engine.ask("And the keys?")
        XCTAssertFalse(second.saved)
        XCTAssertEqual(engine.unsavedChanges, 2)
        XCTAssertEqual(try store.load("test")?.turns.count, 0)

        store.simulateBusy = false
        let third = try engine.ask("And the values?")
        XCTAssertTrue(third.saved)
        XCTAssertEqual(engine.unsavedChanges, 0)
        XCTAssertEqual(try store.load("test")?.turns.map(\.number), [1, 2, 3])
    }

    func testResumeAndReset() throws {
        let generator = ChatScriptGenerator()
        let store = InMemoryChatSessionStore()
        let engine = try makeChatEngine(generator: generator, store: store, name: "kv")
        XCTAssertFalse(engine.resumed)
        XCTAssertEqual(try store.sessions().map(\.name), ["kv"], "a new session is listed at once")
        _ = try engine.ask("What is the KV cache?")
        _ = try engine.ask("How big is it?")

        let resumed = try makeChatEngine(generator: generator, store: store, name: "kv")
        XCTAssertTrue(resumed.resumed)
        XCTAssertEqual(resumed.transcript.map(\.question), ["What is the KV cache?", "How big is it?"])
        XCTAssertEqual(resumed.memory.recentTurns, engine.memory.recentTurns)
        let next = try resumed.ask("Why?")
        XCTAssertEqual(next.turn.number, 3)
        XCTAssertFalse(generator.calls(.condense).isEmpty)

        XCTAssertNil(resumed.reset())
        XCTAssertTrue(resumed.memory.isEmpty)
        XCTAssertEqual(try store.load("kv")?.turns.count, 0)
        let fresh = try resumed.ask("What is attention?")
        XCTAssertEqual(fresh.turn.number, 1)
        XCTAssertFalse(fresh.condensing.rewritten, "after a reset there is nothing to condense against")
    }

    func testEmptyQuestionIsRefused() throws {
        let engine = try makeChatEngine(generator: ChatScriptGenerator(), store: InMemoryChatSessionStore())
        XCTAssertThrowsError(try engine.ask("  \n ")) { XCTAssertEqual($0 as? RetrievalError, .emptyQuery) }
        XCTAssertThrowsError(try makeChatEngine(generator: ChatScriptGenerator(), store: InMemoryChatSessionStore(), name: " "))
        var huge = ChatBudget()
        huge.sourcesTokens = 6000
        huge.answerTokens = 2048
        XCTAssertThrowsError(try makeChatEngine(generator: ChatScriptGenerator(), store: InMemoryChatSessionStore(), budget: huge)) {
            XCTAssertEqual($0 as? ChatError, .budgetExceedsContext(needed: huge.worstCaseTokens, context: 8192))
        }
    }
}

final class ChatFocusTests: XCTestCase {
    /// "Explain the first one" picks an item out of the user's own list: the answer's evidence leaves out the
    /// overview that lists every item, the focus stays while follow-ups point back, and a standalone question ends it.
    func testReferentFocusKeepsTheEvidenceOnThePickedItem() throws {
        let corpus = try MemoryCorpus(embedder: HashingEmbedder(), documents: [
            (path: "cache.md", chunks: ["Ways to shrink the cache: share keys and values between query heads; storing "
                + "keys and values in lower precision such as INT8; a sliding window keeps only recent tokens."]),
            (path: "gqa.md", chunks: ["Grouped-query attention: query heads share one key head and one value head, "
                + "so the cache holds fewer key/value heads."]),
            (path: "rope.md", chunks: ["Rotary embeddings rotate queries and keys by their position."]),
        ])
        let generator = ChatScriptGenerator()
        generator.condenseReply = { _ in "" }
        var settings = AnswerSettings()
        settings.evidenceModel = alwaysAnswering
        let answers = AnswerEngine(retriever: try HybridRetriever(corpus: corpus, embedder: HashingEmbedder()),
                                   generator: generator, settings: settings)
        let engine = try ChatEngine(answerEngine: answers, store: InMemoryChatSessionStore(), sessionName: "focus")
        var last: AskResult?
        /// The evidence the last answer was chosen from.
        func answerPrompt() -> String { last?.evidence?.candidates.map(\.unit.text).joined(separator: "\n") ?? "" }

        let first = try engine.ask("What is the KV cache?")
        last = first.answer
        XCTAssertNil(first.focus)
        XCTAssertTrue(answerPrompt().contains("Ways to shrink the cache"), answerPrompt())

        let picked = try engine.ask("I know three ways to make it smaller: sharing key/value heads between query heads, "
            + "storing the entries in lower precision, and keeping only a window of recent tokens. Explain the first one.")
        XCTAssertEqual(picked.focus?.item, "sharing key/value heads between query heads")
        XCTAssertEqual(picked.answer.question, "Explain sharing key/value heads between query heads.")
        last = picked.answer
        XCTAssertTrue(answerPrompt().contains("Grouped-query attention"))
        XCTAssertFalse(answerPrompt().contains("Ways to shrink the cache"), "the overview of the whole list is left out")

        let followUp = try engine.ask("How much memory does that save?")
        XCTAssertEqual(followUp.focus?.item, "sharing key/value heads between query heads", "kept while pointing back")
        last = followUp.answer
        XCTAssertFalse(answerPrompt().contains("Ways to shrink the cache"))

        let standalone = try engine.ask("How do rotary embeddings encode position?")
        XCTAssertNil(standalone.focus, "a question that stands on its own ends the focus")
        engine.reset()
        XCTAssertNil(engine.focus)
    }
}
