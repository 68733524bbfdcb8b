import Foundation

/// Folds old turns into the running summary (progressive summarization): the previous summary and the
/// turns leaving the verbatim window go in, a new summary of at most `ChatBudget.summaryTokens` comes out.
///
/// The summary has two parts. The model's notes (short, facts only, capped through max tokens at 60% of the
/// summary budget) carry the topics. Then, because a 135M model reliably drops or garbles numbers (measured:
/// "320 KB per token" and "4 bits" vanished from its notes), every sentence of the folded answers and of the
/// previous summary that holds a number the notes lack is kept word for word, newest first, in the rest of the
/// budget. When the model returns nothing usable, the notes are extractive (the questions asked), so memory is
/// never lost to one bad generation.
public struct ConversationSummarizer {
    public let generator: TextGenerator
    public let budget: ChatBudget

    public init(generator: TextGenerator, budget: ChatBudget) {
        self.generator = generator
        self.budget = budget
    }

    public static let instruction = """
        You write short notes about a conversation: what the user asked about and the key facts of the answers. \
        Write two or three short sentences. Keep names and numbers exactly.
        """

    /// One worked example, shown as an earlier turn (a 135M model follows an example better than a description).
    public static let example = (
        previous: "",
        transcript: """
            User: What is Python?
            Assistant: Python is a programming language created by Guido van Rossum in 1991.
            User: Who maintains it today?
            Assistant: The Python Software Foundation maintains it.
            """,
        notes: "The user asked about Python, a programming language created by Guido van Rossum in 1991. "
            + "It is maintained by the Python Software Foundation.")

    public struct Outcome: Sendable, Equatable {
        public var summary: String
        /// True when the model's summary was unusable and the extractive fallback was used.
        public var fellBack: Bool
        public var promptTokens: Int
        public var seconds: Double
    }

    /// The summarizing prompt. The transcript is bounded by `summarizerInputTokens` (oldest text cut first).
    public func messages(previous: String, folding turns: [ChatTurn]) -> [PromptMessage] {
        let transcript = turns.map { turn in
            "User: \(turn.standaloneQuestion)\nAssistant: \(ConversationMemory.withoutCitations(turn.answer))"
        }.joined(separator: "\n")
        let bounded = Self.keepEnd(of: transcript, tokens: budget.summarizerInputTokens, countTokens: generator.countTokens)
        return [
            PromptMessage(.system, Self.instruction),
            PromptMessage(.user, Self.request(previous: Self.example.previous, transcript: Self.example.transcript)),
            PromptMessage(.assistant, Self.example.notes),
            PromptMessage(.user, Self.request(previous: previous, transcript: bounded)),
        ]
    }

    static func request(previous: String, transcript: String) -> String {
        "Notes so far: \(previous.isEmpty ? "(none yet)" : previous)\n\nNew exchanges:\n\(transcript)\n\nUpdated notes:"
    }

    /// Tokens of the model's notes; the rest of the summary budget keeps number-bearing facts.
    public var notesTokens: Int { max(1, budget.summaryTokens * 3 / 5) }

    public func summarize(previous: String, folding turns: [ChatTurn]) throws -> Outcome {
        var options = GenerationOptions()
        options.maxTokens = notesTokens
        options.temperature = 0
        options.repetitionPenalty = 1.1
        let outcome = try generator.generate(messages(previous: previous, folding: turns), options: options) { _ in true }
        let seconds = outcome.prefillSeconds + outcome.decodeSeconds
        if let notes = clean(outcome.text) {
            return Outcome(summary: withFacts(notes: notes, previous: previous, folding: turns), fellBack: false,
                           promptTokens: outcome.promptTokens, seconds: seconds)
        }
        return Outcome(summary: extractive(previous: previous, folding: turns), fellBack: true,
                       promptTokens: outcome.promptTokens, seconds: seconds)
    }

    /// `notes` followed by the sentences of `previous` and of the folded answers that hold a number the notes
    /// do not mention, newest kept first, all within `summaryTokens`.
    public func withFacts(notes: String, previous: String, folding turns: [ChatTurn]) -> String {
        let mentioned = Set(Self.numberWords(in: notes))
        var candidates = Self.sentences(of: previous)
        for turn in turns { candidates += Self.sentences(of: ConversationMemory.withoutCitations(turn.answer)) }
        var seen = Set<String>()
        let facts = candidates.filter { sentence in
            let numbers = Self.numberWords(in: sentence)
            return !numbers.isEmpty && !Set(numbers).isSubset(of: mentioned) && seen.insert(sentence.lowercased()).inserted
        }
        var room = budget.summaryTokens - generator.countTokens(notes)
        var kept: [String] = []
        for fact in facts.reversed() {
            let cost = generator.countTokens(" " + fact)
            guard cost <= room else { continue }
            kept.insert(fact, at: 0)
            room -= cost
        }
        return ([notes] + kept).joined(separator: " ")
    }

