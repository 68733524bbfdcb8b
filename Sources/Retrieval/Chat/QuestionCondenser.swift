import Foundation

/// Rewrites a follow-up question ("and how much memory does it use?") into one that stands on its own
/// ("how much memory does the KV cache use?"), so that retrieval finds the right passages.
///
/// The prompt is written for a 135M instruct model, which tends to *answer* a question rather than rewrite it:
/// one short instruction, two worked examples as earlier chat turns (few-shot helps such a model far more than
/// wording), then the conversation as plain text and the follow-up. Output is one line, bounded by
/// `ChatBudget.condensedQuestionTokens`. The line is only used when it passes `clean` — it must still be the
/// user's question, with most of its words and all of its numbers; otherwise the follow-up is used, with the
/// question it follows beside it when it refers back to something ("it", "that", "the second one").
public struct QuestionCondenser {
    public let generator: TextGenerator
    public let budget: ChatBudget

    public init(generator: TextGenerator, budget: ChatBudget) {
        self.generator = generator
        self.budget = budget
    }

    public static let instruction = """
        You rewrite a follow-up question so that it makes sense on its own. Keep the question's meaning and words, \
        and replace words like it, that, they and those with what they refer to. Reply with one question only.
        """

    /// Worked examples shown as earlier turns: (conversation, follow-up, rewrite). Topics unrelated to any corpus.
    public static let examples: [(conversation: String, followUp: String, rewrite: String)] = [
        ("User: What is Python?\nAssistant: Python is a programming language created by Guido van Rossum.",
         "Who maintains it today?", "Who maintains Python today?"),
        ("User: How do solar panels work?\nAssistant: They turn sunlight into electricity with photovoltaic cells.",
         "How efficient are they?", "How efficient are solar panels?"),
    ]

    public struct Outcome: Sendable, Equatable {
        /// The question to retrieve and answer with.
        public var question: String
        /// True when the model's rewrite is used.
        public var rewritten: Bool
        /// Tokens of the condensing prompt (0 when nothing was generated).
        public var promptTokens: Int
        public var seconds: Double
        /// What the model wrote (empty when nothing was generated), for `--verbose` and evaluation.
        public var modelOutput: String = ""
        /// The phrasings retrieval fuses (empty: search with `question` alone).
        public var searchQueries: [WeightedQuery] = []
        /// When the follow-up picked an item out of a list the user gave ("explain the first one"): that item and
        /// the rest of the list, which keep the answer's evidence on the item (`ReferentFocus`).
        public var focus: ReferentFocus?
    }

