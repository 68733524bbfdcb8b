import Foundation

/// HTML → text. Drops tags, comments, scripts, styles and navigation (`<nav>` and elements whose
/// class or id names a menu, table of contents, breadcrumb or sidebar); decodes character references;
/// keeps the title and h1–h6 as headings and `<pre>` as code blocks; block elements end paragraphs.
/// Line numbers in the result point back to the HTML source.
public enum HTMLLoader {
    public static func load(_ html: String) -> LoadedDocument {
        var parser = Parser(bytes: Array(html.utf8))
        parser.run()
        return parser.builder.finish(format: .html)
    }

    /// Elements whose text is never content.
    static let droppedElements: Set<String> = [
        "nav", "noscript", "template", "select", "button", "iframe", "object", "svg", "math", "form", "head",
    ]
    /// Elements whose content is raw text up to their end tag.
    static let rawTextElements: Set<String> = ["script", "style"]
    /// Words in a class or id that mark navigation.
    static let navigationWords: Set<String> = [
        "nav", "navbar", "navigation", "menu", "mainmenu", "submenu", "searchmenu", "toc", "breadcrumb", "breadcrumbs",
        "sidebar", "skip", "skiplink",
    ]
    static let voidElements: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    ]
    static let blockElements: Set<String> = [
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "dir", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "hr", "html", "li", "main", "menu",
        "ol", "p", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
    ]

    struct Tag {
        var name: String
        var isEnd: Bool
        var selfClosing: Bool
        var classAndID: String
    }

    struct Parser {
        let bytes: [UInt8]
        var builder = StructuredTextBuilder()
        var index = 0
        /// Line counting: `line` is the 1-based line of `lineScanned`.
        var line = 1
        var lineScanned = 0
        /// While inside a dropped element: its name and nesting depth.
        var dropping: (name: String, depth: Int)?
        var inTitle = false
        var title: [UInt8] = []
        var titleLine = 1

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func syncLine(to position: Int) {
            while lineScanned < position {
                if bytes[lineScanned] == 0x0A { line += 1 }
                lineScanned += 1
            }
            builder.sourceLine = line
        }

        mutating func run() {
            let end = bytes.count
            while index < end {
                let byte = bytes[index]
                if byte == 0x3C, let next = tagOrMarkup() {   // '<'
                    index = next
                    continue
                }
                if dropping != nil { index += 1; continue }
                if byte == 0x26, let (utf8, next) = HTMLEntities.decode(bytes, at: index, end: end) {   // '&'
                    syncLine(to: index)
                    appendText(utf8)
                    index = next
                    continue
                }
                syncLine(to: index)
                appendText(CollectionOfOne(byte))
                index += 1
            }
            flushTitle()
        }

        mutating func appendText<Bytes: Sequence>(_ text: Bytes) where Bytes.Element == UInt8 {
            if inTitle { title.append(contentsOf: text) } else { builder.append(text) }
        }

        /// Handles markup at `index` ('<'); returns the index after it, or nil when '<' is literal text.
        mutating func tagOrMarkup() -> Int? {
            let end = bytes.count
            let next = index + 1
            guard next < end else { return nil }
            if bytes[next] == 0x21 {   // '<!'
                if startsWith("<!--", at: index) {
                    return find("-->", from: index + 4).map { $0 + 3 } ?? end
                }
                if startsWith("<![CDATA[", at: index) {
                    let close = find("]]>", from: index + 9) ?? end
                    if dropping == nil { syncLine(to: index); appendText(bytes[(index + 9)..<close]) }
                    return min(end, close + 3)
                }
                return skipPast(0x3E, from: next)
            }
            if bytes[next] == 0x3F { return skipPast(0x3E, from: next) }   // '<?'
            let isEnd = bytes[next] == 0x2F
            let nameStart = isEnd ? next + 1 : next
            guard nameStart < end, isLetter(bytes[nameStart]) else { return nil }
            let (tag, after) = parseTag(nameStart: nameStart, isEnd: isEnd)
            syncLine(to: index)
            handle(tag)
            if !tag.isEnd, HTMLLoader.rawTextElements.contains(tag.name) {
                // Skip script/style bodies up to their end tag.
                let close = findCaseInsensitive("</" + tag.name, from: after) ?? end
                return close < end ? skipPast(0x3E, from: close) : end
            }
            return after
        }

        mutating func handle(_ tag: Tag) {
            let name = tag.name
            if var current = dropping {
                if name == current.name && !HTMLLoader.voidElements.contains(name) {
                    if tag.isEnd { current.depth -= 1 } else if !tag.selfClosing { current.depth += 1 }
                }
                dropping = current.depth > 0 ? current : nil
                return
            }
            if name == "title" {
                if tag.isEnd { inTitle = false } else { inTitle = true; titleLine = line }
                return
            }
            if !tag.isEnd, !tag.selfClosing, !HTMLLoader.voidElements.contains(name), isDropped(tag) {
                if name == "head" { return }   // the title inside <head> is kept; nothing else there is text
                dropping = (name, 1)
                return
            }
            if name.count == 2, name.first == "h", let level = Int(String(name.last!)), (1...6).contains(level) {
                if tag.isEnd { builder.endBlock() } else { flushTitle(); builder.startBlock(.heading(level: level, title: "")) }
                return
            }
            switch name {
            case "pre", "listing", "xmp", "plaintext":
                if tag.isEnd { builder.endBlock() } else { flushTitle(); builder.startBlock(.code, preformatted: true) }
            case "br":
                builder.lineBreak()
            case "td", "th":
                builder.softSpace()
            default:
                if HTMLLoader.blockElements.contains(name) {
                    if builder.preformatted { return }
                    flushTitle()
                    builder.endBlock()
                }
            }
        }

        /// Emits the document title (from `<title>`) as the level-0 heading, once, before the body.
        mutating func flushTitle() {
            guard !title.isEmpty else { return }
            let saved = builder.sourceLine
            builder.sourceLine = titleLine
            builder.startBlock(.heading(level: 0, title: ""))
            builder.append(title)
            builder.endBlock()
            builder.sourceLine = saved
            title = []
            inTitle = false
        }

        func isDropped(_ tag: Tag) -> Bool {
            if HTMLLoader.droppedElements.contains(tag.name) { return true }
            if tag.classAndID.isEmpty { return false }
            let words = tag.classAndID.lowercased().split(whereSeparator: { !$0.isLetter })
            return words.contains { HTMLLoader.navigationWords.contains(String($0)) }
        }

        /// Parses `<name attr=value ...>`; returns the tag and the index after '>'.
        func parseTag(nameStart: Int, isEnd: Bool) -> (Tag, Int) {
            let end = bytes.count
            var position = nameStart
            while position < end, isNameByte(bytes[position]) { position += 1 }
            let name = String(decoding: bytes[nameStart..<position], as: UTF8.self).lowercased()
            var classAndID = ""
            var selfClosing = false
            while position < end, bytes[position] != 0x3E {
                let byte = bytes[position]
                if byte == 0x2F { selfClosing = true; position += 1; continue }
                if ParagraphSplitter.isASCIIWhitespace(byte) { position += 1; continue }
                // Attribute name.
                let attributeStart = position
                while position < end, !ParagraphSplitter.isASCIIWhitespace(bytes[position]),
                      bytes[position] != 0x3D, bytes[position] != 0x3E, bytes[position] != 0x2F {
                    position += 1
                }
                let attribute = String(decoding: bytes[attributeStart..<position], as: UTF8.self).lowercased()
                selfClosing = false
                while position < end, ParagraphSplitter.isASCIIWhitespace(bytes[position]) { position += 1 }
                guard position < end, bytes[position] == 0x3D else {
                    if position == attributeStart { position += 1 }
                    continue
                }
                position += 1
                while position < end, ParagraphSplitter.isASCIIWhitespace(bytes[position]) { position += 1 }
                var valueStart = position, valueEnd = position
                if position < end, bytes[position] == 0x22 || bytes[position] == 0x27 {
                    let quote = bytes[position]
                    valueStart = position + 1
                    position = valueStart
                    while position < end, bytes[position] != quote { position += 1 }
                    valueEnd = position
                    if position < end { position += 1 }
                } else {
                    while position < end, !ParagraphSplitter.isASCIIWhitespace(bytes[position]), bytes[position] != 0x3E {
                        position += 1
                    }
                    valueEnd = position
                }
                if attribute == "class" || attribute == "id" {
                    classAndID += " " + String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
                }
            }
            return (Tag(name: name, isEnd: isEnd, selfClosing: selfClosing, classAndID: classAndID), min(end, position + 1))
        }

        func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func isNameByte(_ byte: UInt8) -> Bool {
            isLetter(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x3A || byte == 0x5F
        }

        func startsWith(_ literal: String, at position: Int) -> Bool {
            let pattern = Array(literal.utf8)
            guard position + pattern.count <= bytes.count else { return false }
            for offset in pattern.indices where bytes[position + offset] != pattern[offset] { return false }
            return true
        }

        func find(_ literal: String, from start: Int) -> Int? {
            let pattern = Array(literal.utf8)
            guard pattern.count <= bytes.count else { return nil }
            var position = start
            while position + pattern.count <= bytes.count {
                if bytes[position] == pattern[0] && startsWith(literal, at: position) { return position }
                position += 1
            }
            return nil
        }

        func findCaseInsensitive(_ literal: String, from start: Int) -> Int? {
            let pattern = Array(literal.lowercased().utf8)
            var position = start
            while position + pattern.count <= bytes.count {
                var matches = true
                for offset in pattern.indices {
                    var byte = bytes[position + offset]
                    if (0x41...0x5A).contains(byte) { byte += 0x20 }
                    if byte != pattern[offset] { matches = false; break }
                }
                if matches { return position }
                position += 1
            }
            return nil
        }

        func skipPast(_ terminator: UInt8, from start: Int) -> Int {
            var position = start
            while position < bytes.count, bytes[position] != terminator { position += 1 }
            return min(bytes.count, position + 1)
        }
    }
}
