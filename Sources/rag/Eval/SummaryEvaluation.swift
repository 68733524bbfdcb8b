import Foundation
import Index
import Retrieval

/// `rag eval summaries FILE.jsonl [--split dev|test|all] [--words N] [--json]`: how much of each document's key facts
/// its extractive summary holds, against the baseline "first sentence of each section" under the same budget.
///
/// Each line of FILE: {"id", "path", "facts": [["accepted", "alternative"], …]}; a fact counts as covered when the
/// summary holds any of its strings (case-insensitive, whitespace collapsed, not inside a longer word). Documents are
/// split dev/test by FNV-1a 64 of the id (hash % 100 < 60 → dev). Also reported: the share of summary sentences found
/// verbatim in the document, the share of summaries where a 4-word sequence occurs 3 or more times (a loop), mean
/// words and median seconds.
enum SummaryEvaluation {
    struct Item: Decodable {
        let id: String
        let path: String
        let facts: [[String]]
    }

    struct DocumentReport: Encodable {
        let id: String
        let split: String
        let path: String
        let facts: Int
        let covered: Int
        let baselineCovered: Int
        let missing: [String]
        let words: Int
        let baselineWords: Int
        let sentences: Int
        let verbatimSentences: Int
        let loop: Bool
        let seconds: Double
        let summary: [String]
        enum CodingKeys: String, CodingKey {
            case id, split, path, facts, covered, missing, words, sentences, loop, seconds, summary
            case baselineCovered = "baseline_covered"
            case baselineWords = "baseline_words"
            case verbatimSentences = "verbatim_sentences"
        }
    }

    struct SplitReport: Encodable {
        let split: String
        let documents: Int
        let facts: Int
        let coverage: Double
        let baselineCoverage: Double
        let verbatim: Double
        let loopRate: Double
        let meanWords: Double
        let baselineMeanWords: Double
        let medianSeconds: Double
        let maxSeconds: Double
        enum CodingKeys: String, CodingKey {
            case split, documents, facts, coverage, verbatim
            case baselineCoverage = "baseline_coverage"
            case loopRate = "loop_rate"
            case meanWords = "mean_words"
            case baselineMeanWords = "baseline_mean_words"
            case medianSeconds = "median_seconds"
            case maxSeconds = "max_seconds"
        }
    }

    struct Report: Encodable {
        let file: String
        let words: Int
        let splits: [SplitReport]
        let documents: [DocumentReport]
    }

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        guard arguments.positionals.count == 2 else {
            throw UsageError(message: "eval summaries takes one file: rag eval summaries FILE.jsonl", command: "eval")
        }
        let file = arguments.positionals[1]
        let split = try arguments.choice("split", from: ["dev", "test", "all"], default: "all")
        let words = try arguments.int("words", default: 200, range: 10...10_000)!
        let items = try load(file).filter { split == "all" || EvaluationSplit.of(id: $0.id).rawValue == split }
        guard !items.isEmpty else { throw CommandFailure(message: "\(file) holds no documents in the \(split) split") }

