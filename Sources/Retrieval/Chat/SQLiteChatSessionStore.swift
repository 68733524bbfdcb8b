import CSQLite
import Foundation
import Index

/// Chat sessions in the SQLite index database: tables `chat_sessions`, `chat_messages` and `chat_summaries`,
/// created by the index schema's migration 4 (see `Migrations`).
///
/// The store opens its own read-write connection (retrieval may hold a read-only one), which brings an older
/// index up to the current schema. Writes run in `BEGIN IMMEDIATE` transactions; when another process (a running
/// ingest) holds the write lock longer than the busy timeout, they fail with `ChatStoreError.busy` and callers
/// keep their changes to retry.
public final class SQLiteChatSessionStore: ChatSessionStore {
    public let path: String
    private let store: IndexStore
    private var connection: SQLiteConnection { store.connection }

    /// Opens (creating and migrating when needed) the index database at `path`.
    /// `busyTimeoutMilliseconds` is how long a write waits for another writer's lock.
    public init(path: String, busyTimeoutMilliseconds: Int = 3000) throws(ChatStoreError) {
        self.path = path
        do {
            store = try IndexStore(path: path, mode: .readWrite)
            try store.connection.execute("PRAGMA busy_timeout = \(max(0, busyTimeoutMilliseconds))")
        } catch {
            throw Self.mapped(error, path: path)
        }
    }

