import Foundation

/// One sentence of a summary and where in the document it comes from.
public struct SummarySentence: Sendable, Equatable {
    /// Verbatim from the document (a Markdown table row: its cells after their column names).
    public var text: String
    public var path: String
    /// 1-based inclusive document lines (the sentence's own line when known, else its chunk's lines).
    public var startLine: Int
    public var endLine: Int
    public var heading: String

    public init(text: String, path: String, startLine: Int, endLine: Int, heading: String) {
        self.text = text
        self.path = path
        self.startLine = startLine
        self.endLine = endLine
        self.heading = heading
    }
}

/// An extractive summary: sentences of the document, in document order, each with its lines.
public struct DocumentSummary: Sendable, Equatable {
    public var sentences: [SummarySentence]
    /// Words in all sentences (whitespace-separated).
    public var words: Int
    /// Wall time of summarizing (sentence splitting, embedding, selection).
    public var seconds: Double

    public init(sentences: [SummarySentence], words: Int, seconds: Double) {
        self.sentences = sentences
        self.words = words
        self.seconds = seconds
    }

    /// The sentences joined with spaces (what fact coverage is measured on).
    public var text: String { sentences.map(\.text).joined(separator: " ") }

    /// A citation: `[n] path:start-end — heading`. Sentences with the same lines share one number.
    public struct Source: Sendable, Equatable {
        public var number: Int
        public var path: String
        public var startLine: Int
        public var endLine: Int
        public var heading: String
    }

    /// The distinct sources in order of first use, and the source number of each sentence.
    public var citations: (sources: [Source], numbers: [Int]) {
        var sources: [Source] = []
        var numbers: [Int] = []
        for sentence in sentences {
            if let existing = sources.first(where: { $0.path == sentence.path && $0.startLine == sentence.startLine && $0.endLine == sentence.endLine }) {
                numbers.append(existing.number)
            } else {
                let source = Source(number: sources.count + 1, path: sentence.path, startLine: sentence.startLine,
                                    endLine: sentence.endLine, heading: sentence.heading)
                sources.append(source)
                numbers.append(source.number)
            }
        }
        return (sources, numbers)
    }
}

/// Prints a summary the way `rag ask` prints an answer: the sentences with inline `[n]` markers, one paragraph per
/// section, then `Sources:` and `[n] path:start-end — heading`.
public enum SummaryRenderer {
    public static func render(_ summary: DocumentSummary) -> String {
        guard !summary.sentences.isEmpty else { return "The document has no sentences to summarize.\n\nSources: none" }
        let (sources, numbers) = summary.citations
        var paragraphs: [String] = []
        var current = ""
        var currentHeading: String? = nil
        for (sentence, number) in zip(summary.sentences, numbers) {
            if sentence.heading != currentHeading, !current.isEmpty {
                paragraphs.append(current)
                current = ""
            }
            currentHeading = sentence.heading
            current += (current.isEmpty ? "" : isListItem(sentence.text) ? "\n" : " ") + sentence.text + " [\(number)]"
        }
        if !current.isEmpty { paragraphs.append(current) }
        var lines = ["Sources:"]
        for source in sources {
            var line = "[\(source.number)] \(source.path):\(source.startLine)-\(source.endLine)"
            if !source.heading.isEmpty { line += " — \(source.heading)" }
            lines.append(line)
        }
        return paragraphs.joined(separator: "\n\n") + "\n\n" + lines.joined(separator: "\n")
    }

    /// "- item", "* item", "• item", "1. item": kept on a line of its own.
    static func isListItem(_ text: String) -> Bool {
        if text.hasPrefix("- ") || text.hasPrefix("* ") || text.hasPrefix("• ") { return true }
        let number = text.prefix { $0.isNumber }
        return !number.isEmpty && text.dropFirst(number.count).hasPrefix(". ")
    }
}
