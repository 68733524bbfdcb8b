import Retrieval
import XCTest

final class ChatMemoryTests: XCTestCase {
    let countWords = { (text: String) in text.split(whereSeparator: \.isWhitespace).count }

    func turn(_ number: Int, questionWords: Int, answerWords: Int) -> ChatTurn {
        ChatTurn(number: number, question: words(questionWords), standaloneQuestion: words(questionWords),
                 answer: words(answerWords))
    }

    func testNothingFoldsWhileTheTurnsFit() {
        var budget = ChatBudget()
        budget.memoryTokens = 300
        budget.summaryTokens = 100
        var memory = ConversationMemory(budget: budget)
        memory.append(turn(0, questionWords: 10, answerWords: 50))
        memory.append(turn(0, questionWords: 10, answerWords: 50))
        XCTAssertEqual(memory.recentTurns.map(\.number), [1, 2], "turns are numbered in order")
        XCTAssertEqual(memory.recentTokens(countTokens: countWords), 2 * (60 + 2 * budget.messageOverheadTokens))
        XCTAssertEqual(memory.turnsToFold(countTokens: countWords), 0)
    }

    func testOverflowFoldsDownToTheLowerTarget() {
        var budget = ChatBudget()
        budget.memoryTokens = 300
        budget.summaryTokens = 100      // 200 tokens for recent turns; fold down to 100
        var memory = ConversationMemory(budget: budget)
        for _ in 0..<4 { memory.append(turn(0, questionWords: 8, answerWords: 30)) }   // 50 tokens each
        XCTAssertEqual(memory.turnsToFold(countTokens: countWords), 0, "4 × 50 = 200 fits exactly")
        memory.append(turn(0, questionWords: 8, answerWords: 30))
        XCTAssertEqual(memory.turnsToFold(countTokens: countWords), 3, "250 > 200: keep the newest 2 (100 tokens)")
        memory.fold(count: 3, into: "Notes about turns one to three.")
        XCTAssertEqual(memory.summary, ChatSummary(text: "Notes about turns one to three.", coveredTurns: 3))
        XCTAssertEqual(memory.recentTurns.map(\.number), [4, 5])
        XCTAssertEqual(memory.nextTurnNumber, 6)
    }

    func testTheNewestTurnStaysWhenItFitsOnItsOwn() {
        var budget = ChatBudget()
        budget.memoryTokens = 300
        budget.summaryTokens = 100      // 200 for recent turns, fold down to 100
        var memory = ConversationMemory(budget: budget)
        for _ in 0..<3 { memory.append(turn(0, questionWords: 8, answerWords: 30)) }   // 50 each
        memory.append(turn(0, questionWords: 8, answerWords: 160))                    // 180
        XCTAssertEqual(memory.turnsToFold(countTokens: countWords), 3, "the 180-token turn is above the lower target but stays")
    }

    func testTurnCountLimitFoldsShortTurnsToo() {
        var budget = ChatBudget()
        budget.maxRecentTurns = 4
        var memory = ConversationMemory(budget: budget)
        for _ in 0..<5 { memory.append(turn(0, questionWords: 2, answerWords: 2)) }
        XCTAssertEqual(memory.turnsToFold(countTokens: countWords), 3, "5 > 4 turns: keep the newest 2")
    }

    func testATurnLargerThanTheWholeBudgetIsFolded() {
        var budget = ChatBudget()
        budget.memoryTokens = 150
        budget.summaryTokens = 50
        var memory = ConversationMemory(budget: budget)
        memory.append(turn(0, questionWords: 10, answerWords: 500))
        XCTAssertEqual(memory.turnsToFold(countTokens: countWords), 1)
    }

