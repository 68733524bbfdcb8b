import Foundation

/// Token budgets of one chat turn, in generator tokens. The parts add up to a bound on every prompt
/// the chat sends (answer, condensing, summarizing), far below SmolLM2's 8192-token context so that
/// prefill stays fast on a CPU:
///
///     answer prompt  ≤ instructions + summary + recent turns + sources + question
///                    ≤ ~150 + memoryTokens (1200) + sourcesTokens (1500) + questionTokens (256) ≈ 3100
public struct ChatBudget: Sendable, Equatable {
    /// Sources block of the answer prompt (retrieved chunks, or whole documents / section summaries).
    public var sourcesTokens = 1500
    /// Running summary plus the recent turns kept verbatim.
    public var memoryTokens = 1200
    /// Longest running summary (the fact lines of folded turns); the rest of `memoryTokens` is for recent turns.
    /// `summaryShare` of `memoryTokens` (`rag chat --memory N` re-derives it). Measured on a scripted 20-turn
    /// conversation (benchmarks/chat.md): with 200 of 800 tokens the memory kept 37 % of the numbers and names the
    /// answers stated; with 900 of 1200, 78 %.
    public var summaryTokens: Int
    public static let summaryShare = 0.75
    /// The newest part of the summary the condenser sees ("Earlier: …"): follow-ups point at the last few facts,
    /// and every token here is prefilled before each follow-up.
    public var condenserSummaryTokens = 160
    /// At most this many recent turns are kept verbatim, however short (a 135M model loses track of long histories).
    public var maxRecentTurns = 6
    /// When the recent turns overflow, the oldest are folded until the rest fill at most this share of their budget,
    /// so that the summarizer runs every few turns rather than after every turn.
    public var foldDownToFraction = 0.5
    /// Longest question kept (a longer pasted question is cut, with a notice).
    public var questionTokens = 256
    /// Longest answer.
    public var answerTokens = 256
    /// Longest condensed question (the condenser stops there).
    public var condensedQuestionTokens = 64
    /// Recent turns the condenser sees (follow-ups refer to the last exchange or two).
    public var condenserTurns = 2
    /// An answer quoted to the condenser is cut to this many tokens.
    public var condenserAnswerTokens = 120
    /// Transcript handed to the summarizer in one call (older turns are cut first).
    public var summarizerInputTokens = 1200
    /// Template tokens a message costs beyond its text (`<|im_start|>role\n … <|im_end|>\n`).
    public var messageOverheadTokens = 6

    /// Allowance for the fixed text around the variable parts of a prompt (instructions, worked examples, labels).
    public var instructionTokens = 300

    public init() {
        summaryTokens = Self.summaryTokens(of: memoryTokens)
    }

    /// The fact memory's part of a memory budget.
    public static func summaryTokens(of memoryTokens: Int) -> Int { Int(Double(memoryTokens) * summaryShare) }

    /// The longest prompt plus answer the chat can produce.
    public var worstCaseTokens: Int { promptBound(instructionTokens: instructionTokens) + answerTokens }

    /// Tokens left for recent turns.
    public var recentTurnTokens: Int { max(0, memoryTokens - summaryTokens) }

    /// A bound on any prompt the chat sends, given the length of the fixed instructions around it.
    public func promptBound(instructionTokens: Int) -> Int {
        instructionTokens + memoryTokens + sourcesTokens + questionTokens + 4 * messageOverheadTokens
    }
}

public enum ChatError: Error, Equatable, CustomStringConvertible {
    /// The budgets add up to more than the model's context window.
    case budgetExceedsContext(needed: Int, context: Int)

    public var description: String {
        switch self {
        case .budgetExceedsContext(let needed, let context):
            return "the chat budgets need up to \(needed) tokens (prompt and answer) but the model's context is \(context): lower --budget, --memory or --max-tokens"
        }
    }
}
