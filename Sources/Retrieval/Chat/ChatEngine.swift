import Foundation

/// What one chat turn produced.
public struct ChatTurnResult: Sendable {
    /// The turn as remembered and stored.
    public var turn: ChatTurn
    /// The full answer result (sources, route, timings, prompt).
    public var answer: AskResult
    public var condensing: QuestionCondenser.Outcome
    /// Set when old turns were folded into the summary after this turn.
    public var summarizing: ConversationSummarizer.Outcome?
    /// Things the user should know (question cut, database busy, summary fallback, …), one line each.
    public var notices: [String]
    /// False when the turn could not be saved yet (it stays queued and is saved with a later turn or at exit).
    public var saved: Bool
    /// Tokens of the memory (summary + recent turns) after this turn.
    public var memoryTokens: Int
    /// Tokens of the running summary after this turn.
    public var summaryTokens: Int
    /// The list item the answer's evidence was kept on, if any (`ChatEngine.focus`).
    public var focus: ReferentFocus? = nil
}

/// A conversation about the indexed documents: condense the follow-up, answer it from retrieved sources,
/// the running summary and the recent turns, remember the turn (folding old turns into the summary when the
/// memory budget overflows), and store it.
///
/// The conversation in memory is the source of truth during a session. Stores may be busy (an ingest holds the
/// database's write lock): changes are then queued and written with the next successful save, in order.
public final class ChatEngine {
    public let sessionName: String
    public let budget: ChatBudget
    /// Retrieval, route and sampling options; the source budget and answer length come from `budget`.
    public private(set) var options: AskOptions
    public private(set) var memory: ConversationMemory
    /// Every turn of the session, oldest first (what `/history` shows), including turns folded into the summary.
    public private(set) var transcript: [ChatTurn]
    /// The result of the latest turn of this run (what `/sources` shows).
    public private(set) var lastResult: ChatTurnResult?
    /// True when the session already existed in the store.
    public let resumed: Bool

    private let answerEngine: AnswerEngine
    private let store: ChatSessionStore
    private let condenser: QuestionCondenser
    private let summarizer: ConversationSummarizer
    private var pending: [ChatChange] = []
    /// The item of a user's list the conversation is on (`ReferentFocus`): set by a follow-up that picks it out
    /// ("explain the first one"), kept while follow-ups point back ("how much memory does that save?"), dropped by
    /// a question that stands on its own. Not stored: a resumed session starts without one.
    public private(set) var focus: ReferentFocus?

    /// Opens the session `sessionName` (resuming it when stored). The answer engine is used with its long-context
    /// budget bounded by `budget.sourcesTokens`, so that every route fits the chat's prompt bound.
    public init(answerEngine: AnswerEngine, store: ChatSessionStore, sessionName: String,
                budget: ChatBudget = ChatBudget(), options: AskOptions = AskOptions()) throws {
        let name = try ChatSessionName.validated(sessionName)
        guard budget.worstCaseTokens <= answerEngine.generator.contextLength else {
            throw ChatError.budgetExceedsContext(needed: budget.worstCaseTokens, context: answerEngine.generator.contextLength)
        }
        var settings = answerEngine.settings
        settings.longContext.budget = min(settings.longContext.budget, budget.sourcesTokens)
        settings.longContext.sectionTokens = min(settings.longContext.sectionTokens, budget.sourcesTokens)
        settings.maxQuestionTokens = min(settings.maxQuestionTokens, budget.questionTokens)
        self.answerEngine = AnswerEngine(retriever: answerEngine.retriever, generator: answerEngine.generator, settings: settings)
        self.store = store
        self.sessionName = name
        self.budget = budget
        var options = options
        options.budget = budget.sourcesTokens
        options.generation.maxTokens = budget.answerTokens
        self.options = options
        self.condenser = QuestionCondenser(generator: answerEngine.generator, budget: budget)
        self.summarizer = ConversationSummarizer(generator: answerEngine.generator, budget: budget)

        let stored = try store.load(name)
        resumed = stored != nil
        if var stored {
            stored.summary.text = summarizer.bounded(stored.summary.text)
            memory = ConversationMemory(budget: budget, resuming: stored)
            transcript = stored.turns
        } else {
            memory = ConversationMemory(budget: budget)
            transcript = []
            // Create the session now so that it is listed; if the database is busy it is created with the first turn.
            try? store.apply([], to: name)
        }
    }

    public var generator: TextGenerator { answerEngine.generator }

