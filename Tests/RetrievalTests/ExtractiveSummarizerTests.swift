import XCTest
import Index
import Retrieval

/// Extractive summaries on tiny synthetic documents with the hashing embedder (texts sharing words are similar).
final class ExtractiveSummarizerTests: XCTestCase {
    let summarizer = ExtractiveSummarizer(embedder: HashingEmbedder())

    /// Chunks as the ingest pipeline stores them: each section one chunk (text ends with a blank line), character
    /// offsets contiguous, lines 1-based over the non-blank content.
    func document(_ sections: [(heading: String, lines: [String])], path: String = "note.md") -> [ChunkRecord] {
        var chunks: [ChunkRecord] = []
        var line = 1
        var char = 0
        for (ordinal, section) in sections.enumerated() {
            let text = section.lines.joined(separator: "\n") + "\n\n"
            chunks.append(ChunkRecord(id: Int64(ordinal + 1), documentId: 1, path: path, rootPath: "/root", ordinal: ordinal,
                                      heading: section.heading, text: text, startLine: line,
                                      endLine: line + section.lines.count - 1, charStart: char,
                                      charEnd: char + text.unicodeScalars.count))
            line += section.lines.count + 1
            char += text.unicodeScalars.count
        }
        return chunks
    }

    /// A document of `sections` sections with `perSection` distinct sentences each, one sentence per line.
    func longDocument(sections: Int, perSection: Int) -> [ChunkRecord] {
        let words = ["cache", "window", "memory", "kernel", "token", "index", "query", "vector", "table", "page", "lock", "file"]
        return document((0..<sections).map { s in
            ("Doc > Part \(s)", ["# Part \(s)"] + (0..<perSection).map { k in
                "Sentence \(k) of part \(s) is about the \(words[(s + k) % words.count]) and the \(words[(s * 3 + k) % words.count]) here."
            })
        })
    }

    func testSentencesComeInDocumentOrder() throws {
        let summary = try summarizer.summarize(chunks: longDocument(sections: 6, perSection: 8), words: 60)
        XCTAssertGreaterThan(summary.sentences.count, 1)
        let lines = summary.sentences.map(\.startLine)
        XCTAssertEqual(lines, lines.sorted())
        XCTAssertEqual(Set(lines).count, lines.count)
    }

    func testTheWordBudgetIsRespected() throws {
        let chunks = longDocument(sections: 5, perSection: 10)
        for budget in [12, 30, 75, 200] {
            let summary = try summarizer.summarize(chunks: chunks, words: budget)
            XCTAssertLessThanOrEqual(summary.words, budget)
            XCTAssertEqual(summary.words, summary.sentences.map { $0.text.split(separator: " ").count }.reduce(0, +))
            XCTAssertFalse(summary.sentences.isEmpty)
        }
    }

    func testTheHierarchyForLongDocumentsKeepsOrderAndBudget() throws {
        var settings = ExtractiveSummarizer.Settings()
        settings.hierarchyThreshold = 10
        settings.groupSize = 8
        let summary = try ExtractiveSummarizer(embedder: HashingEmbedder(), settings: settings)
            .summarize(chunks: longDocument(sections: 8, perSection: 6), words: 80)
        XCTAssertLessThanOrEqual(summary.words, 80)
        XCTAssertGreaterThan(summary.sentences.count, 2)
        XCTAssertEqual(summary.sentences.map(\.startLine), summary.sentences.map(\.startLine).sorted())
    }

    func testEmbeddingIsBoundedOnLongDocuments() throws {
        let embedder = CountingEmbedder()
        var settings = ExtractiveSummarizer.Settings()
        settings.maxEmbeddedSentences = 25
        _ = try ExtractiveSummarizer(embedder: embedder, settings: settings)
            .summarize(chunks: longDocument(sections: 10, perSection: 12), words: 50)
        XCTAssertLessThanOrEqual(embedder.embedded, 25)
        XCTAssertGreaterThan(embedder.embedded, 0)
    }

    func testCitationsPointToTheSentencesLines() throws {
        let chunks = document([
            ("Cache", ["# Cache", "", "The cache keeps keys and values in memory for every earlier token."]),
            ("Cache > Size", ["## Size", "", "The size grows linearly with tokens. Each token adds two vectors per layer.",
                              "", "A million tokens need more than one hundred gigabytes of memory."]),
        ])
        let summary = try summarizer.summarize(chunks: chunks, words: 200)
        let lines = Dictionary(uniqueKeysWithValues: summary.sentences.map { ($0.text, $0.startLine...$0.endLine) })
        XCTAssertEqual(lines["The cache keeps keys and values in memory for every earlier token."], 3...3)
        XCTAssertEqual(lines["The size grows linearly with tokens."], 7...7)
        XCTAssertEqual(lines["Each token adds two vectors per layer."], 7...7)
        XCTAssertEqual(lines["A million tokens need more than one hundred gigabytes of memory."], 9...9)
        XCTAssertEqual(summary.sentences.first?.heading, "Cache")
        XCTAssertEqual(summary.sentences.last?.path, "note.md")
    }

