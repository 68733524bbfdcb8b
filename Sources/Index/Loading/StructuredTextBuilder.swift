import Foundation

/// Builds extracted text block by block for loaders that rewrite their input (HTML, man pages):
/// collapses whitespace outside preformatted blocks, separates blocks with a blank line,
/// and remembers the source line of every output line.
struct StructuredTextBuilder {
    private(set) var bytes: [UInt8] = []
    private(set) var blocks: [TextBlock] = []
    /// sourceLines[i]: source line of output line i + 1.
    private(set) var sourceLines: [Int] = [1]
    /// The source line the parser is at; set it before appending.
    var sourceLine = 1

    private var lineHasContent = false
    private var blockKind: TextBlock.Kind = .paragraph
    private var blockStart: Int?
    private var contentEnd = 0
    private var pendingSpace = false
    private(set) var preformatted = false

    /// Ends the current block and starts one of `kind` (its text comes with later appends).
    mutating func startBlock(_ kind: TextBlock.Kind, preformatted: Bool = false) {
        endBlock()
        blockKind = kind
        self.preformatted = preformatted
    }

    /// Closes the current block (if it has text); what follows is a new paragraph.
    mutating func endBlock() {
        if let start = blockStart, start < contentEnd {
            var kind = blockKind
            if case .heading(let level, _) = kind {
                let title = String(decoding: bytes[start..<contentEnd], as: UTF8.self)
                    .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
                kind = .heading(level: level, title: title)
            }
            blocks.append(TextBlock(kind: kind, range: start..<contentEnd))
        }
        blockStart = nil
        blockKind = .paragraph
        pendingSpace = false
        preformatted = false
    }

    /// Appends text: whitespace runs collapse to one space (kept as-is when preformatted).
    mutating func append<Bytes: Sequence>(_ text: Bytes) where Bytes.Element == UInt8 {
        for byte in text { append(byte: byte) }
    }

    mutating func append(byte: UInt8) {
        let isSpace = ParagraphSplitter.isASCIIWhitespace(byte)
        if preformatted {
            if blockStart == nil && byte == 0x0A { return }   // a newline right after <pre> is not content
            if isSpace && blockStart == nil && byte != 0x20 && byte != 0x09 { return }
            emit(byte, isContent: !isSpace)
            return
        }
        if isSpace {
            if blockStart != nil { pendingSpace = true }
            return
        }
        if pendingSpace {
            pendingSpace = false
            emit(0x20, isContent: false)
        }
        emit(byte, isContent: true)
    }

    /// A forced line break inside the current block (`<br>`, `.br`).
    mutating func lineBreak() {
        guard blockStart != nil else { return }
        pendingSpace = false
        emit(0x0A, isContent: false)
    }

    /// Sets the space flag so the next word is separated (inline element boundaries such as table cells).
    mutating func softSpace() {
        if blockStart != nil { pendingSpace = true }
    }

    private mutating func emit(_ byte: UInt8, isContent: Bool) {
        if blockStart == nil {
            if !bytes.isEmpty {
                while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
                let trailingNewlines = bytes.reversed().prefix(while: { $0 == 0x0A }).count
                for _ in trailingNewlines..<2 { newline() }
            }
            blockStart = bytes.count
        }
        if byte == 0x0A {
            newline()
            return
        }
        bytes.append(byte)
        if !lineHasContent {
            sourceLines[sourceLines.count - 1] = sourceLine
            lineHasContent = true
        }
        if isContent { contentEnd = bytes.count }
    }

    private mutating func newline() {
        bytes.append(0x0A)
        sourceLines.append(sourceLine)
        lineHasContent = false
    }

    /// Finishes the document.
    mutating func finish(format: DocumentFormat) -> LoadedDocument {
        endBlock()
        let text = String(decoding: bytes, as: UTF8.self)
        return LoadedDocument(text: text, blocks: blocks, format: format, sourceLines: sourceLines)
    }
}
