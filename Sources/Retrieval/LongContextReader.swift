import Foundation

/// Sizes of the long-context routes, in generator tokens.
public struct LongContextSettings: Sendable {
    /// Document text read in one prompt (made affordable by sparse attention in the generator).
    /// Above it, documents are summarized section by section first (map-reduce).
    public var budget = 6000
    /// Size of one section in the map step.
    public var sectionTokens = 1200
    /// Length limit of one section summary.
    public var summaryTokens = 120

    public init() {}
}

/// Answers from whole documents: in one prompt when they fit the long-context budget,
/// otherwise map-reduce: each section summarized with the question in mind, then the answer
/// built from the summaries (each summary cites its section's lines).
public struct LongContextReader {
    public let corpus: RetrievalCorpus
    public let generator: TextGenerator
    public var settings: LongContextSettings

    public init(corpus: RetrievalCorpus, generator: TextGenerator, settings: LongContextSettings = LongContextSettings()) {
        self.corpus = corpus
        self.generator = generator
        self.settings = settings
    }

    /// The sources to answer from: whole documents, or section summaries when they do not fit.
    /// `progress` receives one line per map step.
    public func sources(for question: String, documents: [DocumentRef], generation: GenerationOptions,
                        progress: (String) -> Void) throws -> (context: PackedContext, summarized: Bool, generated: Int) {
        var whole: [ContextSource] = []
        for document in documents {
            let chunks = try corpus.documentChunks(documentId: document.id)
            guard !chunks.isEmpty else { continue }
            var source = ContextPacker.merged(chunks, number: whole.count + 1, score: 1)
            source.heading = ""
            whole.append(source)
        }
        let wholeTokens = whole.map { generator.countTokens(ContextPacker.render($0)) }.reduce(0, +)
        if wholeTokens <= settings.budget {
            return (PackedContext(sources: whole, tokenCount: wholeTokens, droppedChunks: 0, truncated: false), false, 0)
        }

        // Map: summarize each section with the question in mind.
        var summaries: [ContextSource] = []
        var generated = 0
        let sections = try documents.flatMap { try self.sections(of: $0) }
        for (index, section) in sections.enumerated() {
            progress("summarizing section \(index + 1)/\(sections.count): \(section.path):\(section.startLine)-\(section.endLine)")
            var options = generation
            options.maxTokens = settings.summaryTokens
            let outcome = try generator.generate(SectionSummaryPrompt.messages(question: question, section: section.text),
                                                 options: options, onText: { _ in true })
            generated += outcome.generatedTokens
            var summary = section
            summary.number = summaries.count + 1
            summary.text = outcome.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !summary.text.isEmpty { summaries.append(summary) }
        }
        // Reduce: the summaries become the sources, packed into the budget like retrieved chunks.
        let packer = ContextPacker(budget: settings.budget, countTokens: generator.countTokens)
        let hits = summaries.map { summary in
            RetrievedChunk(chunk: ChunkRecord(id: Int64(summary.number), documentId: -Int64(summary.number), path: summary.path,
                                              rootPath: summary.rootPath, ordinal: summary.number, heading: summary.heading,
                                              text: summary.text, startLine: summary.startLine, endLine: summary.endLine,
                                              charStart: 0, charEnd: 0),
                           score: 1, dense: 1, bm25: nil)
        }
        return (packer.pack(hits), true, generated)
    }

    /// Consecutive chunks of a document grouped into sections of at most `sectionTokens`.
    func sections(of document: DocumentRef) throws -> [ContextSource] {
        let chunks = try corpus.documentChunks(documentId: document.id)
        var sections: [ContextSource] = []
        var current: [ChunkRecord] = []
        var currentTokens = 0
        for chunk in chunks {
            let tokens = generator.countTokens(chunk.text)
            if !current.isEmpty, currentTokens + tokens > settings.sectionTokens {
                sections.append(ContextPacker.merged(current, number: sections.count + 1, score: 1))
                current = []
                currentTokens = 0
            }
            current.append(chunk)
            currentTokens += tokens
        }
        if !current.isEmpty { sections.append(ContextPacker.merged(current, number: sections.count + 1, score: 1)) }
        return sections
    }
}

/// The map-step prompt: compress one section, keeping what bears on the question.
public enum SectionSummaryPrompt {
    public static func messages(question: String, section: String) -> [PromptMessage] {
        [
            PromptMessage(.system, "You summarize text. Keep the facts, names and numbers that help answer the question. Write at most three sentences."),
            PromptMessage(.user, "Question: \(question)\n\nText:\n\(section)\n\nSummary:"),
        ]
    }
}
