import Foundation

/// One schema step. Migration N takes a database from `user_version` N-1 to N.
public struct Migration: Sendable {
    public let version: Int
    public let summary: String
    public let sql: String
}

/// The schema history, append-only: never edit a released step, add a new one at the end.
/// (Chat sessions will add their tables as the next step.)
public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, summary: "roots, documents, chunks, vectors, meta", sql: """
            CREATE TABLE meta (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE TABLE roots (
                id       INTEGER PRIMARY KEY,
                path     TEXT NOT NULL UNIQUE,   -- absolute folder path
                added_at REAL NOT NULL           -- seconds since 1970
            );
            CREATE TABLE documents (
                id         INTEGER PRIMARY KEY,
                root_id    INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
                path       TEXT NOT NULL,        -- relative to the root
                sha256     TEXT NOT NULL,        -- of the file bytes
                size       INTEGER NOT NULL,
                mtime      REAL NOT NULL,
                format     TEXT NOT NULL,        -- loader that produced the text (txt, markdown, html, ...)
                indexed_at REAL NOT NULL,
                UNIQUE (root_id, path)
            );
            CREATE TABLE chunks (
                id          INTEGER PRIMARY KEY,
                document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                ordinal     INTEGER NOT NULL,    -- 0, 1, 2, ... within the document
                text        TEXT NOT NULL,
                heading     TEXT NOT NULL,       -- heading path joined with " > "
                char_start  INTEGER NOT NULL,    -- Unicode scalar offsets into the extracted text, end exclusive
                char_end    INTEGER NOT NULL,
                start_line  INTEGER NOT NULL,    -- 1-based lines of the source file, inclusive
                end_line    INTEGER NOT NULL,
                token_count INTEGER NOT NULL,    -- embedder tokens including [CLS]/[SEP]
                UNIQUE (document_id, ordinal)
            );
            CREATE TABLE chunk_vectors (
                chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
                vector   BLOB NOT NULL           -- dimension × float32, little-endian
            );
            """),
        Migration(version: 2, summary: "full-text search over chunk text", sql: """
            CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, content='chunks', content_rowid='id');
            CREATE TRIGGER chunks_after_insert AFTER INSERT ON chunks BEGIN
                INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
            END;
            CREATE TRIGGER chunks_after_delete AFTER DELETE ON chunks BEGIN
                INSERT INTO chunks_fts(chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
            END;
            CREATE TRIGGER chunks_after_update AFTER UPDATE ON chunks BEGIN
                INSERT INTO chunks_fts(chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
                INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
            END;
            INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');
            """),
        Migration(version: 3, summary: "find documents by content hash (reuse embeddings of renamed files)", sql: """
            CREATE INDEX documents_by_sha256 ON documents(sha256, format);
            """),
        Migration(version: 4, summary: "chat sessions, their messages and running summaries (rag chat)", sql: """
            CREATE TABLE chat_sessions (
                id         INTEGER PRIMARY KEY,
                name       TEXT NOT NULL UNIQUE,
                created_at REAL NOT NULL,           -- seconds since 1970
                updated_at REAL NOT NULL
            );
            CREATE TABLE chat_messages (
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
            CREATE TABLE chat_summaries (
                session_id    INTEGER PRIMARY KEY REFERENCES chat_sessions(id) ON DELETE CASCADE,
                text          TEXT NOT NULL,        -- running summary of turns 1...covered_turns
                covered_turns INTEGER NOT NULL,
                updated_at    REAL NOT NULL
            );
            """),
        Migration(version: 5, summary: "files the last ingest of each root skipped, with the reason (rag status)", sql: """
            CREATE TABLE skipped_files (
                root_id     INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
                path        TEXT NOT NULL,          -- relative to the root (the root itself when it was the problem)
                reason      TEXT NOT NULL,          -- stable key: too_large, binary, link_outside_root, empty, ...
                detail      TEXT NOT NULL,          -- the sentence the ingest printed
                recorded_at REAL NOT NULL,          -- seconds since 1970
                PRIMARY KEY (root_id, path)
            );
            """),
        Migration(version: 6, summary: "skipped files remember size and mtime (not re-read until they change); roots of named files", sql: """
            ALTER TABLE skipped_files ADD COLUMN size INTEGER;   -- NULL: not known (the file was not looked at)
            ALTER TABLE skipped_files ADD COLUMN mtime REAL;
            -- 1: the root is the folder of files named on the command line and holds only those (it is not walked);
            -- 0: the whole folder was ingested.
            ALTER TABLE roots ADD COLUMN files_only INTEGER NOT NULL DEFAULT 0;
            """),
        Migration(version: 7, summary: "PDF pages of each chunk (citations: manual.pdf p. 12–13)", sql: """
            ALTER TABLE chunks ADD COLUMN page_start INTEGER;   -- 1-based PDF pages, inclusive; NULL for other formats
            ALTER TABLE chunks ADD COLUMN page_end INTEGER;
            """),
    ]

    public static var latestVersion: Int { all.last?.version ?? 0 }

    /// Applies every step newer than the file's `user_version`, each in its own transaction.
    /// `upTo` stops early (tests use it to build an older schema).
    public static func migrate(_ connection: SQLiteConnection, upTo target: Int = latestVersion) throws(IndexError) {
        let current = Int(try connection.scalarInt("PRAGMA user_version") ?? 0)
        if current > latestVersion {
            throw .schemaTooNew(path: connection.path, found: current, supported: latestVersion)
        }
        for migration in all where migration.version > current && migration.version <= target {
            try connection.transaction { () throws(IndexError) in
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
