import CSQLite
import Foundation

/// The chat tables. They live in the index database next to the documents; the statements are
/// idempotent so that the store can create them itself on a database whose schema predates chat.
public enum ChatSchema {
    public static let sql = """
        CREATE TABLE IF NOT EXISTS chat_sessions (
            id         INTEGER PRIMARY KEY,
            name       TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,           -- seconds since 1970
            updated_at REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS chat_messages (
            id          INTEGER PRIMARY KEY,
            session_id  INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
            turn        INTEGER NOT NULL,       -- 1, 2, 3, ... within the session
            role        TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            content     TEXT NOT NULL,          -- the question as typed / the answer as generated
            standalone  TEXT,                   -- user: the condensed question that went to retrieval
            sources     TEXT,                   -- assistant: JSON list of the sources the answer was given
            cited       TEXT,                   -- assistant: JSON list of the cited source numbers
            interrupted INTEGER NOT NULL DEFAULT 0,
            created_at  REAL NOT NULL,
            UNIQUE (session_id, turn, role)
        );
        CREATE TABLE IF NOT EXISTS chat_summaries (
            session_id    INTEGER PRIMARY KEY REFERENCES chat_sessions(id) ON DELETE CASCADE,
            text          TEXT NOT NULL,        -- running summary of turns 1...covered_turns
            covered_turns INTEGER NOT NULL,
            updated_at    REAL NOT NULL
        );
        """
}

/// Chat sessions in the SQLite index database (tables `chat_sessions`, `chat_messages`, `chat_summaries`).
///
/// Reads never write: a database without the chat tables simply has no sessions. The first write creates
/// the tables inside its own transaction. A database locked by another writer (a running ingest) makes
/// writes fail with `ChatStoreError.busy` after `busyTimeout`; callers keep their changes and retry.
public final class SQLiteChatSessionStore: ChatSessionStore {
    public let path: String
    private let database: ChatDatabase