    func testHistoryDropsCitationMarkers() {
        var memory = ConversationMemory(budget: ChatBudget())
        memory.append(ChatTurn(number: 0, question: "What is it?", standaloneQuestion: "What is the KV cache?",
                               answer: "It stores keys [1] and values [2, 3]. See [source 4] or [x]."))
        XCTAssertEqual(memory.historyMessages(), [
            PromptMessage(.user, "What is it?"),
            PromptMessage(.assistant, "It stores keys and values. See or [x]."),
        ])
    }

    func testResumingKeepsOnlyTheTurnsTheSummaryDoesNotCover() {
        let turns = (1...5).map { turn($0, questionWords: 3, answerWords: 3) }
        let stored = StoredConversation(info: ChatSessionInfo(name: "s", createdAt: 0, updatedAt: 0, turnCount: 5, lastQuestion: ""),
                                        turns: turns, summary: ChatSummary(text: "Earlier notes.", coveredTurns: 3))
        let memory = ConversationMemory(budget: ChatBudget(), resuming: stored)
        XCTAssertEqual(memory.recentTurns.map(\.number), [4, 5])
        XCTAssertEqual(memory.summary.text, "Earlier notes.")
        XCTAssertEqual(memory.nextTurnNumber, 6)
    }

    func testInputClassification() {
        XCTAssertEqual(ChatInput(line: "   "), .empty)
        XCTAssertEqual(ChatInput(line: " What is RoPE? "), .question("What is RoPE?"))
        XCTAssertEqual(ChatInput(line: "/sources"), .command(.sources))
        XCTAssertEqual(ChatInput(line: "/HISTORY"), .command(.history))
        XCTAssertEqual(ChatInput(line: "/quit"), .command(.exit))
        XCTAssertEqual(ChatInput(line: "/frobnicate now"), .unknownCommand("/frobnicate"))
        XCTAssertEqual(ChatInput(line: "//usr/lib is what?"), .question("/usr/lib is what?"))
        for word in ChatCommandWord.allCases { XCTAssertEqual(ChatInput(line: "/" + word.rawValue), .command(word)) }
    }

    func testCondenserCleaning() {
        let context = "User: What is the KV cache? Assistant: It stores keys and values of earlier tokens."
        XCTAssertEqual(QuestionCondenser.clean("Rewritten question: \"How big is the KV cache?\"\nmore", original: "How big is it?", context: context),
                       "How big is the KV cache?")
        XCTAssertNil(QuestionCondenser.clean("", original: "How big is it?", context: context))
        XCTAssertNil(QuestionCondenser.clean("I'm sorry, I cannot help with that?", original: "How big is it?", context: context))
        XCTAssertNil(QuestionCondenser.clean("The cache is large.", original: "How big is it?", context: context),
                     "an answer instead of a question")
        XCTAssertNil(QuestionCondenser.clean("What do penguins eat?", original: "How big is it?", context: context),
                     "nothing in common with the conversation")
        XCTAssertNil(QuestionCondenser.clean("How big is the KV cache?", original: "How big is it?", context: context,
                                             earlierQuestions: ["How big is the KV cache?"]), "a repeat of an earlier question")
        XCTAssertNil(QuestionCondenser.clean("How big is it?", original: "How big is it?", context: context), "unchanged")
        XCTAssertNil(QuestionCondenser.clean("How many bits per weight does the KV cache use?",
                                             original: "How many bits per weight does the Q4_1 variant of it use?", context: context),
                     "a number-bearing word was dropped")
        XCTAssertNil(QuestionCondenser.clean("How many early tokens does the KV cache keep?",
                                             original: "How many of those early tokens does it keep, and how long can the stream get?",
                                             context: context), "half of the question was dropped")
        XCTAssertEqual(QuestionCondenser.clean("How many bits per weight does the Q4_1 variant of the KV cache use?",
                                               original: "How many bits per weight does the Q4_1 variant of it use?", context: context),
                       "How many bits per weight does the Q4_1 variant of the KV cache use?")
        XCTAssertNil(QuestionCondenser.clean("How big is the KV cache of Llama 2?", original: "How big is it?", context: context),
                     "one added word the conversation never used (and a number nobody said)")
        XCTAssertEqual(QuestionCondenser.clean("How big are the KV caches?", original: "How big is it?", context: context),
                       "How big are the KV caches?", "a plural of a word of the conversation is that word")
    }

