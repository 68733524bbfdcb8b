import CSQLite
import Retrieval
import XCTest

final class LexicalQueryTests: XCTestCase {
    /// Every hostile input becomes a MATCH expression that real FTS5 accepts.
    func testHostileInputNeverBreaksFTS5() throws {
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(":memory:", &db), SQLITE_OK)
        defer { sqlite3_close(db) }
        XCTAssertEqual(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(body); INSERT INTO t VALUES ('the write-ahead log (WAL) mode'), ('日本語のテキスト'), ('NEAR AND OR NOT');", nil, nil, nil), SQLITE_OK)
        let inputs = ["\"unbalanced", "a AND b", "wal*", "-journal", "(parens) ) (", "NEAR(a b)", "body:wal", "^start",
                      "x OR", "NOT", "日本語", "emoji 🙂 test", "it's \"quoted\" ''", "AND OR NOT NEAR", "a\u{0}b", "column:*"]
        for input in inputs {
            guard let expression = LexicalQuery.matchExpression(for: input) else { continue }
            var statement: OpaquePointer?
            XCTAssertEqual(sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?", -1, &statement, nil), SQLITE_OK)
            sqlite3_bind_text(statement, 1, expression, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            var step = sqlite3_step(statement)
            while step == SQLITE_ROW { step = sqlite3_step(statement) }
            XCTAssertEqual(step, SQLITE_DONE, "input \(input.debugDescription) → \(expression): \(String(cString: sqlite3_errmsg(db)))")
            sqlite3_finalize(statement)
        }
    }

    func testOperatorsBecomeWordsAndStopWordsDrop() {
        XCTAssertEqual(LexicalQuery.terms(in: "What is the WAL mode AND journal-mode?"), ["wal", "mode", "journal"], "AND is a stop word, not an operator")
        XCTAssertEqual(LexicalQuery.terms(in: "what is it"), ["what", "is", "it"], "only stop words: keep them")
        XCTAssertNil(LexicalQuery.matchExpression(for: "?!  ()"))
        XCTAssertEqual(LexicalQuery.matchExpression(for: "say \"hi\""), "\"say\" OR \"hi\"")
    }
}
