import Embedder
import Foundation
import Index
import ModelKit
import Retrieval

/// `rag summarize PATH [--words N] [--json]`: an extractive summary of one indexed document.
enum SummarizeCommand {
    static let spec = CommandSpec(
        name: "summarize",
        summary: "summarize one indexed document with its own sentences, each cited by line",
        usage: ["summarize [--words N] [--json] PATH"],
        options: [
            OptionSpec("words", value: "N", help: "word budget of the summary (default 200)"),
            OptionSpec("json", help: "print one JSON object: summary, sentences (n, text, lines, heading), sources, words, seconds"),
        ],
        positionals: 1...1,
        details: """
            PATH is an indexed document: its path as 'rag status' lists it under its root, its absolute path,
            or a file name that only one document has. The summary is the document's own sentences that best
            cover it (MMR over sentence embeddings; early sentences of a section, figures and names favoured),
            in document order, each with an [n] marker; the sources list gives [n] path:start-end.
            Nothing is generated: the summary cannot loop or say what the document does not.
            """,
        run: run)

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let path = arguments.positionals[0]
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UsageError(message: "the document path is empty", command: "summarize")
        }
        let words = try arguments.int("words", default: 200, range: 10...10_000)!
        let (corpus, embedder) = try openIndex(invocation)
        let document = try resolve(path, in: try corpus.documents())
        let chunks = try corpus.documentChunks(documentId: document.id)
        invocation.console.info("summarizing \(document.path) (\(chunks.count) chunks)")
        let summary = try ExtractiveSummarizer(embedder: embedder).summarize(chunks: chunks, words: words)
        if arguments.flag("json") {
            invocation.console.result(try SummaryJSON.encode(summary, document: document))
            return
        }
        invocation.console.result(SummaryRenderer.render(summary))
        invocation.console.debug(String(format: "%d words, %.2f s", summary.words, summary.seconds))
    }

    /// The index for reading and the embedder it was built with (no vector matrix: a summary needs none).
    static func openIndex(_ invocation: Invocation) throws -> (IndexStoreCorpus, BertEmbedder) {
        let store = try IndexStore(path: DataPaths.databasePath(invocation.global), mode: .readOnly)
        guard let stored = try store.embedderIdentity(), try store.statistics().documentCount > 0 else {
            throw CommandFailure(message: "the index at \(store.path) is empty: run 'rag ingest DIR' first")
        }
        let embedder = try BertEmbedder(models: DataPaths.models(invocation.global), precision: BertPrecision(builtBy: stored))
        try store.checkEmbedder(embedder.identity)
        return (IndexStoreCorpus(store: store), embedder)
    }

    /// An indexed document by path (as `ask --doc` resolves it), with this command's wording on failure.
    static func resolve(_ path: String, in documents: [DocumentRef]) throws -> DocumentRef {
        do {
            return try AskCommand.resolveDocument(path, in: documents)
        } catch let failure as CommandFailure {
            if failure.message.contains("is not in the index") {
                throw CommandFailure(message: "\(path) is not in the index: ingest its folder with 'rag ingest DIR' ('rag status' lists the indexed roots)")
            }
            throw CommandFailure(message: failure.message.replacingOccurrences(of: "--doc ", with: ""))
        }
    }
}

/// The JSON rendering of a summary.
enum SummaryJSON {
    struct Sentence: Encodable {
        let n: Int
        let text: String
        let path: String
        let startLine: Int
        let endLine: Int
        let heading: String
        enum CodingKeys: String, CodingKey {
            case n, text, path, heading
            case startLine = "start_line"
            case endLine = "end_line"
        }
    }

    struct Source: Encodable {
        let n: Int
        let path: String
        let startLine: Int
        let endLine: Int
        let heading: String
        enum CodingKeys: String, CodingKey {
            case n, path, heading
            case startLine = "start_line"
            case endLine = "end_line"
        }
    }

    struct Payload: Encodable {
        let path: String
        let summary: String
        let sentences: [Sentence]
        let sources: [Source]
        let words: Int
        let seconds: Double
    }

    static func encode(_ summary: DocumentSummary, document: DocumentRef) throws -> String {
        let (citedSources, numbers) = summary.citations
        let sources = citedSources.map { Source(n: $0.number, path: $0.path, startLine: $0.startLine, endLine: $0.endLine, heading: $0.heading) }
        let sentences = zip(summary.sentences, numbers).map { sentence, n in
            Sentence(n: n, text: sentence.text, path: sentence.path, startLine: sentence.startLine, endLine: sentence.endLine,
                     heading: sentence.heading)
        }
        let text = zip(summary.sentences, numbers).map { "\($0.text) [\($1)]" }.joined(separator: " ")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = Payload(path: document.path, summary: text, sentences: sentences, sources: sources, words: summary.words,
                              seconds: (summary.seconds * 1000).rounded() / 1000)
        return String(decoding: try encoder.encode(payload), as: UTF8.self)
    }
}
