import Foundation

/// Rewrites a follow-up question ("and how much memory does it use?") into one that stands on its own
/// ("how much memory does the KV cache use?"), so that retrieval finds the right passages.
///
/// The prompt is written for a 135M instruct model: one short instruction, the last exchange or two as
/// plain text, and an answer cue. Output is one line, bounded by `ChatBudget.condensedQuestionTokens`.
/// When the model's line is unusable (empty, a refusal, an answer instead of a question, nothing in
/// common with the conversation) the follow-up is used with the previous question beside it.
public struct QuestionCondenser {
    public let generator: TextGenerator
    public let budget: ChatBudget

    public init(generator: TextGenerator, budget: ChatBudget) {
        self.generator = generator
        self.budget = budget
    }

    public static let instruction = """
        Rewrite the last question so that it can be understood without the conversation. \
        Replace words like "it", "they", "that" and "this" with the thing they mean. \
        Write only the rewritten question, on one line.
        """

    public struct Outcome: Sendable, Equatable {
        /// The question to retrieve and answer with.
        public var question: String
        /// False when the follow-up was used as is (first turn, or the model's rewrite was unusable).
        public var rewritten: Bool
        /// Tokens of the condensing prompt (0 when nothing was generated).
        public var promptTokens: Int
        public var seconds: Double
    }

    /// The condensing prompt for `question` after the turns in `memory`: the summary, the user's earlier
    /// questions (what "the second one I mentioned" refers to), and the last exchanges in full.
    public func messages(question: String, memory: ConversationMemory) -> [PromptMessage] {
        var conversation = ""
        if !memory.summary.text.isEmpty {
            conversation = "Earlier: " + memory.summary.text + "\n"
        }
        let full = memory.recentTurns.suffix(budget.condenserTurns)
        for turn in memory.recentTurns.dropLast(full.count) {
            conversation += "User: \(turn.question)\n"
        }
        for turn in full {
            let answer = truncate(ConversationMemory.withoutCitations(turn.answer), toTokens: budget.condenserAnswerTokens,
                                  countTokens: generator.countTokens)
            conversation += "User: \(turn.question)\nAssistant: \(answer)\n"
        }
        let user = "Conversation:\n\(conversation)\nLast question: \(question)\n\nRewritten question:"
        return [PromptMessage(.system, Self.instruction), PromptMessage(.user, user)]
    }

    /// The standalone question. With no earlier turn nothing is generated.
    public func condense(_ question: String, memory: ConversationMemory) throws -> Outcome {
        guard !memory.isEmpty else { return Outcome(question: question, rewritten: false, promptTokens: 0, seconds: 0) }
        let prompt = messages(question: question, memory: memory)
        var options = GenerationOptions()
        options.maxTokens = budget.condensedQuestionTokens
        options.temperature = 0
        var streamed = ""
        let outcome = try generator.generate(prompt, options: options) { piece in
            streamed += piece
            // One line is all we want: stop as soon as a non-empty line is complete.
            return !streamed.drop(while: \.isWhitespace).contains("\n")
        }
        let seconds = outcome.prefillSeconds + outcome.decodeSeconds
        let context = memory.recentTurns.map { $0.standaloneQuestion + " " + $0.answer }.joined(separator: " ") + " " + memory.summary.text
        let earlier = memory.recentTurns.map(\.standaloneQuestion)
        if let rewritten = Self.clean(outcome.text, original: question, context: context, earlierQuestions: earlier) {
            return Outcome(question: rewritten, rewritten: rewritten != question, promptTokens: outcome.promptTokens, seconds: seconds)
        }
        return Outcome(question: followUp(question, to: memory.recentTurns.last), rewritten: false,
                       promptTokens: outcome.promptTokens, seconds: seconds)
    }

    static let followUpMarker = " (follow-up to: "

    /// Without a usable rewrite, the follow-up keeps the previous question beside it (cut to stay within the
    /// question budget), so that retrieval and the answer still know what "it" is about.
    public func followUp(_ question: String, to previous: ChatTurn?) -> String {
        guard let previous else { return question }
        // After a fallback, keep pointing at the question it followed up (the last one that stood on its own).
        let parts = previous.standaloneQuestion.components(separatedBy: Self.followUpMarker)
        let earlier = parts.count > 1 ? String(parts[parts.count - 1].dropLast()) : parts[0]
        guard !earlier.isEmpty, earlier != question else { return question }
        let room = budget.questionTokens - generator.countTokens(question + Self.followUpMarker + ")")
        guard room >= 4 else { return question }
        return question + Self.followUpMarker + truncate(earlier, toTokens: room, countTokens: generator.countTokens) + ")"
    }

    /// The model's rewrite, or nil when it is not a usable question:
    /// first non-empty line, labels and quotes stripped; it must not be a refusal, must still be a question when
    /// the follow-up is one (not an answer to it), must not merely repeat an earlier question, and must share a
    /// content word with the follow-up or the conversation (a tiny model sometimes drifts to an unrelated topic).
    public static func clean(_ raw: String, original: String, context: String, earlierQuestions: [String] = []) -> String? {
        guard var line = raw.split(whereSeparator: \.isNewline)
            .map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty }) else { return nil }
        for label in ["rewritten question:", "standalone question:", "question:", "last question:", "user:"] {
            if line.lowercased().hasPrefix(label) { line = String(line.dropFirst(label.count)).trimmingCharacters(in: .whitespaces) }
        }
        line = line.trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’` "))
        guard line.count >= 3 else { return nil }
        let lower = line.lowercased()
        let refusals = ["i'm sorry", "i am sorry", "i cannot", "i can't", "as an ai", "sorry,"]
        guard !refusals.contains(where: lower.hasPrefix) else { return nil }
        if original.contains("?"), !line.contains("?") { return nil }
        let normalized = { (text: String) in LexicalQuery.terms(in: text).joined(separator: " ") }
        if normalized(line) != normalized(original), earlierQuestions.map(normalized).contains(normalized(line)) { return nil }
        let words = Set(LexicalQuery.terms(in: line).filter { !LexicalQuery.stopWords.contains($0) })
        let known = Set(LexicalQuery.terms(in: original + " " + context))
        guard !words.isEmpty, !words.isDisjoint(with: known) else { return nil }
        return line
    }
}
