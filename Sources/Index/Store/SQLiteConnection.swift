import CSQLite
import Foundation

/// SQLite copies bound text and blobs when given this destructor (the C macro SQLITE_TRANSIENT).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Not thread-safe: use it from one thread at a time.
public final class SQLiteConnection {
    public let path: String
    let handle: OpaquePointer

    public enum Mode { case readWrite, readOnly }

    public init(path: String, mode: Mode) throws(IndexError) {
        self.path = path
        var db: OpaquePointer?
        let flags = mode == .readOnly
            ? SQLITE_OPEN_READONLY
            : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let status = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw .sqlite(path: path, operation: "open", code: status, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(IndexError) {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(error)
            throw .sqlite(path: path, operation: "executing \(sql.prefix(60))", code: status, message: message)
        }
    }

    public func prepare(_ sql: String) throws(IndexError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw failure("preparing \(sql.prefix(60))", status)
        }
        return SQLiteStatement(connection: self, handle: statement, sql: sql)
    }

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT; rolls back when it throws.
    public func transaction<T>(_ body: () throws(IndexError) -> T) throws(IndexError) -> T {
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

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The first column of the first row of a query (nil when there is no row or it is NULL).
    public func scalarInt(_ sql: String) throws(IndexError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return statement.int64(0)
    }

    func failure(_ operation: String, _ status: Int32) -> IndexError {
        .sqlite(path: path, operation: operation, code: status, message: String(cString: sqlite3_errmsg(handle)))
    }
}

/// A prepared statement: bind parameters (1-based), step through rows, read columns (0-based).
public final class SQLiteStatement {
    let connection: SQLiteConnection
    let handle: OpaquePointer
    let sql: String

    init(connection: SQLiteConnection, handle: OpaquePointer, sql: String) {
        self.connection = connection
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears bindings and rewinds, ready to run again.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    public func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
    public func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }
    public func bind(_ index: Int32, _ value: String) { sqlite3_bind_text(handle, index, value, -1, transient) }
    public func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    public func bind(_ index: Int32, blob: UnsafeRawBufferPointer) {
        sqlite3_bind_blob(handle, index, blob.baseAddress, Int32(blob.count), transient)
    }

    /// Advances to the next row; false when done.
    @discardableResult
    public func step() throws(IndexError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure("running \(sql.prefix(60))", status)
        }
    }

    /// Runs a statement that returns no rows, then resets it for reuse.
    public func run() throws(IndexError) {
        defer { reset() }
        try step()
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's bytes, valid until the next step/reset.
    public func blob(_ column: Int32) -> UnsafeRawBufferPointer {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }
}
