import Foundation

/// One sentence of a document, with where it sits: what a summary is chosen from.
public struct DocumentSentence: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A sentence of running text (a paragraph, a list item).
        case prose
        /// A Markdown table row, shown with its column names (`MarkdownTableRows`).
        case tableRow
        /// A heading line (never a summary sentence).
        case heading
        /// A line that looks like code, a shell session or a bare list of references (never a summary sentence).
        case code
        /// A short line that is not a sentence: a term of a definition list, a caption, a navigation link, a line
        /// of program output (never a summary sentence).
        case label
    }

    /// The sentence as shown: verbatim from the document (table rows: linearized with their column names).
    public var text: String
    public var kind: Kind
    public var path: String
    /// Heading path of the chunk the sentence comes from.
    public var heading: String
    /// Index of the section (a run of chunks with the same heading path), in document order.
    public var section: Int
    /// 1-based inclusive document lines: the sentence's own line when its chunk maps lines exactly, else the chunk's range.
    public var startLine: Int
    public var endLine: Int
    /// Whitespace-separated words.
    public var words: Int
}

/// Cuts a document's chunks into sentences with their document lines.
///
/// Chunks overlap (a chunk repeats the tail of the one before it, sometimes from mid-sentence), so the chunks are first
/// stitched back into the document text by their character offsets; every sentence is then cut once from that text and
/// attributed to the first chunk that holds it whole. When the offsets do not describe one text (chunks built by hand,
/// summaries of summaries), each chunk is cut on its own and repeats are dropped. A line is a sentence boundary
/// (`SentenceSplitter`); a sentence repeated verbatim is kept once.
public enum DocumentSentences {
    public static func of(_ chunks: [ChunkRecord]) -> [DocumentSentence] {
        let ordered = chunks.sorted { $0.ordinal < $1.ordinal }
        guard !ordered.isEmpty else { return [] }
        var sentences: [DocumentSentence]
        if let stitched = StitchedDocument(ordered) {
            sentences = stitched.sentences()
        } else {
            sentences = ordered.flatMap { StitchedDocument(single: $0).sentences() }
        }
        return numberSections(dropRepeats(sentences))
    }

    /// The document text rebuilt from its chunks (the chunk texts joined by blank lines when their offsets do not
    /// describe one text).
    public static func text(of chunks: [ChunkRecord]) -> String {
        let ordered = chunks.sorted { $0.ordinal < $1.ordinal }
        if let stitched = StitchedDocument(ordered) { return String(String.UnicodeScalarView(stitched.scalars)) }
        return ordered.map(\.text).joined(separator: "\n\n")
    }

    /// Keeps the first of sentences that say the same words, and drops a sentence that is the tail of an earlier one
    /// (a chunk that starts mid-sentence).
    static func dropRepeats(_ sentences: [DocumentSentence]) -> [DocumentSentence] {
        var seen = Set<String>()
        var kept: [DocumentSentence] = []
        for sentence in sentences {
            let key = normalized(sentence.text)
            guard !key.isEmpty else { continue }
            if sentence.kind == .heading {
                kept.append(sentence)
                continue
            }
            if seen.contains(key) { continue }
            if let last = kept.last(where: { $0.kind != .heading }), normalized(last.text).hasSuffix(key), key.count < normalized(last.text).count {
                continue
            }
            seen.insert(key)
            kept.append(sentence)
        }
        return kept
    }

    /// Consecutive sentences with the same heading path form one section.
    static func numberSections(_ sentences: [DocumentSentence]) -> [DocumentSentence] {
        var result = sentences
        var section = -1
        var previous: String? = nil
        for index in result.indices {
            if result[index].heading != previous {
                section += 1
                previous = result[index].heading
            }
            result[index].section = section
        }
        return result
    }