        let (corpus, embedder) = try SummarizeCommand.openIndex(invocation)
        let documents = try corpus.documents()
        let summarizer = ExtractiveSummarizer(embedder: embedder)
        var reports: [DocumentReport] = []
        for (number, item) in items.enumerated() {
            guard let document = documents.first(where: { $0.path == item.path }) else {
                throw CommandFailure(message: "\(file): \(item.id): \(item.path) is not in the index at \(DataPaths.databasePath(invocation.global)) (use --db with the index of its corpus)")
            }
            invocation.console.info("[\(number + 1)/\(items.count)] \(item.id)")
            let chunks = try corpus.documentChunks(documentId: document.id)
            let summary = try summarizer.summarize(chunks: chunks, words: words)
            let baseline = ExtractiveSummarizer.firstSentences(chunks: chunks, words: words)
            let report = evaluate(item, chunks: chunks, summary: summary, baseline: baseline)
            invocation.console.debug("\(item.id): \(report.covered)/\(report.facts) (baseline \(report.baselineCovered)), \(report.words) words, missing: \(report.missing.joined(separator: " | "))")
            reports.append(report)
        }
        let splitNames = split == "all" ? ["dev", "test", "all"] : [split]
        let splits = splitNames.compactMap { name -> SplitReport? in
            let chosen = reports.filter { name == "all" || $0.split == name }
            return chosen.isEmpty ? nil : aggregate(name, chosen)
        }
        if arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            invocation.console.result(String(decoding: try encoder.encode(Report(file: file, words: words, splits: splits, documents: reports)), as: UTF8.self))
            return
        }
        invocation.console.result("\(file): \(reports.count) documents, budget \(words) words")
        invocation.console.result("split  docs  facts  coverage  baseline  verbatim  loops  words  baseline words  median s  max s")
        for row in splits {
            invocation.console.result(row.split.padding(toLength: 5, withPad: " ", startingAt: 0)
                + String(format: "  %4d  %5d  %7.1f%%  %7.1f%%  %7.1f%%  %5.2f  %5.1f  %14.1f  %8.2f  %5.2f",
                         row.documents, row.facts, row.coverage * 100, row.baselineCoverage * 100, row.verbatim * 100,
                         row.loopRate, row.meanWords, row.baselineMeanWords, row.medianSeconds, row.maxSeconds))
        }
    }

    static func evaluate(_ item: Item, chunks: [ChunkRecord], summary: DocumentSummary, baseline: DocumentSummary) -> DocumentReport {
        let text = summary.text
        let missing = item.facts.filter { fact in !fact.contains { contains(text, $0) } }
        let baselineText = baseline.text
        let baselineCovered = item.facts.filter { fact in fact.contains { contains(baselineText, $0) } }.count
        let documentText = DocumentSentences.text(of: chunks)
        let verbatim = verbatimSentences(summary, documentText: documentText)
        return DocumentReport(id: item.id, split: EvaluationSplit.of(id: item.id).rawValue, path: item.path, facts: item.facts.count,
                              covered: item.facts.count - missing.count, baselineCovered: baselineCovered,
                              missing: missing.map { $0.first ?? "" }, words: summary.words, baselineWords: baseline.words,
                              sentences: summary.sentences.count, verbatimSentences: verbatim, loop: loops(text),
                              seconds: summary.seconds, summary: summary.sentences.map(\.text))
    }

    static func aggregate(_ name: String, _ reports: [DocumentReport]) -> SplitReport {
        let facts = reports.map(\.facts).reduce(0, +)
        let sentences = reports.map(\.sentences).reduce(0, +)
        let seconds = reports.map(\.seconds).sorted()
        let median = seconds.count % 2 == 1 ? seconds[seconds.count / 2] : (seconds[seconds.count / 2 - 1] + seconds[seconds.count / 2]) / 2
        let count = Double(reports.count)
        return SplitReport(split: name, documents: reports.count, facts: facts,
                           coverage: Double(reports.map(\.covered).reduce(0, +)) / Double(max(1, facts)),
                           baselineCoverage: Double(reports.map(\.baselineCovered).reduce(0, +)) / Double(max(1, facts)),
                           verbatim: sentences == 0 ? 1 : Double(reports.map(\.verbatimSentences).reduce(0, +)) / Double(sentences),
                           loopRate: Double(reports.filter(\.loop).count) / count,
                           meanWords: Double(reports.map(\.words).reduce(0, +)) / count,
                           baselineMeanWords: Double(reports.map(\.baselineWords).reduce(0, +)) / count,
                           medianSeconds: median, maxSeconds: seconds.last ?? 0)
    }

    /// Lowercased, whitespace collapsed.
    static func normalized(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// `needle` occurs in `text` (case-insensitive, whitespace collapsed), not as part of a longer word:
    /// a letter or digit at either end of the needle must not continue in the text.
    static func contains(_ text: String, _ needle: String) -> Bool {
        let haystack = Array(normalized(text).unicodeScalars)
        let pattern = Array(normalized(needle).unicodeScalars)
        guard !pattern.isEmpty, pattern.count <= haystack.count else { return false }
        let alphanumeric = CharacterSet.alphanumerics
        let checkStart = alphanumeric.contains(pattern[0])
        let checkEnd = alphanumeric.contains(pattern[pattern.count - 1])
        var start = 0
        while start + pattern.count <= haystack.count {
            if haystack[start] == pattern[0], Array(haystack[start..<(start + pattern.count)]) == pattern {
                let end = start + pattern.count
                let startOK = !checkStart || start == 0 || !alphanumeric.contains(haystack[start - 1])
                let endOK = !checkEnd || end == haystack.count || !alphanumeric.contains(haystack[end])
                if startOK && endOK { return true }
            }
            start += 1
        }
        return false
    }

    /// Summary sentences that occur verbatim in the document (whitespace collapsed), or that are a Markdown table row
    /// of the document with its column names (`MarkdownTableRows`).
    static func verbatimSentences(_ summary: DocumentSummary, documentText: String) -> Int {
        let collapse = { (text: String) in text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let document = collapse(documentText)
        let lines = documentText.components(separatedBy: "\n")
        let rows = Set(MarkdownTableRows.linearized(lines).map(collapse))
        return summary.sentences.filter { sentence in
            let text = collapse(sentence.text)
            return document.contains(text) || rows.contains(text)
        }.count
    }

    /// A loop: some sequence of 4 words occurs 3 or more times.
    static func loops(_ text: String) -> Bool {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.count >= 4 else { return false }
        var counts: [String: Int] = [:]
        for start in 0...(words.count - 4) {
            let key = words[start..<(start + 4)].joined(separator: " ")
            counts[key, default: 0] += 1
            if counts[key]! >= 3 { return true }
        }
        return false
    }

    static func load(_ path: String) throws -> [Item] {
        try JSONLines.read(Item.self, from: path, noun: "summary", shape: "{\"id\", \"path\", \"facts\": [[strings]]}")
    }
}