    /// Changes not yet written to the store.
    public var unsavedChanges: Int { pending.count }

    /// Answers `rawQuestion` as the next turn. `onText` receives the streamed answer and returns false to stop it
    /// (the partial answer is kept, marked interrupted); `progress` receives notices while working.
    public func ask(_ rawQuestion: String, progress: (String) -> Void = { _ in },
                    onText: (String) -> Bool = { _ in true }) throws -> ChatTurnResult {
        var notices: [String] = []
        var question = rawQuestion.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else { throw RetrievalError.emptyQuery }
        if generator.countTokens(question) > budget.questionTokens {
            question = truncate(question, toTokens: budget.questionTokens, countTokens: generator.countTokens)
            notices.append("the question is longer than \(budget.questionTokens) tokens; only its beginning was used")
        }
        // A resumed session stored under a larger budget is brought within this one first.
        _ = compactMemory()

        let condensing: QuestionCondenser.Outcome
        do {
            condensing = try condenser.condense(question, memory: memory, previous: transcript.last,
                                                earlierQuestions: transcript.map(\.question))
        } catch {
            condensing = QuestionCondenser.Outcome(question: condenser.fallback(question, previous: transcript.last),
                                                   rewritten: false, promptTokens: 0, seconds: 0,
                                                   searchQueries: condenser.searchQueries(question, previous: transcript.last))
            notices.append("could not condense the follow-up (\(error)); searching with it as typed")
        }

        if let picked = condensing.focus {
            focus = picked
        } else if transcript.isEmpty || !QuestionCondenser.refersBack(question) {
            focus = nil
        }

        var interrupted = false
        let answer = try answerEngine.ask(condensing.searchQueries.first?.text ?? condensing.question, options: options, history: memory.historyMessages(),
                                          summary: memory.summary.text.isEmpty ? nil : memory.summary.text,
                                          searchQueries: condensing.searchQueries, focus: focus,
                                          progress: progress) { piece in
            let more = onText(piece)
            if !more { interrupted = true }
            return more
        }
        notices += answer.notices

        let turn = ChatTurn(number: memory.nextTurnNumber, question: question, standaloneQuestion: condensing.question,
                            answer: answer.answer, sources: answer.sources.map(ChatSourceReference.init),
                            cited: answer.cited, interrupted: interrupted)
        memory.append(turn)
        transcript.append(turn)
        pending.append(.turn(turn))

        let folded = compactMemory()

        var saved = true
        if let failure = save() {
            saved = false
            notices.append(failure.isBusy
                ? "database busy (is 'rag ingest' running?): \(pending.count) unsaved change(s) kept in memory, saved with the next turn or at exit"
                : "could not save the turn: \(failure); it is kept in memory and saving is retried")
        }
        let result = ChatTurnResult(turn: turn, answer: answer, condensing: condensing, summarizing: folded,
                                    notices: notices, saved: saved,
                                    memoryTokens: memory.tokens(countTokens: generator.countTokens),
                                    summaryTokens: generator.countTokens(memory.summary.text), focus: focus)
        lastResult = result
        return result
    }

    /// Forgets the conversation (summary and turns, in memory and in the store); the session name stays.
    /// Returns a notice when the store could not be updated yet.
    @discardableResult
    public func reset() -> String? {
        memory.reset()
        transcript = []
        focus = nil
        lastResult = nil
        pending = [.reset]
        guard let failure = save() else { return nil }
        return failure.isBusy ? "database busy: the reset is kept in memory and saved with the next turn or at exit"
                              : "could not save the reset: \(failure)"
    }

    /// Writes queued changes. Returns the error when the store refused them (they stay queued).
    @discardableResult
    public func save() -> ChatStoreError? {
        guard !pending.isEmpty else { return nil }
        do {
            try store.apply(pending, to: sessionName)
            pending = []
            return nil
        } catch {
            return error
        }
    }

    /// Folds the oldest recent turns into the summary while the memory is over budget.
    /// The folded turns become fact lines (`ConversationSummarizer`), so the bound always holds.
    private func compactMemory() -> ConversationSummarizer.Outcome? {
        let count = memory.turnsToFold(countTokens: generator.countTokens)
        guard count > 0 else { return nil }
        let leaving = Array(memory.recentTurns.prefix(count))
        let outcome = summarizer.summarize(previous: memory.summary.text, folding: leaving)
        memory.fold(count: count, into: outcome.summary)
        pending.append(.summary(memory.summary))
        return outcome
    }
}
