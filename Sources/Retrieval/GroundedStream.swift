import Foundation

/// Knobs of the support check; defaults chosen by measurement (benchmarks/retrieval.md, "Answers").
public struct GroundingSettings: Sendable {
    /// Append `[n]` after each sentence that a source supports (the model's own valid markers stay).
    public var citeSentences = true
    /// Show only what the sources support: sentences that add nothing to the question wait for a supported one,
    /// the answer ends at the first sentence no source supports (or that states a number no source holds), and
    /// an answer with no supported sentence is replaced by an extractive one (`ExtractiveAnswer`).
    public var checkSupport = true
    /// Share of a sentence's terms its source must hold (`SupportScorer`).
    public var supportThreshold = SupportScorer.defaultThreshold
    /// Evidence sentences quoted by the extractive answer.
    public var extractiveSentences = 1
    /// The extractive answer is "The documents don't say." when the sentence it would quote (with its source's
    /// heading) holds less than this share of the question's words: neither the model nor the evidence answers.
    public var minimumQuoteCoverage = 0.0
    /// Say "The documents don't say this directly." before a quote that does not state what the question asks
    /// for (`AskedQuantity`: the counted noun of "how many …", a year for "which year").
    public var admitUnansweredQuote = true

    public init() {}
}

/// The generator's stream turned into the shown answer, a sentence at a time: invalid `[n]` markers are dropped,
/// each sentence a source supports gets its `[n]`, and (with `checkSupport`) the answer stops where it leaves the
/// sources.
public struct GroundedStream {
    public let scorer: SupportScorer
    public let sourceCount: Int
    public let settings: GroundingSettings
    private var splitter = SentenceSplitter()
    /// Sentences that add nothing to the question, waiting for a supported sentence to follow them.
    private var held = ""
    /// The text shown so far.
    public private(set) var shown = ""
    /// Sentences shown that a source supports and that say more than the question.
    public private(set) var groundedSentences = 0
    /// The sentence at which the answer left the sources (nil while it has not).
    public private(set) var driftedAt: String?
    /// What the model wrote that is not shown.
    public private(set) var withheld = ""

    /// The question asks for a number ("how many", "how much", "which year"): an answer without one answers nothing.
    public let expectsNumber: Bool

    /// Answers earlier in the conversation: a sentence repeating one of them is not shown (with `checkSupport`).
    public let earlierAnswers: EarlierAnswers

    public init(scorer: SupportScorer, sourceCount: Int, expectsNumber: Bool = false,
                settings: GroundingSettings = GroundingSettings(), earlierAnswers: EarlierAnswers = EarlierAnswers([])) {
        self.scorer = scorer
        self.earlierAnswers = earlierAnswers
        self.expectsNumber = expectsNumber
        self.sourceCount = sourceCount
        self.settings = settings
    }

    /// True once the answer left the sources: generating more is pointless.
    public var drifted: Bool { driftedAt != nil }

    /// True when nothing supported was shown and the answer should be replaced by an extractive one.
    public var needsFallback: Bool { settings.checkSupport && groundedSentences == 0 }

    /// Text to show now.
    public mutating func feed(_ piece: String) -> String {
        splitter.feed(piece).map { process($0) }.joined()
    }

    /// Text to show at the end of the stream.
    public mutating func finish() -> String {
        let last = splitter.finish().map { process($0) } ?? ""
        withheld += held
        held = ""
        return last
    }

    private mutating func process(_ sentence: String) -> String {
        if drifted {
            withheld += sentence
            return ""
        }
        let cleaned = CitationMarkers.keepingValid(in: sentence, sourceCount: sourceCount)
        let support = scorer.support(of: Self.withoutListMarker(cleaned))
        if settings.checkSupport, Self.startsNewTurn(cleaned) {
            driftedAt = sentence.trimmingCharacters(in: .whitespacesAndNewlines)
            withheld += held + sentence
            held = ""
            return ""
        }
        let modelCited = !Citations.numbers(in: cleaned, sourceCount: sourceCount).isEmpty
        var marked = cleaned
        if settings.citeSentences, !modelCited, support.grounded {
            marked = CitationMarkers.appending(support.sources, to: cleaned)
        }
        guard settings.checkSupport else {
            if support.grounded && support.informative { groundedSentences += 1 }
            return show(marked)
        }
        // A sentence copied from an earlier answer of the conversation answers nothing new: it is dropped.
        if earlierAnswers.repeats(cleaned) {
            withheld += sentence
            return ""
        }
        // A sentence that adds nothing to the question, or gives no number when the question asks for one,
        // waits for a sentence that answers.
        if support.isEmpty || !support.informative || (expectsNumber && !support.statesNumber) {
            held += marked
            return ""
        }
        if support.grounded || (modelCited && support.strayNumbers.isEmpty) {
            groundedSentences += 1
            let text = held + marked
            held = ""
            return show(text)
        }
        driftedAt = sentence.trimmingCharacters(in: .whitespacesAndNewlines)
        withheld += held + sentence
        held = ""
        return ""
    }

    private mutating func show(_ text: String) -> String {
        // The first shown text starts without the whitespace that preceded it in the stream.
        let out = shown.isEmpty ? String(text.drop(while: \.isWhitespace)) : text
        shown += out
        return out
    }

    /// The model writing the next turn of the prompt's layout ("Question: …") instead of answering.
    static func startsNewTurn(_ sentence: String) -> Bool {
        sentence.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().hasPrefix("question:")
    }