    func testAChunkWhoseLinesDoNotMapCitesItsWholeRange() throws {
        // HTML-like: the chunk's two text lines came from source lines 40-75.
        let text = "Write-ahead logging keeps changes in a separate file.\nReaders do not block writers in this mode.\n"
        let chunk = ChunkRecord(id: 1, documentId: 1, path: "wal.html", rootPath: "/r", ordinal: 0, heading: "WAL", text: text,
                                startLine: 40, endLine: 75, charStart: 0, charEnd: text.unicodeScalars.count)
        let summary = try summarizer.summarize(chunks: [chunk], words: 200)
        XCTAssertEqual(summary.sentences.count, 2)
        for sentence in summary.sentences {
            XCTAssertEqual(sentence.startLine, 40)
            XCTAssertEqual(sentence.endLine, 75)
        }
        XCTAssertEqual(summary.citations.sources.count, 1)
        XCTAssertEqual(summary.citations.numbers, [1, 1])
    }

    func testOverlappingChunksAreReadOnceWithoutFragments() throws {
        // The second chunk repeats the tail of the first from mid-sentence, as the chunker's overlap does.
        let full = "Alpha sentence opens the section here.\nBeta sentence runs on across the chunk boundary for a while. Gamma sentence closes it.\n"
        let scalars = Array(full.unicodeScalars)
        let cut = full.distance(from: full.startIndex, to: full.range(of: "across")!.lowerBound)
        let overlapStart = full.distance(from: full.startIndex, to: full.range(of: "runs on")!.lowerBound)
        let first = String(String.UnicodeScalarView(scalars[0..<cut]))
        let second = String(String.UnicodeScalarView(scalars[overlapStart...]))
        let chunks = [
            ChunkRecord(id: 1, documentId: 1, path: "a.md", rootPath: "/r", ordinal: 0, heading: "A", text: first,
                        startLine: 1, endLine: 2, charStart: 0, charEnd: cut),
            ChunkRecord(id: 2, documentId: 1, path: "a.md", rootPath: "/r", ordinal: 1, heading: "A", text: second,
                        startLine: 2, endLine: 2, charStart: overlapStart, charEnd: scalars.count),
        ]
        let sentences = DocumentSentences.of(chunks).map(\.text)
        XCTAssertEqual(sentences, ["Alpha sentence opens the section here.",
                                   "Beta sentence runs on across the chunk boundary for a while.",
                                   "Gamma sentence closes it."])
        let summary = try summarizer.summarize(chunks: chunks, words: 200)
        XCTAssertEqual(summary.sentences.map(\.startLine), [1, 2, 2])
    }

    func testAnEmptyDocumentGivesAnEmptySummary() throws {
        XCTAssertEqual(try summarizer.summarize(chunks: [], words: 200).sentences, [])
        let blank = document([("", ["", "   "])])
        let summary = try summarizer.summarize(chunks: blank, words: 200)
        XCTAssertEqual(summary.sentences, [])
        XCTAssertEqual(summary.words, 0)
        XCTAssertTrue(SummaryRenderer.render(summary).contains("no sentences"))
    }

    func testAOneLineDocumentIsItsOwnSummary() throws {
        let summary = try summarizer.summarize(chunks: document([("", ["Hello."])]), words: 200)
        XCTAssertEqual(summary.sentences.map(\.text), ["Hello."])
        XCTAssertEqual(summary.sentences.first.map { $0.startLine...$0.endLine }, 1...1)
    }

    func testSentencesLongerThanTheBudgetAreSkipped() throws {
        let long = (1...30).map { "word\($0)" }.joined(separator: " ") + "."
        let chunks = document([("", [long, "Another sentence of this short document here.", long])])
        let summary = try summarizer.summarize(chunks: chunks, words: 10)
        XCTAssertEqual(summary.sentences.map(\.text), ["Another sentence of this short document here."])
    }

    func testWhenNoSentenceFitsTheFirstIsCutToTheBudget() throws {
        let long = (1...30).map { "word\($0)" }.joined(separator: " ") + "."
        let summary = try summarizer.summarize(chunks: document([("", [long])]), words: 5)
        XCTAssertEqual(summary.sentences.map(\.text), ["word1 word2 word3 word4 word5…"])
        XCTAssertEqual(summary.words, 5)
    }