    /// Lowercased, whitespace collapsed.
    static func normalized(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).count
    }

    /// Code, shell sessions, SQL, reference lists: lines that state nothing a summary should quote.
    /// A line indented by four spaces or a tab (Markdown code), a prompt (`>>>`, `...`, `$ `, `# `, `%`), a comment
    /// marker, a statement end (`);`, `{`), aligned columns, a line where more than 8% of the characters are code
    /// punctuation, mostly numbers, mostly key:value fields, or mostly upper-case keywords (SQL statements).
    static func looksLikeCode(line: String, sentence: String) -> Bool {
        if line.hasPrefix("    ") || line.hasPrefix("\t") { return true }
        let trimmedLine = line.trimmingCharacters(in: .whitespaces)
        let trimmed = sentence.trimmingCharacters(in: .whitespaces)
        for prefix in codePrefixes where trimmedLine.hasPrefix(prefix) || trimmed.hasPrefix(prefix) { return true }
        for suffix in [");", "';", "\";", "};", "{", "}"] where trimmed.hasSuffix(suffix) { return true }
        // An SQL statement: an upper-case keyword first, a semicolon last.
        if trimmed.hasSuffix(";"), let first = trimmed.split(separator: " ").first, first.count >= 2,
           first.allSatisfy({ $0.isUppercase && $0.isLetter }) {
            return true
        }
        // Preformatted text: columns aligned with runs of spaces.
        if trimmed.contains("   ") { return true }
        let scalars = trimmed.unicodeScalars
        guard !scalars.isEmpty else { return true }
        let punctuation = scalars.filter { "(){}[]=;<>|&$\\*".unicodeScalars.contains($0) }.count
        if Double(punctuation) / Double(scalars.count) > 0.08 { return true }
        let tokens = trimmed.split(whereSeparator: \.isWhitespace)
        let words = tokens.filter { $0.contains(where: \.isLetter) }
        // Mostly numbers (log lines, tables of values).
        if tokens.count >= 3, words.count * 2 < tokens.count { return true }
        // key:value or key=value fields (program output, mount tables).
        let fields = tokens.filter { token in
            let inner = token.dropFirst().dropLast()
            return inner.contains(":") || inner.contains("=")
        }
        if fields.count >= 3, Double(fields.count) / Double(tokens.count) >= 0.3 { return true }
        let upper = words.filter { word in
            let letters = word.filter(\.isLetter)
            return letters.count >= 2 && letters.allSatisfy(\.isUppercase)
        }
        return words.count >= 3 && Double(upper.count) / Double(words.count) > 0.5
    }

    /// A whole line of at most 8 words that does not end like a sentence (`.`, `!`, `?`, `;`, before closing quotes or
    /// brackets): "/proc/pid/io (since Linux 2.6.20)", "Cache for enterprise data", "2. Using the Python Interpreter".
    /// A man page's "name - description" line is kept.
    static func isLabel(_ text: String) -> Bool {
        let end = text.trimmingCharacters(in: CharacterSet(charactersIn: ")]\"'”’ "))
        if let last = end.last, ".!?;".contains(last) { return false }
        if text.contains(" - ") { return false }
        return wordCount(text) <= 8
    }

    static let codePrefixes = [">>>", "...", "$ ", "# ", "% ", "//", "--", "/*", "*/", "#!", "#include", "#define", "^"]
}

/// The document text rebuilt from its chunks, with which chunk covers which characters.
struct StitchedDocument {
    let chunks: [ChunkRecord]
    /// The text, as Unicode scalars (chunk offsets count scalars).
    let scalars: [Unicode.Scalar]
    /// Scalar range of each chunk in `scalars`.
    let ranges: [Range<Int>]

    /// Nil when the chunk offsets do not describe one text (wrong lengths, or overlaps that disagree).
    init?(_ chunks: [ChunkRecord]) {
        var ranges: [Range<Int>] = []
        var length = 0
        for chunk in chunks {
            let count = chunk.text.unicodeScalars.count
            guard chunk.charStart >= 0, chunk.charEnd - chunk.charStart == count, count > 0 else { return nil }
            ranges.append(chunk.charStart..<chunk.charEnd)
            length = max(length, chunk.charEnd)
        }
        guard length <= 50_000_000 else { return nil }
        var text = [Unicode.Scalar?](repeating: nil, count: length)
        for (chunk, range) in zip(chunks, ranges) {
            for (offset, scalar) in chunk.text.unicodeScalars.enumerated() {
                let position = range.lowerBound + offset
                if let existing = text[position], existing != scalar { return nil }
                text[position] = scalar
            }
        }
        self.chunks = chunks
        self.ranges = ranges
        // Gaps between chunks hold only whitespace (the chunker covers the text); a line break keeps them boundaries.
        self.scalars = text.map { $0 ?? "\n" }
    }

    /// One chunk on its own (the fallback when offsets cannot be trusted).
    init(single chunk: ChunkRecord) {
        self.chunks = [chunk]
        self.scalars = Array(chunk.text.unicodeScalars)
        self.ranges = [0..<scalars.count]
    }

    func sentences() -> [DocumentSentence] {
        let exact = chunks.map(Self.mapsLinesExactly)
        var result: [DocumentSentence] = []
        var lineStart = 0
        var tableRun: [(line: String, range: Range<Int>)] = []

        func flushTable() {
            guard !tableRun.isEmpty else { return }
            let lines = tableRun.map(\.line)
            var index = 0
            var header: [String]? = nil
            while index < lines.count {
                guard let cells = MarkdownTableRows.cells(of: lines[index]) else { index += 1; continue }
                if index + 1 < lines.count, let next = MarkdownTableRows.cells(of: lines[index + 1]), MarkdownTableRows.isSeparator(next) {
                    header = cells
                    index += 2
                    continue
                }
                if !MarkdownTableRows.isSeparator(cells) {
                    let text = MarkdownTableRows.sentence(row: cells, header: header)
                    result.append(makeSentence(text, kind: .tableRow, range: tableRun[index].range, exact: exact))
                }
                index += 1
            }
            tableRun = []
        }

        while lineStart <= scalars.count {
            var lineEnd = lineStart
            while lineEnd < scalars.count, scalars[lineEnd] != "\n" { lineEnd += 1 }
            let line = String(String.UnicodeScalarView(scalars[lineStart..<lineEnd]))
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if MarkdownTableRows.cells(of: line) != nil {
                tableRun.append((line, lineStart..<lineEnd))
            } else {
                flushTable()
                if !trimmed.isEmpty {
                    result += lineSentences(line, start: lineStart, exact: exact)
                }
            }
            lineStart = lineEnd + 1
        }
        flushTable()
        return result
    }