    func testReferencesBackAreRecognized() {
        XCTAssertTrue(QuestionCondenser.refersBack("Which other models use it?"))
        XCTAssertTrue(QuestionCondenser.refersBack("What does the second technique I mentioned do?"))
        XCTAssertTrue(QuestionCondenser.refersBack("And for Llama?"), "too short to stand alone")
        XCTAssertFalse(QuestionCondenser.refersBack("How does grouped-query attention shrink the KV cache?"))
    }

    func source(_ number: Int, _ path: String, _ line: Int) -> ChatSourceReference {
        ChatSourceReference(number: number, path: path, startLine: line, endLine: line, heading: "", score: 1)
    }

    /// Folded turns become fact lines: the searched question, the answer word for word, its cited source.
    func testMemoryKeepsTheAnswersVerbatimWithTheirSources() {
        let summarizer = ConversationSummarizer(generator: ChatScriptGenerator(), budget: ChatBudget())
        let turns = [
            ChatTurn(number: 1, question: "How big?", standaloneQuestion: "How big is the KV cache of Llama 2 70B?",
                     answer: "It takes 320 KiB per token [1].", sources: [source(1, "kv-cache.md", 17)], cited: [1]),
            ChatTurn(number: 2, question: "And the egg?", standaloneQuestion: "How long should I boil an egg",
                     answer: GroundedPrompt.noAnswer),
        ]
        let outcome = summarizer.summarize(previous: "", folding: turns)
        XCTAssertEqual(outcome.summary, """
            How big is the KV cache of Llama 2 70B? It takes 320 KiB per token. (kv-cache.md:17-17)
            How long should I boil an egg. The documents don't say.
            """)
        XCTAssertFalse(outcome.fellBack)
        // Folding the same answer again adds nothing; a new one is appended.
        let again = summarizer.summarize(previous: outcome.summary, folding: [
            ChatTurn(number: 3, question: "Size?", standaloneQuestion: "What size is the KV cache of Llama 2 70B?",
                     answer: "It takes 320 KiB per token [2].", sources: [source(2, "kv-cache.md", 17)], cited: [2]),
            ChatTurn(number: 4, question: "GQA?", standaloneQuestion: "How many KV heads does Llama 2 70B have?",
                     answer: "Llama 2 70B uses 8 key/value heads [1].", sources: [source(1, "gqa.md", 9)], cited: [1]),
        ])
        XCTAssertEqual(again.summary.split(separator: "\n").count, 3)
        XCTAssertTrue(again.summary.hasSuffix("How many KV heads does Llama 2 70B have? Llama 2 70B uses 8 key/value heads. (gqa.md:9-9)"))
    }

    func testMemoryDropsTheOldestFactsToStayWithinItsBudget() {
        var budget = ChatBudget()
        budget.summaryTokens = 30
        let summarizer = ConversationSummarizer(generator: ChatScriptGenerator(), budget: budget)
        let turns = (1...9).map {
            ChatTurn(number: $0, question: "q", standaloneQuestion: "What is topic \($0)?", answer: "Topic \($0) has \($0 * 11) parts.")
        }
        let summary = summarizer.summarize(previous: "", folding: turns).summary
        XCTAssertLessThanOrEqual(countWords(summary), 30)
        XCTAssertTrue(summary.hasSuffix("What is topic 9? Topic 9 has 99 parts."), summary)
        XCTAssertFalse(summary.contains("topic 1?"))
        // Every number the memory states was stated by an answer.
        let stated = Set(turns.flatMap { Terms.of($0.answer + " " + $0.standaloneQuestion) })
        XCTAssertTrue(Set(Terms.of(summary)).isSubset(of: stated))
    }
}
