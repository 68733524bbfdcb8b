import Foundation

/// Where chat sessions live. The SQLite store keeps them in the index database; tests use the in-memory one.
///
/// Sessions are named by the user. `apply` creates a session the first time it is written to, so a session
/// costs nothing until its first turn and a busy database never loses the moment a session started.
public protocol ChatSessionStore: AnyObject {
    /// Every session, most recently updated first.
    func sessions() throws(ChatStoreError) -> [ChatSessionInfo]
    /// The stored session, or nil when there is none with that name.
    func load(_ name: String) throws(ChatStoreError) -> StoredConversation?
    /// Applies `changes` in order, all or nothing, creating the session when it does not exist yet.
    func apply(_ changes: [ChatChange], to name: String) throws(ChatStoreError)
    /// Deletes the session and its messages; false when there was none with that name.
    func delete(_ name: String) throws(ChatStoreError) -> Bool
}

public enum ChatStoreError: Error, Equatable, CustomStringConvertible {
    /// Another process (usually a running `rag ingest`) holds the database's write lock.
    case busy(path: String)
    /// SQLite refused an operation; `operation` says what we were doing.
    case sqlite(path: String, operation: String, code: Int32, message: String)
    /// A session name that cannot be stored.
    case invalidName(String)
    /// A stored message could not be read back (written by a broken or newer rag).
    case corrupt(path: String, detail: String)
    /// The index database could not be opened for chat (missing, newer schema, …): the index's own message.
    case index(String)

    public var description: String {
        switch self {
        case .busy(let path):
            return "database \(path) is busy (is 'rag ingest' running?): the conversation is kept in memory and saved when it is free"
        case .sqlite(let path, let operation, let code, let message):
            return "database \(path): \(operation) failed (SQLite error \(code): \(message))"
        case .invalidName(let name):
            return "invalid session name '\(name)': use 1 to \(ChatSessionName.maxLength) visible characters"
        case .corrupt(let path, let detail):
            return "database \(path): a stored chat message is unreadable (\(detail)); delete the session with 'rag chat --delete NAME'"
        case .index(let message):
            return message
        }
    }

    /// True when retrying later can succeed (the database was locked by another process).
    public var isBusy: Bool {
        if case .busy = self { return true }
        return false
    }
}

/// Rules for session names.
public enum ChatSessionName {
    public static let maxLength = 64

    /// The name, trimmed, when it is usable: 1...maxLength characters, no control characters.
    public static func validated(_ raw: String) throws(ChatStoreError) -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= maxLength,
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidName(raw)
        }
        return name
    }

    /// A fresh name for a session the user did not name: `chat-YYYYMMDD-HHMMSS` (UTC).
    public static func fresh(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "chat-" + formatter.string(from: date)
    }
}

/// Sessions in a dictionary: for tests and for running without a database.
public final class InMemoryChatSessionStore: ChatSessionStore {
    private var conversations: [String: StoredConversation] = [:]
    /// Set to make every write fail as if another process held the lock (tests of the busy path).
    public var simulateBusy = false
    /// Number of successful `apply` calls.
    public private(set) var writeCount = 0

    public init() {}

    public func sessions() throws(ChatStoreError) -> [ChatSessionInfo] {
        conversations.values.map(\.info).sorted { ($0.updatedAt, $0.name) > ($1.updatedAt, $1.name) }
    }

    public func load(_ name: String) throws(ChatStoreError) -> StoredConversation? {
        conversations[try ChatSessionName.validated(name)]
    }

    public func apply(_ changes: [ChatChange], to rawName: String) throws(ChatStoreError) {
        let name = try ChatSessionName.validated(rawName)
        if simulateBusy { throw .busy(path: ":memory:") }
        let now = Date().timeIntervalSince1970
        var conversation = conversations[name] ?? StoredConversation(
            info: ChatSessionInfo(name: name, createdAt: now, updatedAt: now, turnCount: 0, lastQuestion: ""),
            turns: [], summary: .empty)
        for change in changes {
            switch change {
            case .reset:
                conversation.turns = []
                conversation.summary = .empty
            case .turn(let turn):
                conversation.turns.removeAll { $0.number == turn.number }
                conversation.turns.append(turn)
                conversation.turns.sort { $0.number < $1.number }
            case .summary(let summary):
                conversation.summary = summary
            }
        }
        conversation.info.updatedAt = max(now, conversation.info.updatedAt)
        conversation.info.turnCount = conversation.turns.count
        conversation.info.lastQuestion = conversation.turns.last.map { ChatSessionName.preview($0.question) } ?? ""
        conversations[name] = conversation
        writeCount += 1
    }

    public func delete(_ name: String) throws(ChatStoreError) -> Bool {
        conversations.removeValue(forKey: try ChatSessionName.validated(name)) != nil
    }
}

extension ChatSessionName {
    /// The first line of a question, at most 60 characters, for listings.
    public static func preview(_ question: String) -> String {
        let line = question.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 60 ? String(line.prefix(59)) + "…" : line
    }
}
