import XCTest
@testable import Retrieval

final class MarkdownTableRowsTests: XCTestCase {
    let table = """
    The intro line.
    | format | bytes per weight | 7B model |
    |---|:---:|---|
    | FP32 | 4 | 28 GB |
    | FP16 / BF16 | 2 | 14 GB |

    After the table.
    """

    func testBodyRowsNameTheirColumnsAndTheHeaderIsDropped() {
        XCTAssertEqual(MarkdownTableRows.linearized(table.components(separatedBy: "\n")),
                       ["The intro line.", "FP32 — bytes per weight: 4; 7B model: 28 GB",
                        "FP16 / BF16 — bytes per weight: 2; 7B model: 14 GB", "", "After the table."])
    }

    func testRowsWithoutAHeaderKeepTheirCells() {
        XCTAssertEqual(MarkdownTableRows.linearized(["| INT8 | 1 | 7 GB |", "| INT4 | | 3.5 GB |"]),
                       ["INT8; 1; 7 GB", "INT4; 3.5 GB"])
    }

    func testEmptyCellsAndShortRowsAreSkippedNotMisnamed() {
        let lines = ["| a | b | c |", "|---|---|---|", "| x | | z |", "| y |"]
        XCTAssertEqual(MarkdownTableRows.linearized(lines), ["x — c: z", "y"])
    }

    func testLinesThatAreNotRowsPassThrough() {
        let lines = ["a | b", "|", "- item | with pipe", "x || y"]
        XCTAssertEqual(MarkdownTableRows.linearized(lines), lines)
    }

    func testEvidenceUnitsOfATableAreItsRows() {
        let text = table
        let chunk = ChunkRecord(id: 1, documentId: 1, path: "q.md", rootPath: "/", ordinal: 0, heading: "", text: text,
                                startLine: 1, endLine: text.components(separatedBy: "\n").count, charStart: 0,
                                charEnd: text.unicodeScalars.count)
        let single = EvidenceUnits.split(chunk, rank: 0, score: 1, dense: 1).filter { $0.span == 1 }
        XCTAssertEqual(single.map(\.text),
                       ["The intro line.", "FP32 — bytes per weight: 4; 7B model: 28 GB",
                        "FP16 / BF16 — bytes per weight: 2; 7B model: 14 GB"], "'After the table.' has one content term: no unit")
    }
}