    /// The condensing prompt for `question` after the turns in `memory`: the summary, the user's earlier
    /// questions (what "the second one I mentioned" refers to), and the last exchanges in full.
    public func messages(question: String, memory: ConversationMemory) -> [PromptMessage] {
        var conversation = ""
        if !memory.summary.text.isEmpty {
            let newest = ConversationSummarizer.keepEnd(of: memory.summary.text, tokens: budget.condenserSummaryTokens,
                                                        countTokens: generator.countTokens)
            conversation = "Earlier: " + newest + "\n"
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
        var messages = [PromptMessage(.system, Self.instruction)]
        for example in Self.examples {
            messages.append(PromptMessage(.user, "Conversation:\n\(example.conversation)\n\nFollow-up: \(example.followUp)"))
            messages.append(PromptMessage(.assistant, example.rewrite))
        }
        messages.append(PromptMessage(.user, "Conversation:\n\(conversation)\nFollow-up: \(question)"))
        return messages
    }

    /// The standalone question. With no earlier turn nothing is generated. `previous` is the last turn of the
    /// conversation (the fallback's anchor; it may already be folded into the summary); `earlierQuestions` are the
    /// user's earlier messages as typed, oldest first (where "the second technique I mentioned" is looked up).
    public func condense(_ question: String, memory: ConversationMemory, previous: ChatTurn? = nil,
                         earlierQuestions: [String] = []) throws -> Outcome {
        let resolution = OrdinalReference.resolve(question, earlierUserMessages: earlierQuestions)
        let resolved = resolution?.question ?? question
        let focus = resolution?.focus
        guard !memory.isEmpty else {
            return Outcome(question: resolved, rewritten: false, promptTokens: 0, seconds: 0, focus: focus)
        }
        let prompt = messages(question: question, memory: memory)
        var options = GenerationOptions()
        options.maxTokens = budget.condensedQuestionTokens
        options.temperature = 0
        var streamed = ""
        let outcome = try generator.generate(prompt, options: options) { piece in
            streamed += piece
            // One question is all we want: stop at its question mark or at the end of the first non-empty line.
            let text = streamed.drop(while: \.isWhitespace)
            return !text.contains("\n") && !text.contains("?")
        }
        let seconds = outcome.prefillSeconds + outcome.decodeSeconds
        let context = memory.recentTurns.map { $0.question + " " + $0.answer }.joined(separator: " ") + " " + memory.summary.text
        let earlier = memory.recentTurns.map(\.standaloneQuestion)
        if let rewritten = Self.clean(outcome.text, original: question, context: context, earlierQuestions: earlier) {
            return Outcome(question: rewritten, rewritten: true, promptTokens: outcome.promptTokens, seconds: seconds,
                           modelOutput: outcome.text, focus: focus)
        }
        let anchor = previous ?? memory.recentTurns.last
        return Outcome(question: fallback(resolved, previous: anchor), rewritten: false,
                       promptTokens: outcome.promptTokens, seconds: seconds, modelOutput: outcome.text,
                       searchQueries: searchQueries(resolved, previous: anchor), focus: focus)
    }

    /// The question used when the model's rewrite is unusable: the follow-up as typed when it stands on its own,
    /// else the follow-up with the question it follows beside it.
    public func fallback(_ question: String, previous: ChatTurn?) -> String {
        Self.refersBack(question) ? followUp(question, to: previous) : question
    }

    /// The weight of the follow-up alone among the fused phrasings: it points back, so it is known to be
    /// incomplete, and its similarities count a little less than those of the phrasings that carry the context.
    public static let bareFollowUpWeight = 0.9

    /// What retrieval fuses for a follow-up that points back: the follow-up alone, with the previous question, and
    /// with the title of the note the previous answer cited (`QueryFusion`: each passage ranks by its best
    /// similarity, so a follow-up that changed the subject keeps its own passages while "which other models use
    /// it?" gets the earlier subject's). Empty for a question that stands on its own.
    public func searchQueries(_ question: String, previous: ChatTurn?) -> [WeightedQuery] {
        guard Self.refersBack(question), let previous else { return [] }
        var queries = [WeightedQuery(question, weight: Self.bareFollowUpWeight)]
        let earlier = previous.standaloneQuestion.components(separatedBy: Self.followUpMarker)[0]
        if !earlier.isEmpty, earlier != question { queries.append(WeightedQuery(question + " " + earlier)) }
        if let topic = Self.topic(of: previous) { queries.append(WeightedQuery(question + " " + topic)) }
        return queries.count > 1 ? queries : []
    }

    static let followUpMarker = " (follow-up to: "

    /// The follow-up with the previous question beside it (cut to stay within the question budget), so that
    /// retrieval and the answer still know what "it" is about. The previous question is its rewrite when it had
    /// one, else what the user typed: the most recent topic, and never a nest of earlier fallbacks. The title of
    /// the note the previous answer cited goes with it (`topic(of:)`): when that question itself only pointed
    /// back ("how much does that save?"), the cited note still names the subject.
    public func followUp(_ question: String, to previous: ChatTurn?) -> String {
        guard let previous else { return question }
        var earlier = previous.standaloneQuestion.components(separatedBy: Self.followUpMarker)[0]
        guard !earlier.isEmpty, earlier != question else { return question }
        if let topic = Self.topic(of: previous), !earlier.lowercased().contains(topic.lowercased()) {
            earlier += Self.topicMarker + topic
        }
        let room = budget.questionTokens - generator.countTokens(question + Self.followUpMarker + ")")
        guard room >= 4 else { return question }
        return question + Self.followUpMarker + truncate(earlier, toTokens: room, countTokens: generator.countTokens) + ")"
    }

    static let topicMarker = " — about: "

    /// The title (first heading level) of the first source the turn's answer cites, if it cites one.
    public static func topic(of turn: ChatTurn) -> String? {
        guard let number = turn.cited.first, let source = turn.sources.first(where: { $0.number == number }) else { return nil }
        let title = source.heading.components(separatedBy: " > ")[0].trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? nil : title
    }

    /// Words that point back into the conversation.
    static let referenceWords: Set<String> = [
        "it", "its", "they", "them", "their", "theirs", "that", "this", "these", "those", "he", "him", "his", "she",
        "her", "one", "ones", "other", "others", "same", "former", "latter", "above", "previous", "earlier",
        "mentioned", "first", "second", "third", "last", "there", "then", "also", "else", "more", "again",
    ]

    /// True when the question points back into the conversation or is too short to stand alone. An ordinal
    /// ("first", "last") points back only as a list reference ("the first one", `OrdinalReference`): "the very
    /// first tokens" does not.
    public static func refersBack(_ question: String) -> Bool {
        let words = question.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        let content = LexicalQuery.terms(in: question).filter { !LexicalQuery.stopWords.contains($0) }
        let pointing = words.contains { referenceWords.contains($0) && OrdinalReference.ordinals[$0] == nil }
        return pointing || OrdinalReference.findReference(in: question) != nil || content.count < 3
    }

    /// The model's rewrite, or nil when it is not a usable rewrite of the follow-up:
    /// first non-empty line, labels and quotes stripped; it must not be a refusal, must still be a question when
    /// the follow-up is one (not an answer to it), must differ from the follow-up and from earlier questions,
    /// must keep every number-bearing word and at least three quarters of the follow-up's content words (a small
    /// model often shortens a question into another one), and every word it adds must come from the conversation
    /// (compared as `Terms`, so "caches" matches "cache"): a rewrite may resolve "it", never bring in a new subject
    /// or a number nobody said.
    public static func clean(_ raw: String, original: String, context: String, earlierQuestions: [String] = []) -> String? {
        guard var line = raw.split(whereSeparator: \.isNewline)
            .map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty }) else { return nil }
        for label in ["rewritten question:", "standalone question:", "follow-up:", "question:", "user:"] {
            if line.lowercased().hasPrefix(label) { line = String(line.dropFirst(label.count)).trimmingCharacters(in: .whitespaces) }
        }
        line = line.trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’` "))
        guard line.count >= 3 else { return nil }
        let lower = line.lowercased()
        let refusals = ["i'm sorry", "i am sorry", "i cannot", "i can't", "as an ai", "sorry,"]
        guard !refusals.contains(where: lower.hasPrefix) else { return nil }
        if original.contains("?"), !line.contains("?") { return nil }

        let content = { (text: String) in Set(LexicalQuery.terms(in: text).filter { !LexicalQuery.stopWords.contains($0) }) }
        let rewriteWords = content(line), originalWords = content(original)
        guard !rewriteWords.isEmpty, rewriteWords != originalWords else { return nil }
        if earlierQuestions.map(content).contains(rewriteWords) { return nil }
        let numbers = originalWords.filter { $0.contains(where: \.isNumber) }
        guard numbers.isSubset(of: rewriteWords) else { return nil }
        let kept = originalWords.intersection(rewriteWords).count
        guard kept * 4 >= originalWords.count * 3 else { return nil }
        let added = Set(Terms.of(line)).subtracting(Terms.of(original))
        guard added.isSubset(of: Set(Terms.of(context))) else { return nil }
        return line
    }
}