    /// Opens (or creates) the database file. `busyTimeoutMilliseconds` is how long a write waits for a lock.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 3000) throws(ChatStoreError) {
        self.path = path
        self.database = try ChatDatabase(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    public func sessions() throws(ChatStoreError) -> [ChatSessionInfo] {
        guard try database.hasChatTables() else { return [] }
        let statement = try database.prepare("""
            SELECT s.name, s.created_at, s.updated_at,
                   (SELECT COUNT(*) FROM chat_messages m WHERE m.session_id = s.id AND m.role = 'user'),
                   COALESCE((SELECT m.content FROM chat_messages m WHERE m.session_id = s.id AND m.role = 'user'
                             ORDER BY m.turn DESC LIMIT 1), '')
            FROM chat_sessions s ORDER BY s.updated_at DESC, s.name DESC
            """)
        var found: [ChatSessionInfo] = []
        while try statement.step() {
            found.append(ChatSessionInfo(name: statement.string(0), createdAt: statement.double(1),
                                         updatedAt: statement.double(2), turnCount: statement.int(3),
                                         lastQuestion: ChatSessionName.preview(statement.string(4))))
        }
        return found
    }

    public func load(_ rawName: String) throws(ChatStoreError) -> StoredConversation? {
        let name = try ChatSessionName.validated(rawName)
        guard try database.hasChatTables() else { return nil }
        let session = try database.prepare("SELECT id, created_at, updated_at FROM chat_sessions WHERE name = ?1")
        session.bind(1, name)
        guard try session.step() else { return nil }
        let id = session.int64(0)
        var info = ChatSessionInfo(name: name, createdAt: session.double(1), updatedAt: session.double(2),
                                   turnCount: 0, lastQuestion: "")

        let messages = try database.prepare("""
            SELECT turn, role, content, standalone, sources, cited, interrupted, created_at
            FROM chat_messages WHERE session_id = ?1 ORDER BY turn, role DESC
            """)
        messages.bind(1, id)
        var turns: [ChatTurn] = []
        while try messages.step() {
            let number = messages.int(0)
            if messages.string(1) == "user" {
                turns.append(ChatTurn(number: number, question: messages.string(2),
                                      standaloneQuestion: messages.isNull(3) ? messages.string(2) : messages.string(3),
                                      answer: "", createdAt: messages.double(7)))
            } else if let last = turns.indices.last, turns[last].number == number {
                turns[last].answer = messages.string(2)
                turns[last].sources = try decode([ChatSourceReference].self, messages.isNull(4) ? "[]" : messages.string(4))
                turns[last].cited = try decode([Int].self, messages.isNull(5) ? "[]" : messages.string(5))
                turns[last].interrupted = messages.int(6) != 0
            }
        }
        info.turnCount = turns.count
        info.lastQuestion = turns.last.map { ChatSessionName.preview($0.question) } ?? ""

        let summaryRow = try database.prepare("SELECT text, covered_turns FROM chat_summaries WHERE session_id = ?1")
        summaryRow.bind(1, id)
        let summary = try summaryRow.step() ? ChatSummary(text: summaryRow.string(0), coveredTurns: summaryRow.int(1)) : .empty
        return StoredConversation(info: info, turns: turns, summary: summary)
    }

    public func apply(_ changes: [ChatChange], to rawName: String) throws(ChatStoreError) {
        let name = try ChatSessionName.validated(rawName)
        let now = Date().timeIntervalSince1970
        try database.transaction { () throws(ChatStoreError) in
            try database.execute(ChatSchema.sql)
            let upsert = try database.prepare("""
                INSERT INTO chat_sessions (name, created_at, updated_at) VALUES (?1, ?2, ?2)
                ON CONFLICT (name) DO UPDATE SET updated_at = MAX(updated_at, excluded.updated_at)
                """)
            upsert.bind(1, name)
            upsert.bind(2, now)
            try upsert.run()
            let lookup = try database.prepare("SELECT id FROM chat_sessions WHERE name = ?1")
            lookup.bind(1, name)
            guard try lookup.step() else { throw database.failure("finding session '\(name)'", SQLITE_ERROR) }
            let session = lookup.int64(0)

            for change in changes {
                switch change {
                case .reset:
                    try deleteContents(of: session)
                case .turn(let turn):
                    try insert(turn, into: session)
                case .summary(let summary):
                    let statement = try database.prepare("""
                        INSERT INTO chat_summaries (session_id, text, covered_turns, updated_at) VALUES (?1, ?2, ?3, ?4)
                        ON CONFLICT (session_id) DO UPDATE SET text = excluded.text,
                            covered_turns = excluded.covered_turns, updated_at = excluded.updated_at
                        """)
                    statement.bind(1, session)
                    statement.bind(2, summary.text)
                    statement.bind(3, summary.coveredTurns)
                    statement.bind(4, now)
                    try statement.run()
                }
            }
        }
    }

    public func delete(_ rawName: String) throws(ChatStoreError) -> Bool {
        let name = try ChatSessionName.validated(rawName)
        guard try database.hasChatTables() else { return false }
        return try database.transaction { () throws(ChatStoreError) -> Bool in
            let lookup = try database.prepare("SELECT id FROM chat_sessions WHERE name = ?1")
            lookup.bind(1, name)
            guard try lookup.step() else { return false }
            let session = lookup.int64(0)
            try deleteContents(of: session)
            let statement = try database.prepare("DELETE FROM chat_sessions WHERE id = ?1")
            statement.bind(1, session)
            try statement.run()
            return true
        }
    }

    /// Messages and summary of a session (explicitly: foreign-key cascades are off unless a connection enables them).
    private func deleteContents(of session: Int64) throws(ChatStoreError) {
        for table in ["chat_messages", "chat_summaries"] {
            let statement = try database.prepare("DELETE FROM \(table) WHERE session_id = ?1")
            statement.bind(1, session)
            try statement.run()
        }
    }

    private func insert(_ turn: ChatTurn, into session: Int64) throws(ChatStoreError) {
        let statement = try database.prepare("""
            INSERT OR REPLACE INTO chat_messages
                (session_id, turn, role, content, standalone, sources, cited, interrupted, created_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        statement.bind(1, session)
        statement.bind(2, turn.number)
        statement.bind(3, "user")
        statement.bind(4, turn.question)
        statement.bind(5, turn.standaloneQuestion)
        statement.bindNull(6)
        statement.bindNull(7)
        statement.bind(8, 0)
        statement.bind(9, turn.createdAt)
        try statement.run()

        statement.bind(1, session)
        statement.bind(2, turn.number)
        statement.bind(3, "assistant")
        statement.bind(4, turn.answer)
        statement.bindNull(5)
        statement.bind(6, try encode(turn.sources))
        statement.bind(7, try encode(turn.cited))
        statement.bind(8, turn.interrupted ? 1 : 0)
        statement.bind(9, turn.createdAt)
        try statement.run()
    }

    private func encode<T: Encodable>(_ value: T) throws(ChatStoreError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            throw .corrupt(path: path, detail: "cannot encode \(T.self): \(error)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ text: String) throws(ChatStoreError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw .corrupt(path: path, detail: "cannot decode \(T.self): \(error)")
        }
    }
}

/// SQLite copies bound text when given this destructor (the C macro SQLITE_TRANSIENT).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// The few SQLite calls the chat store needs, with errors mapped to `ChatStoreError`
/// (a locked database becomes `.busy`, so callers can keep their changes and retry).
final class ChatDatabase {
    let path: String
    private let handle: OpaquePointer

    init(path: String, busyTimeoutMilliseconds: Int32) throws(ChatStoreError) {
        self.path = path
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw .sqlite(path: path, operation: "open", code: status, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit { sqlite3_close_v2(handle) }

    func hasChatTables() throws(ChatStoreError) -> Bool {
        let statement = try prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chat_sessions'")
        return try statement.step()
    }

    func execute(_ sql: String) throws(ChatStoreError) {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(error)
            throw failure("executing \(sql.prefix(40))", status, message: message)
        }
    }

    func prepare(_ sql: String) throws(ChatStoreError) -> ChatStatement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure("preparing \(sql.prefix(40))", status) }
        return ChatStatement(database: self, handle: statement, sql: sql)
    }

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT (the write lock is taken up front); rolls back when it throws.
    func transaction<T>(_ body: () throws(ChatStoreError) -> T) throws(ChatStoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func failure(_ operation: String, _ status: Int32, message: String? = nil) -> ChatStoreError {
        let primary = status & 0xff
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED { return .busy(path: path) }
        return .sqlite(path: path, operation: operation, code: status, message: message ?? String(cString: sqlite3_errmsg(handle)))
    }
}

/// A prepared statement: bind parameters (1-based), step through rows, read columns (0-based).
final class ChatStatement {
    private let database: ChatDatabase
    private let handle: OpaquePointer
    private let sql: String

    init(database: ChatDatabase, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }
    func bind(_ index: Int32, _ value: String) { sqlite3_bind_text(handle, index, value, -1, transient) }
    func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    /// Advances to the next row; false when done.
    @discardableResult
    func step() throws(ChatStoreError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.failure("running \(sql.prefix(40))", status)
        }
    }

    /// Runs a statement that returns no rows, then rewinds it for reuse.
    func run() throws(ChatStoreError) {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        try step()
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
}
