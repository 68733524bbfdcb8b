import Foundation
import Index
import XCTest

/// PDF pages: each chunk keeps the pages it comes from (pdftotext ends every page with a form feed), and a PDF
/// without a text layer is skipped with that reason. Needs pdftotext (poppler-utils); skipped without it.
final class PDFPagesTests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        guard DocumentLoader().pdftotextPath != nil else { throw XCTSkip("pdftotext is not installed (apt install poppler-utils)") }
        scratch = try ScratchDirectory()
    }

    override func tearDown() { scratch = nil }

    /// A minimal PDF, one page per entry of `pages` (each a line of text; "" for a page without text).
    static func pdf(pages: [String]) -> [UInt8] {
        var objects: [String] = []
        let pageIDs = pages.indices.map { 4 + 2 * $0 }
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        objects.append("<< /Type /Pages /Kids [\(pageIDs.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        for (index, text) in pages.enumerated() {
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents \(pageIDs[index] + 1) 0 R "
                           + "/Resources << /Font << /F1 3 0 R >> >> >>")
            let stream = text.isEmpty ? "" : "BT /F1 12 Tf 72 720 Td (\(text)) Tj ET"
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
        }
        var output = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(output.utf8.count)
            output += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = output.utf8.count
        output += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { output += String(format: "%010d 00000 n \n", offset) }
        output += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(output.utf8)
    }

    func testChunksKeepTheirPages() throws {
        try scratch.write("docs/manual.pdf", bytes: Self.pdf(pages: ["Rivers carry water to the sea.", "",
                                                                     "Mountains rise above the clouds."]))
        let loaded = DocumentLoader().load(name: "manual.pdf", path: scratch.subpath("docs/manual.pdf"),
                                           bytes: Self.pdf(pages: ["Rivers carry water to the sea.", "", "Mountains rise above the clouds."]))
        guard case .loaded(let document) = loaded else { return XCTFail("not loaded: \(loaded)") }
        let lines = document.text.split(separator: "\n", omittingEmptySubsequences: false)
        let rivers = try XCTUnwrap(lines.firstIndex { $0.contains("Rivers") }) + 1
        let mountains = try XCTUnwrap(lines.firstIndex { $0.contains("Mountains") }) + 1
        XCTAssertEqual(document.pageRange(ofTextLines: rivers...rivers), 1...1)
        XCTAssertEqual(document.pageRange(ofTextLines: mountains...mountains), 3...3)

        let databasePath = scratch.subpath("index.sqlite")
        let pipeline = IngestPipeline(store: try IndexStore(path: databasePath, mode: .readWrite), embedder: FakeEmbedder(),
                                      counter: FakeTokenCounter())
        XCTAssertEqual(try pipeline.run(roots: [scratch.subpath("docs")]).added, 1)
        let store = try IndexStore(path: databasePath, mode: .readOnly)
        let chunks = try store.chunks(documentID: try XCTUnwrap(try store.documents().first).id)
        XCTAssertEqual(chunks.first?.pageStart, 1)
        XCTAssertEqual(chunks.last?.pageEnd, 3)
    }

    func testAPDFWithoutTextIsSkippedWithThatReason() throws {
        let path = try scratch.write("scan.pdf", bytes: Self.pdf(pages: ["", ""]))
        let outcome = DocumentLoader().load(name: "scan.pdf", path: path, bytes: Self.pdf(pages: ["", ""]))
        guard case .skipped(let reason) = outcome else { return XCTFail("a PDF without text is not a document") }
        XCTAssertEqual(reason, .noTextLayer)
        XCTAssertEqual(reason.key, "no_text_layer")
    }

    func testOtherFormatsHaveNoPages() throws {
        guard case .loaded(let document) = DocumentLoader().load(name: "a.txt", path: "a.txt", bytes: Array("text".utf8)) else {
            return XCTFail("not loaded")
        }
        XCTAssertNil(document.pageRange(ofTextLines: 1...1))
    }
}
