import Foundation

/// Plain text: paragraphs at blank lines, no headings.
public enum PlainTextLoader {
    public static func load(_ text: String) -> LoadedDocument {
        let bytes = Array(text.utf8)
        return LoadedDocument(text: text, blocks: ParagraphSplitter.blocks(in: bytes, range: 0..<bytes.count), format: .text)
    }
}

/// Source code: blocks at blank lines, each kept whole when it fits in a chunk.
public enum SourceCodeLoader {
    public static func load(_ text: String) -> LoadedDocument {
        let bytes = Array(text.utf8)
        return LoadedDocument(text: text, blocks: ParagraphSplitter.blocks(in: bytes, range: 0..<bytes.count, kind: .code),
                              format: .code)
    }
}

/// Markdown: ATX (`# Title`) and setext (`Title` over `===`/`---`) headings, fenced and indented code,
/// paragraphs at blank lines. The text stays the Markdown source, so lines are the file's lines.
public enum MarkdownLoader {
    public static func load(_ text: String) -> LoadedDocument {
        let bytes = Array(text.utf8)
        let lines = LineRanges.of(bytes)
        var blocks: [TextBlock] = []
        var paragraph: (start: Int, end: Int, lineCount: Int)?
        var fence: (marker: UInt8, length: Int, start: Int)?
        var indentedCode: (start: Int, end: Int)?

        func flushParagraph() {
            if let current = paragraph { blocks.append(TextBlock(kind: .paragraph, range: current.start..<current.end)) }
            paragraph = nil
        }
        func flushIndentedCode() {
            if let current = indentedCode { blocks.append(TextBlock(kind: .code, range: current.start..<current.end)) }
            indentedCode = nil
        }

        for line in lines {
            let content = bytes[line]
            let trimmedEnd = trimTrailingWhitespace(bytes, line)
            let indent = content.prefix(while: { $0 == 0x20 }).count

            if let open = fence {
                let body = content.dropFirst(indent)
                let run = body.prefix(while: { $0 == open.marker }).count
                if indent <= 3 && run >= open.length && body.dropFirst(run).allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    blocks.append(TextBlock(kind: .code, range: open.start..<trimmedEnd))
                    fence = nil
                }
                continue
            }
            let isBlank = trimmedEnd == line.lowerBound || content.allSatisfy { $0 == 0x20 || $0 == 0x09 }
            if isBlank {
                flushParagraph()
                continue
            }
            let body = content.dropFirst(indent)
            // Indented code: 4+ spaces or a tab, not continuing a paragraph.
            if paragraph == nil && (indent >= 4 || content.first == 0x09) {
                if indentedCode == nil { indentedCode = (line.lowerBound, trimmedEnd) } else { indentedCode!.end = trimmedEnd }
                continue
            }
            flushIndentedCode()
            if indent <= 3, let marker = body.first, marker == 0x60 || marker == 0x7E {
                let run = body.prefix(while: { $0 == marker }).count
                if run >= 3 {
                    flushParagraph()
                    fence = (marker, run, line.lowerBound)
                    continue
                }
            }
            if indent <= 3, body.first == 0x23 {
                let hashes = body.prefix(while: { $0 == 0x23 }).count
                let afterHashes = body.dropFirst(hashes)
                if hashes <= 6, afterHashes.isEmpty || afterHashes.first == 0x20 || afterHashes.first == 0x09 {
                    flushParagraph()
                    let title = headingTitle(String(decoding: afterHashes, as: UTF8.self))
                    blocks.append(TextBlock(kind: .heading(level: hashes, title: title), range: line.lowerBound..<trimmedEnd))
                    continue
                }
            }
            if indent <= 3, let current = paragraph, let marker = body.first, marker == 0x3D || marker == 0x2D,
               body.allSatisfy({ $0 == marker || $0 == 0x20 || $0 == 0x09 }) {
                let title = String(decoding: bytes[current.start..<current.end], as: UTF8.self)
                    .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                blocks.append(TextBlock(kind: .heading(level: marker == 0x3D ? 1 : 2, title: title),
                                        range: current.start..<trimmedEnd))
                paragraph = nil
                continue
            }
            if paragraph == nil {
                paragraph = (line.lowerBound + indent, trimmedEnd, 1)
            } else {
                paragraph!.end = trimmedEnd
                paragraph!.lineCount += 1
            }
        }
        if let open = fence, let last = lines.last {
            blocks.append(TextBlock(kind: .code, range: open.start..<max(open.start, trimTrailingWhitespace(bytes, last))))
        }
        flushParagraph()
        flushIndentedCode()
        blocks.sort { $0.range.lowerBound < $1.range.lowerBound }
        return LoadedDocument(text: text, blocks: blocks.filter { !$0.range.isEmpty }, format: .markdown)
    }

    /// `## Title ##` → `Title`.
    static func headingTitle(_ raw: String) -> String {
        var title = raw.trimmingCharacters(in: .whitespaces)
        while title.hasSuffix("#") { title.removeLast() }
        return title.trimmingCharacters(in: .whitespaces)
    }

    static func trimTrailingWhitespace(_ bytes: [UInt8], _ line: Range<Int>) -> Int {
        var end = line.upperBound
        while end > line.lowerBound, ParagraphSplitter.isASCIIWhitespace(bytes[end - 1]) { end -= 1 }
        return end
    }
}

/// Byte ranges of the lines of a text (without their `\n`).
public enum LineRanges {
    public static func of(_ bytes: [UInt8]) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            lines.append(start..<index)
            start = index + 1
        }
        if start < bytes.count { lines.append(start..<bytes.count) }
        return lines
    }
}