    /// The sentences of one line (a paragraph, a list item, a heading).
    private func lineSentences(_ line: String, start: Int, exact: [Bool]) -> [DocumentSentence] {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        let leading = line.unicodeScalars.prefix { $0 == " " || $0 == "\t" }.count
        let range = (start + leading)..<(start + leading + trimmed.unicodeScalars.count)
        if isHeading(trimmed, chunk: chunkIndex(containing: range)) {
            return [makeSentence(trimmed, kind: .heading, range: range, exact: exact)]
        }
        var splitter = SentenceSplitter()
        var pieces = splitter.feed(line)
        if let last = splitter.finish() { pieces.append(last) }
        var result: [DocumentSentence] = []
        var offset = start
        for piece in pieces {
            let pieceStart = offset
            offset += piece.unicodeScalars.count
            let text = piece.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            let skipped = piece.unicodeScalars.prefix { CharacterSet.whitespacesAndNewlines.contains($0) }.count
            let sentenceRange = (pieceStart + skipped)..<(pieceStart + skipped + text.unicodeScalars.count)
            let kind: DocumentSentence.Kind = DocumentSentences.looksLikeCode(line: line, sentence: text) ? .code
                : (pieces.count == 1 && DocumentSentences.isLabel(text)) ? .label : .prose
            result.append(makeSentence(text, kind: kind, range: sentenceRange, exact: exact))
        }
        return result
    }

    /// A heading line: Markdown `#`, or a line that is one of the titles in its chunk's heading path.
    private func isHeading(_ line: String, chunk: Int) -> Bool {
        if line.hasPrefix("#") {
            let title = line.drop { $0 == "#" }
            if title.first == " " { return true }
        }
        let titles = chunks[chunk].heading.components(separatedBy: " > ").map { $0.trimmingCharacters(in: .whitespaces) }
        return titles.contains(line)
    }

    /// The first chunk that holds `range` whole, else the one holding its start.
    private func chunkIndex(containing range: Range<Int>) -> Int {
        if let whole = ranges.firstIndex(where: { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound }) {
            return whole
        }
        return ranges.firstIndex(where: { $0.contains(range.lowerBound) }) ?? 0
    }

    private func makeSentence(_ text: String, kind: DocumentSentence.Kind, range: Range<Int>, exact: [Bool]) -> DocumentSentence {
        let first = chunkIndex(containing: range)
        let holdsWhole = ranges[first].lowerBound <= range.lowerBound && range.upperBound <= ranges[first].upperBound
        let last = holdsWhole ? first : (ranges.lastIndex(where: { $0.contains(max(range.lowerBound, range.upperBound - 1)) }) ?? first)
        let startLine = lines(at: range.lowerBound, chunk: first, exact: exact[first]).lowerBound
        let endLine = lines(at: max(range.lowerBound, range.upperBound - 1), chunk: last, exact: exact[last]).upperBound
        let chunk = chunks[first]
        return DocumentSentence(text: text, kind: kind, path: chunk.path, heading: chunk.heading, section: 0,
                                startLine: startLine, endLine: max(startLine, endLine), words: DocumentSentences.wordCount(text))
    }

    /// The document line of scalar `position` when the chunk maps lines exactly, else the chunk's whole range.
    private func lines(at position: Int, chunk index: Int, exact: Bool) -> ClosedRange<Int> {
        let chunk = chunks[index]
        let whole = chunk.startLine...max(chunk.startLine, chunk.endLine)
        guard exact else { return whole }
        let range = ranges[index]
        // Lines are counted from the chunk's first non-blank character (its `startLine`).
        var contentStart = range.lowerBound
        while contentStart < range.upperBound, CharacterSet.whitespacesAndNewlines.contains(scalars[contentStart]) { contentStart += 1 }
        var line = chunk.startLine
        var cursor = contentStart
        let stop = min(max(position, contentStart), range.upperBound)
        while cursor < stop {
            if scalars[cursor] == "\n" { line += 1 }
            cursor += 1
        }
        let clamped = min(max(line, chunk.startLine), chunk.endLine)
        return clamped...clamped
    }

    /// True when the chunk's non-blank text spans exactly `endLine - startLine + 1` lines: then its line k is document
    /// line `startLine + k`. (Loaders that rewrite the source, HTML and man pages, map many source lines to one.)
    static func mapsLinesExactly(_ chunk: ChunkRecord) -> Bool {
        let content = chunk.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !content.isEmpty else { return false }
        let lineCount = content.unicodeScalars.filter { $0 == "\n" }.count + 1
        return lineCount == chunk.endLine - chunk.startLine + 1
    }
}
