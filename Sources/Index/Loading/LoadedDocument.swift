import Foundation

/// Which loader turned a file into text.
public enum DocumentFormat: String, Sendable, Codable, CaseIterable {
    case text, markdown, html, code, man, pdf
}

/// A structural piece of a loaded document: the chunker never splits inside one unless it must.
public struct TextBlock: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A heading; `level` 0 is the document title, 1…6 as in HTML/Markdown.
        case heading(level: Int, title: String)
        case paragraph
        /// Code or preformatted text: kept whole when it fits, else split at line ends.
        case code
    }

    public var kind: Kind
    /// UTF-8 byte offsets into `LoadedDocument.text`, end exclusive.
    public var range: Range<Int>

    public init(kind: Kind, range: Range<Int>) {
        self.kind = kind
        self.range = range
    }
}

/// A file as text plus its structure.
public struct LoadedDocument: Sendable {
    /// The extracted text (for plain text, Markdown and code: the file itself, decoded, with `\n` line ends).
    public var text: String
    /// In order, non-overlapping; together they hold every non-whitespace byte of `text`.
    public var blocks: [TextBlock]
    public var format: DocumentFormat
    /// `sourceLines[i]` is the 1-based line of the source file that line `i + 1` of `text` came from.
    /// nil when `text` keeps the file's lines (plain text, Markdown, code).
    public var sourceLines: [Int]?
    /// `pages[i]` is the 1-based PDF page that line `i + 1` of `text` is on; nil for other formats.
    public var pages: [Int]?
    /// How the bytes became text (clean UTF-8, UTF-8 with invalid bytes replaced, or Windows-1252).
    public var encoding: TextEncodingUsed = .utf8

    public init(text: String, blocks: [TextBlock], format: DocumentFormat, sourceLines: [Int]? = nil) {
        self.text = text
        self.blocks = blocks
        self.format = format
        self.sourceLines = sourceLines
    }

    /// The PDF pages of 1-based text lines `lines` (nil when the document has no pages).
    public func pageRange(ofTextLines lines: ClosedRange<Int>) -> ClosedRange<Int>? {
        guard let pages, !pages.isEmpty else { return nil }
        let first = pages[min(max(lines.lowerBound - 1, 0), pages.count - 1)]
        let last = pages[min(max(lines.upperBound - 1, 0), pages.count - 1)]
        return first...max(first, last)
    }

    /// The source-file line of 1-based text line `line`.
    public func sourceLine(ofTextLine line: Int) -> Int {
        guard let sourceLines, !sourceLines.isEmpty else { return line }
        return sourceLines[min(max(line - 1, 0), sourceLines.count - 1)]
    }
}

/// Splits text into blocks at blank lines.
public enum ParagraphSplitter {
    /// Blocks of `kind` for each run of non-blank lines in `bytes[range]`.
    public static func blocks(in bytes: [UInt8], range: Range<Int>, kind: TextBlock.Kind = .paragraph) -> [TextBlock] {
        var blocks: [TextBlock] = []
        var blockStart: Int?
        var lastContentEnd = range.lowerBound
        var lineStart = range.lowerBound
        var lineHasContent = false
        var index = range.lowerBound
        while index <= range.upperBound {
            let atEnd = index == range.upperBound
            let byte: UInt8 = atEnd ? 0x0A : bytes[index]
            if byte == 0x0A {
                if !lineHasContent, let start = blockStart {
                    blocks.append(TextBlock(kind: kind, range: start..<lastContentEnd))
                    blockStart = nil
                }
                lineStart = index + 1
                lineHasContent = false
            } else if !isASCIIWhitespace(byte) {
                if blockStart == nil { blockStart = lineHasContent ? lineStart : index }
                lineHasContent = true
                lastContentEnd = index + 1
            }
            index += 1
        }
        if let start = blockStart { blocks.append(TextBlock(kind: kind, range: start..<lastContentEnd)) }
        return blocks
    }

    @inline(__always)
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C || byte == 0x0B
    }
}
