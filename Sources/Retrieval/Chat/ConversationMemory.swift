import Foundation

/// What the chat remembers: a running summary of old turns and the recent turns verbatim.
///
/// The recent turns are bounded by `ChatBudget.recentTurnTokens` and `maxRecentTurns`; the summary by
/// `summaryTokens`. When a new turn makes the recent turns overflow, `turnsToFold` says how many of the oldest
/// must be folded into the summary (by `ConversationSummarizer`), and `fold` does it.
public struct ConversationMemory: Sendable, Equatable {
    public let budget: ChatBudget
    public private(set) var summary: ChatSummary
    /// Oldest first; numbers follow `summary.coveredTurns`.
    public private(set) var recentTurns: [ChatTurn]
    /// Number the next turn gets.
    public private(set) var nextTurnNumber: Int

    public init(budget: ChatBudget, summary: ChatSummary = .empty, recentTurns: [ChatTurn] = []) {
        self.budget = budget
        self.summary = summary
        self.recentTurns = recentTurns
        self.nextTurnNumber = (recentTurns.last?.number ?? summary.coveredTurns) + 1
    }

    /// The memory of a stored session: its summary and the turns the summary does not cover.
    public init(budget: ChatBudget, resuming stored: StoredConversation) {
        let recent = stored.turns.filter { $0.number > stored.summary.coveredTurns }
        self.init(budget: budget, summary: stored.summary, recentTurns: recent)
        nextTurnNumber = max(nextTurnNumber, (stored.turns.last?.number ?? 0) + 1)
    }

    public var isEmpty: Bool { recentTurns.isEmpty && summary.text.isEmpty }

    /// The recent turns as chat messages for the answer prompt.
    /// Citation markers are removed: they number the sources of *that* turn, not of the new prompt.
    public func historyMessages() -> [PromptMessage] {
        recentTurns.flatMap { turn in
            [PromptMessage(.user, turn.question), PromptMessage(.assistant, Self.withoutCitations(turn.answer))]
        }
    }

    /// Tokens the recent turns cost in a prompt.
    public func recentTokens(countTokens: (String) -> Int) -> Int {
        recentTurns.map { cost(of: $0, countTokens: countTokens) }.reduce(0, +)
    }

    /// Tokens summary and recent turns cost in a prompt.
    public func tokens(countTokens: (String) -> Int) -> Int {
        countTokens(summary.text) + recentTokens(countTokens: countTokens)
    }

    public func cost(of turn: ChatTurn, countTokens: (String) -> Int) -> Int {
        countTokens(turn.question) + countTokens(Self.withoutCitations(turn.answer)) + 2 * budget.messageOverheadTokens
    }

    /// How many of the oldest recent turns must be folded into the summary (0 when everything fits).
    /// When something must go, enough goes to bring the rest down to `foldDownToFraction` of the budget,
    /// so that summarizing happens every few turns, not after each one. The newest turn stays verbatim
    /// whenever it fits the budget on its own: the next follow-up most likely refers to it.
    public func turnsToFold(countTokens: (String) -> Int) -> Int {
        let costs = recentTurns.map { cost(of: $0, countTokens: countTokens) }
        let total = costs.reduce(0, +)
        guard total > budget.recentTurnTokens || costs.count > budget.maxRecentTurns else { return 0 }
        let target = Int(Double(budget.recentTurnTokens) * budget.foldDownToFraction)
        let turnTarget = max(1, min(budget.maxRecentTurns, Int((Double(budget.maxRecentTurns) * budget.foldDownToFraction).rounded(.up))))
        // Keep the newest turns while they fit the lower target (the newest one: the full budget); fold the rest.
        var kept = 0, keptTokens = 0
        for cost in costs.reversed() {
            let limit = kept == 0 ? budget.recentTurnTokens : target
            guard keptTokens + cost <= limit, kept < turnTarget else { break }
            kept += 1
            keptTokens += cost
        }
        return costs.count - kept
    }

    public mutating func append(_ turn: ChatTurn) {
        var turn = turn
        turn.number = nextTurnNumber
        recentTurns.append(turn)
        nextTurnNumber += 1
    }

    /// Replaces the oldest `count` recent turns by `newSummary` (already within the summary budget).
    public mutating func fold(count: Int, into newSummary: String) {
        let folded = recentTurns.prefix(count)
        guard let last = folded.last else { return }
        summary = ChatSummary(text: newSummary, coveredTurns: last.number)
        recentTurns.removeFirst(folded.count)
    }

    /// Forgets everything; numbering restarts at 1.
    public mutating func reset() {
        summary = .empty
        recentTurns = []
        nextTurnNumber = 1
    }

    /// `text` without `[1]`, `[2, 3]`, `[source 4]` markers (and the space before them).
    public static func withoutCitations(_ text: String) -> String {
        CitationMarkers.removingAll(from: text)
    }
}
