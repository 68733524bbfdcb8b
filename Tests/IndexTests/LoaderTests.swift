import Foundation
import Index
import XCTest

final class LoaderTests: XCTestCase {
    // MARK: - Decoding

    func testBinaryDetection() {
        XCTAssertTrue(TextDecoding.looksBinary([0x50, 0x4B, 0x03, 0x04, 0x00, 0x10]))
        XCTAssertTrue(TextDecoding.looksBinary((0..<200).map { UInt8($0 % 8 + 1) }), "mostly control bytes")
        XCTAssertFalse(TextDecoding.looksBinary(Array("plain text\twith tabs\r\nand lines\n".utf8)))
        XCTAssertFalse(TextDecoding.looksBinary(Array("ünïcödé ✓ 日本".utf8)))
        XCTAssertFalse(TextDecoding.looksBinary([]))
    }

    func testLatin1FallbackBOMAndLineEnds() {
        let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9, 0x0D, 0x0A, 0x6E, 0x61, 0xEF, 0x76, 0x65, 0x0D, 0x65, 0x6E, 0x64]
        let decoded = TextDecoding.decode(latin1)
        XCTAssertEqual(decoded.encoding, .windows1252)
        XCTAssertEqual(decoded.text, "café\nnaïve\nend")
        let utf8 = TextDecoding.decode([0xEF, 0xBB, 0xBF] + Array("héllo\r\nworld".utf8))
        XCTAssertEqual(utf8.encoding, .utf8)
        XCTAssertEqual(utf8.text, "héllo\nworld")
    }

    func testOneInvalidByteIsRepairedInPlaceNotLatin1() {
        // "résumé café" in UTF-8 with one stray 0xFF: the accents stay, the bad byte becomes U+FFFD.
        let bytes = Array("résumé ".utf8) + [0xFF] + Array(" café".utf8)
        let decoded = TextDecoding.decode(bytes)
        XCTAssertEqual(decoded.encoding, .utf8Repaired(invalidSequences: 1))
        XCTAssertEqual(decoded.text, "résumé \u{FFFD} café")
    }

    func testWindows1252PunctuationInLegacyFiles() {
        // 0x93/0x94 are curly quotes in Windows-1252; 0xE9 is é.
        let decoded = TextDecoding.decode([0x93, 0x63, 0x61, 0x66, 0xE9, 0x94])
        XCTAssertEqual(decoded.encoding, .windows1252)
        XCTAssertEqual(decoded.text, "\u{201C}café\u{201D}")
    }

    // MARK: - Plain text and Markdown

    func testPlainTextParagraphs() {
        let document = PlainTextLoader.load("First line\nsecond line\n\n\nSecond para.\n   \nThird.")
        XCTAssertEqual(document.format, .text)
        XCTAssertEqual(document.blocks.map { text(of: $0, in: document) }, ["First line\nsecond line", "Second para.", "Third."])
    }

    func testMarkdownStructure() {
        let markdown = """
        Title
        =====

        Some *text* here.

        Sub title
        ---------

        ## ATX heading ##

        ```python
        # not a heading
        print("hi")
        ```

            indented code

        - item one
        - item two
        """
        let document = MarkdownLoader.load(markdown)
        let kinds = document.blocks.map(\.kind)
        XCTAssertEqual(kinds, [.heading(level: 1, title: "Title"), .paragraph, .heading(level: 2, title: "Sub title"),
                               .heading(level: 2, title: "ATX heading"), .code, .code, .paragraph])
        XCTAssertEqual(text(of: document.blocks[4], in: document), "```python\n# not a heading\nprint(\"hi\")\n```")
        XCTAssertEqual(document.text, markdown, "Markdown keeps its source text")
        XCTAssertNil(document.sourceLines)
    }

    func testMarkdownUnclosedFenceRunsToEnd() {
        let document = MarkdownLoader.load("# H\n\n```\ncode\n# still code\n")
        XCTAssertEqual(document.blocks.map(\.kind), [.heading(level: 1, title: "H"), .code])
    }

    // MARK: - HTML

    func testHTMLRemovesMarkupKeepsStructure() {
        let html = """
        <!DOCTYPE html>
        <html><head><title>The &amp; Title</title>
        <style>body { color: red; }</style>
        <script>var x = "<p>not text</p>";</script>
        </head>
        <body>
        <nav><ul><li><a href="/">Home</a></li><li>About</li></ul></nav>
        <div class="menu mainmenu"><div>Menu item</div></div>
        <div class="tagline">Small. Fast.</div>
        <h1 id="intro">Intro&shy;duction</h1>
        <p>Caf&eacute; &lt;tag&gt; &#169; &#x2014; done&nbsp;here.<br>Next line.</p>
        <!-- a comment -->
        <h2>Code</h2>
        <pre>
        let a = 1
            indented &amp; kept
        </pre>
        <table><tr><td>cell one</td><td>cell two</td></tr></table>
        <p>Unknown &bogus; entity and &#0; null</p>
        <footer>Copyright notice</footer>
        </body></html>
        """
        let document = HTMLLoader.load(html)
        XCTAssertEqual(document.format, .html)
        let text = document.text
        for banned in ["Home", "About", "Menu item", "Small. Fast.", "Copyright notice", "color: red", "not text", "a comment", "<", "href"] where banned != "<" {
            XCTAssertFalse(text.contains(banned), "\(banned) should be gone")
        }
        XCTAssertTrue(text.contains("Café <tag> © — done here.\nNext line."))
        XCTAssertTrue(text.contains("let a = 1\n    indented & kept"))
        XCTAssertTrue(text.contains("cell one cell two"))
        XCTAssertTrue(text.contains("Unknown &bogus; entity and \u{FFFD} null"))
        let headings = document.blocks.compactMap { block -> String? in
            if case .heading(let level, let title) = block.kind { return "\(level):\(title)" }
            return nil
        }
        XCTAssertEqual(headings, ["0:The & Title", "1:Introduction", "2:Code"])
        XCTAssertTrue(document.blocks.contains { $0.kind == .code })
        // Line numbers point back into the HTML source; the title sits where the body text starts (the <h1>).
        XCTAssertEqual(document.sourceLine(ofTextLine: 1), 10)
        let lineOfCafe = text.prefix(upTo: text.range(of: "Café")!.lowerBound).filter { $0 == "\n" }.count + 1
        XCTAssertEqual(document.sourceLine(ofTextLine: lineOfCafe), 11)
        let lineOfCell = text.prefix(upTo: text.range(of: "cell one")!.lowerBound).filter { $0 == "\n" }.count + 1
        XCTAssertEqual(document.sourceLine(ofTextLine: lineOfCell), 18)
    }

    func testHTMLRealSQLiteDocumentation() throws {
        let path = "/usr/share/doc/sqlite3/lang_select.html"
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("Debian sqlite3-doc is not installed (\(path) missing)")
        }
        let html = TextDecoding.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).text
        let document = HTMLLoader.load(html)
        XCTAssertFalse(document.text.contains("toggle_div"), "scripts are removed")
        XCTAssertFalse(document.text.contains("Search Documentation"), "the search form is removed")
        XCTAssertFalse(document.text.contains("Table Of Contents"), "the table of contents is navigation")
        XCTAssertTrue(document.text.contains("SELECT"))
        let headings = document.blocks.compactMap { block -> String? in
            if case .heading(_, let title) = block.kind { return title }
            return nil
        }
        XCTAssertEqual(headings.first, "SELECT")
        XCTAssertTrue(headings.contains { $0.contains("Overview") })
        XCTAssertTrue(headings.contains { $0.contains("The LIMIT clause") })
        let chunks = Chunker(counter: FakeTokenCounter()).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: FakeTokenCounter())
    }

    // MARK: - Man pages

    static let roff = #"""
    .\" A comment
    .TH RAGTEST 1 "2024" "rag" "User Commands"
    .SH NAME
    ragtest \- test a \fBman\fP page loader
    .SH SYNOPSIS
    .B ragtest
    [\fIOPTION\fR]... \fIFILE\fR
    .SH DESCRIPTION
    .PP
    The loader renders escapes: \(em dash, \(co copyright, \e backslash.
    .TP
    .BR \-v ", " \-\-verbose
    Print more.
    .SS Example
    .nf
    ragtest \-v file
      indented line
    .fi
    Back to filling.
    """#

    func testManPage() {
        XCTAssertTrue(ManPageLoader.looksLikeRoff(Self.roff))
        let document = ManPageLoader.load(Self.roff)
        XCTAssertEqual(document.format, .man)
        let headings = document.blocks.compactMap { block -> String? in
            if case .heading(let level, let title) = block.kind { return "\(level):\(title)" }
            return nil
        }
        XCTAssertEqual(headings, ["0:RAGTEST(1)", "1:NAME", "1:SYNOPSIS", "1:DESCRIPTION", "2:Example"])
        XCTAssertTrue(document.text.contains("ragtest - test a man page loader"))
        XCTAssertTrue(document.text.contains("ragtest [OPTION]... FILE"))
        XCTAssertTrue(document.text.contains("— dash, © copyright, \\ backslash."))
        XCTAssertTrue(document.text.contains("-v, --verbose\nPrint more."))
        XCTAssertTrue(document.text.contains("ragtest -v file\n  indented line"))
        XCTAssertFalse(document.text.contains("A comment"))
        XCTAssertFalse(document.text.contains("\\f"))
        XCTAssertTrue(document.blocks.contains { $0.kind == .code })
        let line = document.text.prefix(upTo: document.text.range(of: "Print more.")!.lowerBound).filter { $0 == "\n" }.count + 1
        XCTAssertEqual(document.sourceLine(ofTextLine: line), 13)
    }

    func testGzippedManPageThroughLoader() throws {
        let loader = DocumentLoader()
        guard loader.gzipPath != nil else { throw XCTSkip("gzip is not installed") }
        let scratch = try ScratchDirectory()
        let plain = try scratch.write("ragtest.1", Self.roff)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: loader.gzipPath!)
        gzip.arguments = ["-9", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = plain + ".gz"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: compressed)))
        guard case .loaded(let document) = loader.load(name: "ragtest.1.gz", path: compressed, bytes: bytes) else {
            return XCTFail("gzipped man page should load")
        }
        XCTAssertEqual(document.format, .man)
        XCTAssertTrue(document.text.contains("Print more."))

        let corrupt = try scratch.write("broken.1.gz", bytes: [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02])
        guard case .skipped(.conversionFailed) = loader.load(name: "broken.1.gz", path: corrupt, bytes: [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02]) else {
            return XCTFail("a corrupt .gz is skipped with a reason")
        }
    }

    func testRealManPages() throws {
        let loader = DocumentLoader()
        let candidates = ["grep.1.gz", "gzip.1.gz", "sqlite3.1.gz", "tar.1.gz"].map { "/usr/share/man/man1/" + $0 }
            .filter { FileManager.default.fileExists(atPath: $0) }
        guard !candidates.isEmpty, loader.gzipPath != nil else { throw XCTSkip("no man pages installed in /usr/share/man/man1") }
        for path in candidates {
            let name = (path as NSString).lastPathComponent
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            guard case .loaded(let document) = loader.load(name: name, path: path, bytes: bytes) else {
                return XCTFail("\(name) should load")
            }
            XCTAssertEqual(document.format, .man, name)
            let headings = document.blocks.compactMap { block -> String? in
                if case .heading(_, let title) = block.kind { return title }
                return nil
            }
            XCTAssertTrue(headings.first?.hasPrefix(name.split(separator: ".")[0].uppercased()) ?? false, "\(name): \(headings.prefix(3))")
            XCTAssertTrue(headings.contains("NAME") && headings.contains("DESCRIPTION"), "\(name): \(headings)")
            XCTAssertFalse(document.text.contains("\\f"), "\(name): font escapes are rendered")
            XCTAssertFalse(document.text.contains("\n.SH"), name)
            let chunks = Chunker(counter: FakeTokenCounter()).chunk(document)
            assertChunkInvariants(chunks, of: document, counter: FakeTokenCounter())
        }
    }

    // MARK: - Dispatch, source code, PDF

    func testDispatchByNameAndContent() {
        let loader = DocumentLoader(pdftotextPath: nil)
        func format(_ name: String, _ content: String) -> DocumentFormat? {
            if case .loaded(let document) = loader.load(name: name, path: "/nonexistent/" + name, bytes: Array(content.utf8)) {
                return document.format
            }
            return nil
        }
        XCTAssertEqual(format("notes.md", "# x"), .markdown)
        XCTAssertEqual(format("page.HTM", "<p>x</p>"), .html)
        XCTAssertEqual(format("main.swift", "let x = 1"), .code)
        XCTAssertEqual(format("README", "hello"), .text)
        XCTAssertEqual(format("page", "<!doctype html><html><body>x</body></html>"), .html)
        XCTAssertEqual(format("ls.1", Self.roff), .man)
        XCTAssertEqual(format("noext", Self.roff), .man)
        guard case .skipped(.unsupportedType("png")) = loader.load(name: "a.png", path: "/x/a.png", bytes: [0x89, 0x50]) else {
            return XCTFail("images are skipped by type")
        }
        guard case .skipped(.binary) = loader.load(name: "blob", path: "/x/blob", bytes: [0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01]) else {
            return XCTFail("binary content is skipped")
        }
        guard case .skipped(.pdftotextMissing) = loader.load(name: "a.pdf", path: "/x/a.pdf", bytes: Array("%PDF-1.4".utf8)) else {
            return XCTFail("PDF without pdftotext is skipped with a hint")
        }
        XCTAssertTrue(SkipReason.pdftotextMissing.description.contains("poppler-utils"))
    }

    func testSourceCodeBlocksAreCode() {
        let document = SourceCodeLoader.load("import Foundation\n\nfunc a() {\n    1\n}\n\nfunc b() {}\n")
        XCTAssertEqual(document.blocks.count, 3)
        XCTAssertTrue(document.blocks.allSatisfy { $0.kind == .code })
    }

    func testPDFThroughPdftotext() throws {
        let loader = DocumentLoader()
        guard loader.pdftotextPath != nil else { throw XCTSkip("pdftotext is not installed (poppler-utils)") }
        let scratch = try ScratchDirectory()
        let path = try scratch.write("hello.pdf", bytes: Self.minimalPDF(text: "Hello from a PDF page"))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard case .loaded(let document) = loader.load(name: "hello.pdf", path: path, bytes: bytes) else {
            return XCTFail("the PDF should load")
        }
        XCTAssertEqual(document.format, .pdf)
        XCTAssertTrue(document.text.contains("Hello from a PDF page"), document.text)
        // Through the bounded read path, pdftotext reads the open file on its standard input.
        guard case .opened(let file) = SourceFile.load(path: path, limit: 1 << 20, root: nil),
              case .loaded(let streamed) = loader.load(name: "hello.pdf", file: file, limit: 1 << 20) else {
            return XCTFail("the PDF should load from its open descriptor")
        }
        XCTAssertEqual(streamed.text, document.text)
        guard case .skipped(.outputTooLarge(source: "pdftotext output", limit: 4)) = loader.load(name: "hello.pdf", file: file, limit: 4) else {
            return XCTFail("pdftotext output over the limit is a skip naming the limit")
        }
    }

    /// A one-page PDF with one line of Helvetica text, xref offsets computed.
    static func minimalPDF(text: String) -> [UInt8] {
        let stream = "BT /F1 18 Tf 72 700 Td (\(text)) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var pdf = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(pdf.utf8.count)
            pdf += "\(index + 1) 0 obj\n\(body)\nendobj\n"
        }
        let xref = pdf.utf8.count
        pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { pdf += String(format: "%010d 00000 n \n", offset) }
        pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(pdf.utf8)
    }

    private func text(of block: TextBlock, in document: LoadedDocument) -> String {
        String(decoding: Array(document.text.utf8)[block.range], as: UTF8.self)
    }
}
