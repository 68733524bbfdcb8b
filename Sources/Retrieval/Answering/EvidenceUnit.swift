import Foundation

/// One candidate piece of evidence: a sentence, a list item, or a table row read with its header, cut from a
/// retrieved chunk, with the lines it covers.
public struct EvidenceUnit: Sendable {
    public var text: String
    /// The chunk it was cut from, and that chunk's rank in retrieval (0 = best).
    public var chunk: ChunkRecord
    public var chunkRank: Int
    /// The chunk's fused retrieval score and cosine similarity with the question.
    public var chunkScore: Double
    public var chunkDense: Double
    /// 1-based inclusive lines of the document it covers (the chunk's lines when they cannot be told apart).
    public var startLine: Int
    public var endLine: Int
    /// The unit just before it in the chunk (empty for the first): context that a pronoun may point to.
    public var previous: String
    /// Position among the chunk's units (0 = first).
    public var position: Int
    /// Sentences (or rows, items) it joins: 1, or up to `EvidenceUnits.maximumSpan` for a sentence read with the
    /// ones after it.
    public var span = 1

    public var path: String { chunk.path }
    public var heading: String { chunk.heading }
}

/// Cuts chunks into evidence units. Lines are the first cut (list items, table rows, code lines and
/// paragraphs stay apart; a hard-wrapped paragraph is joined back first, `logicalLines`); a paragraph is then cut
/// into sentences. A Markdown table row becomes one unit naming its columns (`MarkdownTableRows`); a short label
/// line ("r_offset", "Default:") is carried into the sentence after it. Units of fewer than two content terms are
/// dropped; very long ones are cut into windows. Last, each unit is also offered with the next (`joined`).
public enum EvidenceUnits {
    /// Longest unit in words; longer runs are cut into windows of this size.
    static let maximumWords = 60
    /// Most consecutive units read as one (a sentence with the ones after it).
    static let maximumSpan = 2

    public static func split(_ chunk: ChunkRecord, rank: Int, score: Double, dense: Double) -> [EvidenceUnit] {
        let rawLines = chunk.text.components(separatedBy: "\n")
        // Chunk lines map to document lines only when the chunk's text has exactly its line span.
        let linesKnown = rawLines.count == chunk.endLine - chunk.startLine + 1
        var units: [EvidenceUnit] = []
        var label: String? = nil
        var tableHeader: [String]? = nil
        var previous = ""
        let logical = logicalLines(rawLines)
        func logicalNext(_ offset: Int) -> String { offset + 1 < logical.count ? logical[offset + 1].text : "" }
        func append(_ text: String, line: (Int, Int)?) {
            let words = text.split(separator: " ", omittingEmptySubsequences: true)
            var pieces: [String] = []
            if words.count > maximumWords {
                var start = 0
                while start < words.count {
                    pieces.append(words[start..<min(words.count, start + maximumWords)].joined(separator: " "))
                    start += maximumWords
                }
            } else {
                pieces = [text]
            }
            for piece in pieces where Terms.of(piece).count >= 2 {
                units.append(EvidenceUnit(text: piece, chunk: chunk, chunkRank: rank, chunkScore: score, chunkDense: dense,
                                          startLine: line?.0 ?? chunk.startLine, endLine: line?.1 ?? chunk.endLine,
                                          previous: previous, position: units.count))
                previous = piece
            }
        }
        for (offset, paragraph) in logical.enumerated() {
            let line = paragraph.text
            let lineNumber: (Int, Int)? = linesKnown ? (chunk.startLine + paragraph.first, chunk.startLine + paragraph.last) : nil
            if line.isEmpty { label = nil; tableHeader = nil; continue }
            // Markdown tables: header + separator, then rows read with the header.
            if let cells = MarkdownTableRows.cells(of: line) {
                if MarkdownTableRows.isSeparator(cells) { continue }
                if let next = MarkdownTableRows.cells(of: logicalNext(offset)),
                   MarkdownTableRows.isSeparator(next) {
                    tableHeader = cells
                    continue
                }
                let row = MarkdownTableRows.sentence(row: cells, header: tableHeader)
                append(row, line: lineNumber)
                continue
            }
            if line.hasPrefix("#") { label = nil; continue }   // a heading: the chunk's heading carries it
            let isLabel = line.split(separator: " ").count <= 6 && !".!?:;".contains(line.last!) && !logicalNext(offset).isEmpty
            if isLabel, Terms.of(line).count <= 4 {
                label = line
                continue
            }
            var splitter = SentenceSplitter()
            var sentences = splitter.feed(line + " ")
            if let rest = splitter.finish() { sentences.append(rest) }
            for (index, sentence) in sentences.enumerated() {
                var text = sentence.trimmingCharacters(in: .whitespaces)
                if index == 0, let carried = label { text = carried.trimmingCharacters(in: CharacterSet(charactersIn: ":")) + ": " + text }
                append(text, line: lineNumber)
            }
            label = nil
        }
        return joined(units)
    }

    /// Lines with hard-wrapped paragraphs joined: a line is continued by the next when that one starts with a
    /// lowercase letter (and neither is blank, a table row, a list item or a heading). Each logical line keeps the
    /// offsets of its first and last physical line in the chunk.
    static func logicalLines(_ rawLines: [String]) -> [(text: String, first: Int, last: Int)] {
        func isBlock(_ line: String) -> Bool {
            line.isEmpty || line.hasPrefix("|") || line.hasPrefix("#") || line.hasPrefix("- ") || line.hasPrefix("* ")
        }
        var result: [(text: String, first: Int, last: Int)] = []
        for (offset, raw) in rawLines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if let previous = result.last, !isBlock(previous.text), !isBlock(line), line.first?.isLowercase == true,
               previous.last == offset - 1 {
                result[result.count - 1] = (previous.text + " " + line, previous.first, offset)
            } else {
                result.append((line, offset, offset))
            }
        }
        return result
    }

    /// Every unit is also offered together with the next one (`span` 2) when both fit `maximumWords`, so that an
    /// answer stated a sentence after its topic sentence can be quoted whole (windows of three were measured on
    /// dev: no more questions answered right, fewer refused, longer quotes). A unit
    /// that ends with a colon introduces what follows ("use the following command:"): it is only offered with it.
    static func joined(_ units: [EvidenceUnit]) -> [EvidenceUnit] {
        func window(_ run: ArraySlice<EvidenceUnit>) -> EvidenceUnit? {
            guard run.reduce(0, { $0 + $1.text.split(separator: " ").count }) <= maximumWords, var joined = run.first else { return nil }
            joined.text = run.map(\.text).joined(separator: " ")
            joined.startLine = run.map(\.startLine).min()!
            joined.endLine = run.map(\.endLine).max()!
            joined.span = run.count
            return joined
        }
        var result: [EvidenceUnit] = []
        for index in units.indices {
            let introduces = units[index].text.hasSuffix(":") && index + 1 < units.count
            if !introduces { result.append(units[index]) }
            for span in 2...maximumSpan where index + span <= units.count {
                if let joined = window(units[index..<(index + span)]) { result.append(joined) }
            }
        }
        return result
    }
}