    /// Words holding a digit ("70B", "320", "Q4_1", "2.5"), lowercased.
    static func numberWords(in text: String) -> [String] {
        text.lowercased().split { $0.isWhitespace || ",;:()[]\"'".contains($0) }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".!?")) }
            .filter { $0.contains(where: \.isNumber) }
    }

    /// The model's notes: the first paragraph (what follows a blank line is the model rambling on), label
    /// stripped, repeated sentences dropped, whitespace collapsed, cut to the notes budget at a sentence end
    /// where possible. Nil when nothing is left.
    public func clean(_ raw: String) -> String? {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if let blank = text.range(of: "\n\n") { text = String(text[..<blank.lowerBound]) }
        for label in ["updated notes:", "notes:", "summary:"] where text.lowercased().hasPrefix(label) {
            text = String(text.dropFirst(label.count))
        }
        var seen = Set<String>()
        let sentences = Self.sentences(of: text).filter { seen.insert($0.lowercased()).inserted }
        text = sentences.joined(separator: " ")
        guard text.count >= 8 else { return nil }
        return bounded(text, tokens: notesTokens)
    }

    /// Without a usable model summary: the earlier notes and the questions asked (newest kept), then the facts
    /// with numbers.
    public func extractive(previous: String, folding turns: [ChatTurn]) -> String {
        let earlierNotes = Self.sentences(of: previous).filter { Self.numberWords(in: $0).isEmpty }
        let asked = turns.map { "The user asked: " + Self.sentence($0.standaloneQuestion) }
        let notes = Self.keepEnd(of: (earlierNotes + asked).joined(separator: " "), tokens: notesTokens,
                                 countTokens: generator.countTokens)
        return withFacts(notes: notes, previous: previous, folding: turns)
    }

    /// `text` within `tokens` (default: the summary budget): whole sentences from the start, or a plain cut if
    /// the first sentence is too long.
    public func bounded(_ text: String, tokens: Int? = nil) -> String {
        let limit = tokens ?? budget.summaryTokens
        guard generator.countTokens(text) > limit else { return text }
        var kept: [String] = []
        for sentence in Self.sentences(of: text) {
            let candidate = (kept + [sentence]).joined(separator: " ")
            guard generator.countTokens(candidate) <= limit else { break }
            kept.append(sentence)
        }
        if !kept.isEmpty { return kept.joined(separator: " ") }
        return truncate(text, toTokens: limit, countTokens: generator.countTokens)
    }

    /// Sentences of `text` (split after . ! ? followed by whitespace), whitespace collapsed.
    static func sentences(of text: String) -> [String] {
        let words = text.split(whereSeparator: \.isWhitespace)
        var sentences: [String] = []
        var current: [Substring] = []
        for word in words {
            current.append(word)
            if let last = word.last, ".!?".contains(last) {
                sentences.append(current.joined(separator: " "))
                current = []
            }
        }
        if !current.isEmpty { sentences.append(current.joined(separator: " ")) }
        return sentences
    }

    static func sentence(_ text: String) -> String {
        let trimmed = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard let last = trimmed.last else { return trimmed }
        return ".!?".contains(last) ? trimmed : trimmed + "."
    }

    /// The end of `text` within `tokens` (the newest part of a transcript matters most), cut at a word.
    static func keepEnd(of text: String, tokens: Int, countTokens: (String) -> Int) -> String {
        guard countTokens(text) > tokens else { return text }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        let marked = { (start: Int) in "… " + words[start...].joined(separator: " ") }
        var low = 1, high = words.count   // smallest start index whose marked suffix fits
        while low < high {
            let mid = (low + high) / 2
            if countTokens(marked(mid)) <= tokens { high = mid } else { low = mid + 1 }
        }
        if low < words.count, countTokens(marked(low)) <= tokens { return marked(low) }
        // One word longer than the budget: keep its end.
        let scalars = Array(text.unicodeScalars)
        var start = scalars.count
        while start > 0, countTokens(String(String.UnicodeScalarView(scalars[(start - 1)...]))) <= tokens { start -= 1 }
        return String(String.UnicodeScalarView(scalars[start...]))
    }
}
