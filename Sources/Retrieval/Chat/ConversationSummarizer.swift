import Foundation

/// Folds old turns into the conversation's memory as facts, not prose: one line per folded turn, the question
/// that was searched and the answer it got — the cited sentence of the documents, word for word — with its source
/// ("How big is the KV cache? It takes 320 KB per token. (kv-cache.md:17-17)"). A 135M model's free-text notes
/// inverted what was said ("reduces the number of key/value heads by 1 and … by 2"); a line copied from the answer
/// cannot. Numbers and names stay verbatim because nothing is rewritten. Lines whose answer the memory already
/// holds are not repeated; when the lines exceed `ChatBudget.summaryTokens` the oldest go first. A refused question
/// is remembered as asked and not answered by the documents.
public struct ConversationSummarizer {
    public let generator: TextGenerator
    public let budget: ChatBudget

    public init(generator: TextGenerator, budget: ChatBudget) {
        self.generator = generator
        self.budget = budget
    }

    public struct Outcome: Sendable, Equatable {
        public var summary: String
        /// Kept for the JSON report: the fact memory never falls back (nothing is generated).
        public var fellBack: Bool
        public var promptTokens: Int
        public var seconds: Double
    }

    /// The memory after folding `turns` into `previous` (both as fact lines).
    public func summarize(previous: String, folding turns: [ChatTurn]) -> Outcome {
        let start = DispatchTime.now()
        var facts = previous.split(separator: "\n").map { String($0) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        var answers = Set(facts.map(Self.answerKey))
        for turn in turns {
            let fact = Self.fact(of: turn)
            if answers.insert(Self.answerKey(fact)).inserted { facts.append(fact) }
        }
        // Newest facts first within the budget; a single fact longer than the budget is cut.
        var kept: [String] = []
        var room = budget.summaryTokens
        for fact in facts.reversed() {
            let cost = generator.countTokens(fact + "\n")
            if cost <= room {
                kept.insert(fact, at: 0)
                room -= cost
            } else if kept.isEmpty {
                kept = [truncate(fact, toTokens: budget.summaryTokens, countTokens: generator.countTokens)]
                break
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return Outcome(summary: kept.joined(separator: "\n"), fellBack: false, promptTokens: 0, seconds: seconds)
    }

    /// One line: the searched question, the answer's sentences that carry numbers and names (`carrying`), its first
    /// cited source.
    static func fact(of turn: ChatTurn) -> String {
        // A follow-up searched with its context appended keeps only its own words here.
        let searched = turn.standaloneQuestion.components(separatedBy: " (follow-up to:").first ?? turn.standaloneQuestion
        let question = sentence(searched)
        let answer = ConversationMemory.withoutCitations(turn.answer).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if answer.isEmpty || answer.hasPrefix(GroundedPrompt.noAnswer) {
            return question + " The documents don't say."
        }
        return question + " " + carrying(answer) + source(of: turn)
    }

    /// The source a fact cites: its first cited source's path and lines.
    static func source(of turn: ChatTurn) -> String {
        let cited = turn.cited.first.flatMap { number in turn.sources.first { $0.number == number } }
        return cited.map { " (\($0.path):\($0.startLine)-\($0.endLine))" } ?? ""
    }

    /// The sentences of an answer that carry what a memory must keep — a number or a name (a capitalized word
    /// inside a sentence, an identifier with a digit) — word for word; the first sentence when none does.
    static func carrying(_ answer: String) -> String {
        let all = sentences(of: answer)
        let kept = all.filter { sentence in
            let words = sentence.split(whereSeparator: \.isWhitespace)
            return words.contains { $0.contains(where: \.isNumber) }
                || words.dropFirst().contains { $0.first?.isUppercase == true && $0.count > 1 }
        }
        return (kept.isEmpty ? Array(all.prefix(1)) : kept).joined(separator: " ")
    }

    /// What makes two facts the same: the answer part, lowercased (a repeated answer is remembered once).
    static func answerKey(_ fact: String) -> String {
        let withoutSource = fact.replacingOccurrences(of: #"\s\([^()]*:\d+-\d+\)$"#, with: "", options: .regularExpression)
        let afterQuestion = withoutSource.range(of: "? ").map { String(withoutSource[$0.upperBound...]) } ?? withoutSource
        return afterQuestion.lowercased()
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