    public func sessions() throws(ChatStoreError) -> [ChatSessionInfo] {
        try mapping { () throws(IndexError) in
            let statement = try connection.prepare("""
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
    }

    public func load(_ rawName: String) throws(ChatStoreError) -> StoredConversation? {
        let name = try ChatSessionName.validated(rawName)
        struct Row { var turn: Int; var role: String; var content: String; var standalone: String?
                     var sources: String?; var cited: String?; var interrupted: Bool; var createdAt: Double }
        let loaded = try mapping { () throws(IndexError) -> (info: ChatSessionInfo, rows: [Row], summary: ChatSummary)? in
            let session = try connection.prepare("SELECT id, created_at, updated_at FROM chat_sessions WHERE name = ?1")
            session.bind(1, name)
            guard try session.step() else { return nil }
            let id = session.int64(0)
            let info = ChatSessionInfo(name: name, createdAt: session.double(1), updatedAt: session.double(2),
                                       turnCount: 0, lastQuestion: "")
            let messages = try connection.prepare("""
                SELECT turn, role, content, standalone, sources, cited, interrupted, created_at
                FROM chat_messages WHERE session_id = ?1 ORDER BY turn, role DESC
                """)
            messages.bind(1, id)
            var rows: [Row] = []
            while try messages.step() {
                rows.append(Row(turn: messages.int(0), role: messages.string(1), content: messages.string(2),
                                standalone: messages.isNull(3) ? nil : messages.string(3),
                                sources: messages.isNull(4) ? nil : messages.string(4),
                                cited: messages.isNull(5) ? nil : messages.string(5),
                                interrupted: messages.int(6) != 0, createdAt: messages.double(7)))
            }
            let summaryRow = try connection.prepare("SELECT text, covered_turns FROM chat_summaries WHERE session_id = ?1")
            summaryRow.bind(1, id)
            let summary = try summaryRow.step() ? ChatSummary(text: summaryRow.string(0), coveredTurns: summaryRow.int(1)) : .empty
            return (info, rows, summary)
        }
        guard case (var info, let rows, var summary)? = loaded else { return nil }

        // A turn is its user row followed by its answer (`ORDER BY turn, role DESC` puts 'user' first).
        var turns: [ChatTurn] = []
        for row in rows {
            if row.role == "user" {
                turns.append(ChatTurn(number: row.turn, question: row.content, standaloneQuestion: row.standalone ?? row.content,
                                      answer: "", createdAt: row.createdAt))
            } else if let last = turns.indices.last, turns[last].number == row.turn {
                turns[last].answer = row.content
                turns[last].sources = try decode([ChatSourceReference].self, row.sources ?? "[]")
                turns[last].cited = try decode([Int].self, row.cited ?? "[]")
                turns[last].interrupted = row.interrupted
            }
        }
        info.turnCount = turns.count
        info.lastQuestion = turns.last.map { ChatSessionName.preview($0.question) } ?? ""
        summary.coveredTurns = min(summary.coveredTurns, turns.last?.number ?? 0)
        return StoredConversation(info: info, turns: turns, summary: summary)
    }

    public func apply(_ changes: [ChatChange], to rawName: String) throws(ChatStoreError) {
        let name = try ChatSessionName.validated(rawName)
        // Encode first, so that the transaction only runs SQL.
        var encoded: [Int: (sources: String, cited: String)] = [:]
        for case .turn(let turn) in changes {
            encoded[turn.number] = (try encode(turn.sources), try encode(turn.cited))
        }
        let now = Date().timeIntervalSince1970
        try mapping { () throws(IndexError) in
            try connection.transaction { () throws(IndexError) in
                let session = try sessionID(named: name, now: now)
                for change in changes {
                    switch change {
                    case .reset:
                        try deleteContents(of: session)
                    case .turn(let turn):
                        try insert(turn, encoded: encoded[turn.number]!, into: session)
                    case .summary(let summary):
                        let statement = try connection.prepare("""
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
    }

    public func delete(_ rawName: String) throws(ChatStoreError) -> Bool {
        let name = try ChatSessionName.validated(rawName)
        return try mapping { () throws(IndexError) -> Bool in
            try connection.transaction { () throws(IndexError) -> Bool in
                let lookup = try connection.prepare("SELECT id FROM chat_sessions WHERE name = ?1")
                lookup.bind(1, name)
                guard try lookup.step() else { return false }
                let session = lookup.int64(0)
                try deleteContents(of: session)
                let statement = try connection.prepare("DELETE FROM chat_sessions WHERE id = ?1")
                statement.bind(1, session)
                try statement.run()
                return true
            }
        }
    }

    /// The id of the named session, created (or its `updated_at` advanced) now.
    private func sessionID(named name: String, now: Double) throws(IndexError) -> Int64 {
        let upsert = try connection.prepare("""
            INSERT INTO chat_sessions (name, created_at, updated_at) VALUES (?1, ?2, ?2)
            ON CONFLICT (name) DO UPDATE SET updated_at = MAX(updated_at, excluded.updated_at)
            """)
        upsert.bind(1, name)
        upsert.bind(2, now)
        try upsert.run()
        let lookup = try connection.prepare("SELECT id FROM chat_sessions WHERE name = ?1")
        lookup.bind(1, name)
        try lookup.step()
        return lookup.int64(0)
    }

    /// Messages and summary of a session (explicit, whatever the connection's foreign-key setting).
    private func deleteContents(of session: Int64) throws(IndexError) {
        for table in ["chat_messages", "chat_summaries"] {
            let statement = try connection.prepare("DELETE FROM \(table) WHERE session_id = ?1")
            statement.bind(1, session)
            try statement.run()
        }
    }

    private func insert(_ turn: ChatTurn, encoded: (sources: String, cited: String), into session: Int64) throws(IndexError) {
        let statement = try connection.prepare("""
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
        statement.bind(6, encoded.sources)
        statement.bind(7, encoded.cited)
        statement.bind(8, turn.interrupted ? 1 : 0)
        statement.bind(9, turn.createdAt)
        try statement.run()
    }

    /// Runs `body`, turning index errors into chat store errors (a locked database becomes `.busy`).
    private func mapping<T>(_ body: () throws(IndexError) -> T) throws(ChatStoreError) -> T {
        do {
            return try body()
        } catch {
            throw Self.mapped(error, path: path)
        }
    }

    static func mapped(_ error: IndexError, path: String) -> ChatStoreError {
        guard case .sqlite(let errorPath, let operation, let code, let message) = error else {
            return .index(error.description)
        }
        let primary = code & 0xff
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED { return .busy(path: errorPath) }
        return .sqlite(path: errorPath, operation: operation, code: code, message: message)
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