    /// "1. Foo" → "Foo", "- Foo" → "Foo".
    static func withoutListMarker(_ sentence: String) -> String {
        let trimmed = sentence.trimmingCharacters(in: .whitespacesAndNewlines)
        if let first = trimmed.first, "-*•".contains(first) {
            return String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)
        }
        let digits = trimmed.prefix(while: \.isNumber)
        if !digits.isEmpty, trimmed.dropFirst(digits.count).hasPrefix(". ") { return String(trimmed.dropFirst(digits.count + 2)) }
        return trimmed
    }
}

/// What kind of answer a question asks for.
public enum QuestionKind {
    /// "How many …", "how much …", "how long/large/big …", "which/what year …", "when …": the answer is a number.
    public static func expectsNumber(_ question: String) -> Bool {
        let words = question.lowercased().split { !$0.isLetter }.map(String.init)
        for (index, word) in words.enumerated() {
            let next = index + 1 < words.count ? words[index + 1] : ""
            if word == "how", ["many", "much", "long", "large", "big", "old", "fast", "far"].contains(next) { return true }
            if ["which", "what"].contains(word), ["year", "size", "percentage", "factor"].contains(next) { return true }
            if word == "when", index == 0 { return true }
        }
        return false
    }

    /// "Which year …", "what date …", "when …": a year in the evidence can be the answer. Otherwise a year is only a
    /// citation or a date of something else (`AnsweringNumbers`).
    public static func asksForDate(_ question: String) -> Bool {
        let words = question.lowercased().split { !$0.isLetter }.map(String.init)
        if words.first == "when" { return true }
        return zip(words, words.dropFirst()).contains { ["which", "what"].contains($0) && ["year", "date"].contains($1) }
    }
}

/// The answer made of evidence when the model's answer is not supported: the best-ranked evidence sentences,
/// quoted, each with its source: `According to [2], "The window is 4,096 tokens."`
public enum ExtractiveAnswer {
    /// The sentences to quote, best first. `expectsNumber`: prefer sentences that state a number the question does
    /// not, a year counting only for a date question (`AnsweringNumbers`). For a question asking several things
    /// (`AskedParts`), prefer the sentences that give most of them.
    public static func choose(from ranked: [RankedSentence], question: String = "", expectsNumber: Bool = false,
                              sentences: Int = 1) -> [RankedSentence] {
        // A question in the notes ("How much memory does it save?") answers nothing.
        var candidates = ranked.filter { !$0.text.trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”*_. ")).hasSuffix("?") }
        if expectsNumber {
            let answering = AnsweringNumbers(question: question)
            let withNumbers = candidates.filter { !answering.numbers(in: $0.text).isEmpty }
            if !withNumbers.isEmpty { candidates = withNumbers }
        }
        // "In which year …, and who …?": the sentence giving most of what is asked first, rank order within a tie.
        let asked = AskedParts(question: question)
        if asked.isMultiPart {
            candidates = candidates.map { (sentence: $0, given: asked.answered(by: $0.text)) }.enumerated()
                .sorted { ($0.element.given, -$0.offset) > ($1.element.given, -$1.offset) }.map(\.element.sentence)
            return completing(asked, from: candidates, sentences: sentences)
        }
        return Array(candidates.prefix(max(1, sentences)))
    }

    /// The first candidate, then (while some asked part is still missing) the best-ranked candidate that gives one
    /// more part (`AskedParts.completed`): "How many bytes does a Q4_1 block occupy, and how many weights does it
    /// hold?" quotes the sentence with "20 bytes per block" and the one saying blocks hold 32 weights, which no
    /// single sentence of the notes states together. Then up to `sentences` in all, in candidate order.
    static func completing(_ asked: AskedParts, from candidates: [RankedSentence], sentences: Int) -> [RankedSentence] {
        guard let first = candidates.first else { return [] }
        var chosen = asked.completed([first], from: candidates, extra: asked.parts.count - 1)
        for candidate in candidates where chosen.count < sentences && !chosen.contains(where: { $0.text == candidate.text }) {
            chosen.append(candidate)
        }
        return chosen
    }

    /// `According to [2], "…"`; when `answers` is false (the quote does not state what the question asks for,
    /// `AskedQuantity`) the quote is introduced as the closest passage, after saying the documents don't answer.
    public static func text(quoting chosen: [RankedSentence], answers: Bool = true) -> String? {
        guard !chosen.isEmpty else { return nil }
        let quotes = chosen.map { sentence in
            (CitationMarkers.format([sentence.source]), GroundedStream.withoutListMarker(sentence.text))
        }
        if !answers {
            let closest = quotes.map { "\($0.0): \"\($0.1)\"" }.joined(separator: " ")
            return notDirectly + " The closest passage, " + closest
        }
        // Quotes from one source in a row share one "According to [n]": `According to [1], "…" and "…"`.
        var parts: [String] = []
        for (index, quote) in quotes.enumerated() {
            if index > 0, quotes[index - 1].0 == quote.0 {
                parts[parts.count - 1] += " and \"\(quote.1)\""
            } else {
                parts.append("According to \(quote.0), \"\(quote.1)\"")
            }
        }
        return parts.joined(separator: " ")
    }

    /// The opening of a quote that does not answer: a refusal, with the closest evidence after it.
    public static let notDirectly = "The documents don't say this directly."
}
