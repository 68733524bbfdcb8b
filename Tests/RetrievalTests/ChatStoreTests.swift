import CSQLite
import Foundation
import Index
import Retrieval
import XCTest

final class ChatStoreTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-store-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    var databasePath: String { directory.appendingPathComponent("index.sqlite").path }

    func sampleTurn(_ number: Int) -> ChatTurn {
        ChatTurn(number: number, question: "Question \(number) — ünïcode?", standaloneQuestion: "Standalone \(number)?",
                 answer: "Answer \(number) [1].",
                 sources: [ChatSourceReference(number: 1, path: "notes/kv.md", startLine: 3, endLine: 9, heading: "KV › Size", score: 0.5)],
                 cited: [1], interrupted: number == 2, createdAt: 1_700_000_000 + Double(number))
    }

    /// The behaviour every store must have.
    func checkContract(_ store: ChatSessionStore, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try store.sessions(), [], file: file, line: line)
        XCTAssertNil(try store.load("kv"), file: file, line: line)

        try store.apply([], to: "kv")
        XCTAssertEqual(try store.load("kv")?.turns, [], "an empty session exists after an empty apply", file: file, line: line)
        try store.apply([.turn(sampleTurn(1)), .turn(sampleTurn(2)), .summary(ChatSummary(text: "Notes.", coveredTurns: 1))], to: "kv")
        try store.apply([.turn(sampleTurn(3))], to: "other session")

        let loaded = try XCTUnwrap(try store.load("kv"), file: file, line: line)
        XCTAssertEqual(loaded.turns, [sampleTurn(1), sampleTurn(2)], file: file, line: line)
        XCTAssertEqual(loaded.summary, ChatSummary(text: "Notes.", coveredTurns: 1), file: file, line: line)
        XCTAssertEqual(loaded.info.turnCount, 2, file: file, line: line)

        let listed = try store.sessions()
        XCTAssertEqual(Set(listed.map(\.name)), ["kv", "other session"], file: file, line: line)
        XCTAssertEqual(listed.first { $0.name == "other session" }?.lastQuestion, "Question 3 — ünïcode?", file: file, line: line)

        try store.apply([.reset, .turn(sampleTurn(1))], to: "kv")
        XCTAssertEqual(try store.load("kv")?.turns.count, 1, file: file, line: line)
        XCTAssertEqual(try store.load("kv")?.summary, .empty, file: file, line: line)

        XCTAssertTrue(try store.delete("kv"), file: file, line: line)
        XCTAssertFalse(try store.delete("kv"), file: file, line: line)
        XCTAssertNil(try store.load("kv"), file: file, line: line)
        XCTAssertEqual(try store.sessions().map(\.name), ["other session"], file: file, line: line)

        XCTAssertThrowsError(try store.apply([], to: ""), file: file, line: line) {
            XCTAssertEqual($0 as? ChatStoreError, .invalidName(""))
        }
        XCTAssertThrowsError(try store.load("bad\u{7}name"), file: file, line: line)
    }

    func testInMemoryStoreContract() throws {
        try checkContract(InMemoryChatSessionStore())
    }

    func testSQLiteStoreContract() throws {
        try checkContract(try SQLiteChatSessionStore(path: databasePath))
    }

    func testSQLiteStorePersistsAcrossConnections() throws {
        try SQLiteChatSessionStore(path: databasePath).apply([.turn(sampleTurn(1)), .summary(ChatSummary(text: "S", coveredTurns: 1))], to: "kv")
        let reopened = try SQLiteChatSessionStore(path: databasePath)
        XCTAssertEqual(try reopened.load("kv")?.turns, [sampleTurn(1)])
        XCTAssertEqual(try reopened.load("kv")?.summary.text, "S")
    }

    func testOpeningAnOlderIndexAddsTheChatTables() throws {
        let older = try IndexStore(path: databasePath, migratingUpTo: 3)
        XCTAssertEqual(try older.schemaVersion, 3)
        XCTAssertFalse(try tableNames().contains("chat_sessions"))
        let store = try SQLiteChatSessionStore(path: databasePath)
        XCTAssertEqual(try store.sessions(), [])
        XCTAssertTrue(Set(try tableNames()).isSuperset(of: ["chat_messages", "chat_sessions", "chat_summaries"]))
        XCTAssertEqual(try older.schemaVersion, Migrations.latestVersion)
    }

    func testLockedDatabaseIsBusyAndNothingIsLost() throws {
        let store = try SQLiteChatSessionStore(path: databasePath, busyTimeoutMilliseconds: 50)
        try store.apply([.turn(sampleTurn(1))], to: "kv")

        // Another process (an ingest) holds the write lock.
        var other: OpaquePointer?
        XCTAssertEqual(sqlite3_open(databasePath, &other), SQLITE_OK)
        defer { sqlite3_close(other) }
        XCTAssertEqual(sqlite3_exec(other, "BEGIN IMMEDIATE", nil, nil, nil), SQLITE_OK)

        XCTAssertThrowsError(try store.apply([.turn(sampleTurn(2))], to: "kv")) { error in
            XCTAssertEqual(error as? ChatStoreError, .busy(path: self.databasePath))
            XCTAssertTrue((error as? ChatStoreError)?.isBusy == true)
        }
        XCTAssertEqual(try store.load("kv")?.turns.count, 1, "reads still work while another writer holds the lock")

        // With the lock released, the same engine-level retry succeeds.
        XCTAssertEqual(sqlite3_exec(other, "COMMIT", nil, nil, nil), SQLITE_OK)
        try store.apply([.turn(sampleTurn(2))], to: "kv")
        XCTAssertEqual(try store.load("kv")?.turns.map(\.number), [1, 2])
    }

    func testEngineQueuesTurnsWhileTheDatabaseIsLocked() throws {
        let store = try SQLiteChatSessionStore(path: databasePath, busyTimeoutMilliseconds: 50)
        let engine = try makeChatEngine(generator: ChatScriptGenerator(), store: store, name: "kv")
        var other: OpaquePointer?
        XCTAssertEqual(sqlite3_open(databasePath, &other), SQLITE_OK)
        defer { sqlite3_close(other) }
        XCTAssertEqual(sqlite3_exec(other, "BEGIN IMMEDIATE", nil, nil, nil), SQLITE_OK)
        let locked = try engine.ask("What is the cache?")
        XCTAssertFalse(locked.saved)
        XCTAssertEqual(sqlite3_exec(other, "COMMIT", nil, nil, nil), SQLITE_OK)
        XCTAssertNil(engine.save())
        XCTAssertEqual(try store.load("kv")?.turns.map(\.question), ["What is the cache?"])
    }

    func tableNames() throws -> [String] {
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(databasePath, &db), SQLITE_OK)
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        XCTAssertEqual(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &statement, nil), SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        var names: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW { names.append(String(cString: sqlite3_column_text(statement, 0))) }
        return names
    }
}