    func testRepeatedSentencesAreNotRepeatedInTheSummary() throws {
        let repeated = "The key value cache grows with every token."
        let lines = (0..<12).map { $0 % 3 == 0 ? "Note \($0): the window of tokens moves forward here." : repeated }
        for budget in [200, 25] {
            let summary = try summarizer.summarize(chunks: document([("Loop", lines), ("Loop > Again", lines)]), words: budget)
            let texts = summary.sentences.map(\.text)
            XCTAssertLessThanOrEqual(texts.filter { $0 == repeated }.count, 1)
            XCTAssertEqual(Set(texts).count, texts.count)
            XCTAssertLessThanOrEqual(summary.words, budget)
            XCTAssertFalse(texts.isEmpty)
        }
    }

    func testNoFourWordSequenceOccursThreeTimes() throws {
        let lines = (0..<10).map { "In the first place item \($0) differs from item \($0 + 1) by \($0 * 7) units." }
        for budget in [200, 60] {   // the whole document fits; it does not
            let summary = try summarizer.summarize(chunks: document([("Items", lines)]), words: budget)
            let words = summary.text.lowercased().split(separator: " ")
            var counts: [String: Int] = [:]
            for start in 0..<(words.count - 3) { counts[words[start..<(start + 4)].joined(separator: " "), default: 0] += 1 }
            XCTAssertLessThan(counts.values.max() ?? 0, 3)
            XCTAssertEqual(summary.sentences.count, 2)
        }
    }

    func testHeadingsCodeAndLabelsAreNotSummarySentences() {
        let chunks = document([
            ("Guide", ["# Guide", "", "The guide explains how the index stores its vectors.", "",
                       "    let vectors = store.allVectors()", "", ">>> sorted([3, 1, 2])", "",
                       "SELECT rowid, a FROM t1 WHERE b = 2;", "", "Previous topic", "",
                       "ls - list directory contents", "", "- Lower precision: INT8 halves the footprint;"]),
        ])
        let kinds = Dictionary(DocumentSentences.of(chunks).map { ($0.text, $0.kind) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(kinds["# Guide"], .heading)
        XCTAssertEqual(kinds["The guide explains how the index stores its vectors."], .prose)
        XCTAssertEqual(kinds["let vectors = store.allVectors()"], .code)
        XCTAssertEqual(kinds[">>> sorted([3, 1, 2])"], .code)
        XCTAssertEqual(kinds["SELECT rowid, a FROM t1 WHERE b = 2;"], .code)
        XCTAssertEqual(kinds["Previous topic"], .label)
        XCTAssertEqual(kinds["ls - list directory contents"], .prose)
        XCTAssertEqual(kinds["- Lower precision: INT8 halves the footprint;"], .prose)
    }

    func testTableRowsCarryTheirColumnNames() throws {
        let chunks = document([("Formats", ["| format | bytes | 7B model |", "|---|---|---|", "| FP16 | 2 | 14 GB |", "| INT4 | 0.5 | 3.5 GB |"])])
        let summary = try summarizer.summarize(chunks: chunks, words: 200)
        XCTAssertEqual(summary.sentences.map(\.text), ["FP16 — bytes: 2; 7B model: 14 GB", "INT4 — bytes: 0.5; 7B model: 3.5 GB"])
        XCTAssertEqual(summary.sentences.map(\.startLine), [3, 4])
    }

    func testTheBaselineTakesTheFirstSentenceOfEachSection() {
        let chunks = longDocument(sections: 4, perSection: 3)
        let baseline = ExtractiveSummarizer.firstSentences(chunks: chunks, words: 200)
        XCTAssertEqual(baseline.sentences.map(\.text), (0..<4).map { s in
            DocumentSentences.of(chunks).first { $0.kind == .prose && $0.heading == "Doc > Part \(s)" }!.text
        })
    }

    func testTheRendererCitesLikeAsk() throws {
        let summary = DocumentSummary(sentences: [
            SummarySentence(text: "First fact.", path: "a.md", startLine: 3, endLine: 3, heading: "A"),
            SummarySentence(text: "Second fact.", path: "a.md", startLine: 3, endLine: 3, heading: "A"),
            SummarySentence(text: "Third fact.", path: "a.md", startLine: 9, endLine: 12, heading: "A > B"),
            SummarySentence(text: "- A listed fact.", path: "a.md", startLine: 13, endLine: 13, heading: "A > B"),
        ], words: 9, seconds: 0)
        XCTAssertEqual(SummaryRenderer.render(summary), """
            First fact. [1] Second fact. [1]

            Third fact. [2]
            - A listed fact. [3]

            Sources:
            [1] a.md:3-3 — A
            [2] a.md:9-12 — A > B
            [3] a.md:13-13 — A > B
            """)
    }
}

/// Counts the texts it embeds (to check the cost bound).
final class CountingEmbedder: TextEmbedder, @unchecked Sendable {
    let inner = HashingEmbedder()
    var embedded = 0
    var identity: EmbedderIdentity { inner.identity }

    func embed(_ texts: [String]) throws -> [[Float]] {
        embedded += texts.count
        return try inner.embed(texts)
    }
}
