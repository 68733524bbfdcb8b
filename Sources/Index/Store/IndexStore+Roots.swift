import Foundation

/// Paths inside a root: a scope is a relative path ("" for the whole root) that holds itself and all below it.
public enum RootScope {
    public static func contains(_ scope: String, _ path: String) -> Bool {
        scope.isEmpty || path == scope || path.hasPrefix(scope + "/")
    }

    /// `path` with `scope` taken off its front ("" when they are equal).
    static func strip(_ scope: String, from path: String) -> String {
        if scope.isEmpty { return path }
        return path == scope ? "" : String(path.dropFirst(scope.count + 1))
    }

    static func join(_ prefix: String, _ path: String) -> String {
        prefix.isEmpty ? path : (path.isEmpty ? prefix : prefix + "/" + path)
    }
}

/// Roots: which root a path belongs to, so that a file is one document however it is named
/// (a folder, a folder inside an indexed folder, the file itself), and removing paths from the index.
extension IndexStore {
    public func roots() throws(IndexError) -> [StoredRoot] {
        let statement = try connection.prepare("SELECT id, path, files_only FROM roots ORDER BY path")
        var roots: [StoredRoot] = []
        while try statement.step() {
            roots.append(StoredRoot(id: statement.int64(0), path: statement.string(1), filesOnly: statement.int(2) != 0))
        }
        return roots
    }

    /// The innermost root holding `path` (canonical, absolute), with the path relative to it.
    public func root(containing path: String, foldersOnly: Bool = false) throws(IndexError) -> (root: StoredRoot, relative: String)? {
        let holding = try roots().filter { (!foldersOnly || !$0.filesOnly) && FolderContainment.contains(root: $0.path, path: path) }
        guard let root = holding.max(by: { $0.path.count < $1.path.count }),
              let relative = FolderContainment.relative(root: root.path, path: path) else { return nil }
        return (root, relative)
    }

    /// Where an ingest argument goes (call inside a transaction). `path` is canonical and exists.
    ///
    /// - A folder inside an indexed folder is a scope of that root.
    /// - Any other folder becomes a root; roots inside it, and documents of named-file roots that lie in it,
    ///   move into it (keeping their vectors), so no file is indexed twice.
    /// - A file inside any root is a scope of that root; any other file goes into a named-files root: its folder.
    public func placeIngestArgument(_ path: String, isDirectory: Bool) throws(IndexError) -> (root: StoredRoot, relative: String) {
        if !isDirectory {
            if let found = try root(containing: path) { return found }
            let folder = (path as NSString).deletingLastPathComponent
            let root = try insertRoot(folder, filesOnly: true)
            return (root, (path as NSString).lastPathComponent)
        }
        if let found = try root(containing: path, foldersOnly: true) { return found }
        let existing = try roots()
        let root = try insertRoot(path, filesOnly: false)
        for other in existing where other.id != root.id {
            if FolderContainment.contains(root: path, path: other.path) {
                // A root inside the new one: all its documents move, then it is forgotten.
                try moveDocuments(from: other.id, scope: "", to: root.id,
                                  prefix: FolderContainment.relative(root: path, path: other.path) ?? "")
                try deleteRoot(id: other.id)
            } else if other.filesOnly, let inside = FolderContainment.relative(root: other.path, path: path) {
                // Named files of an enclosing folder that lie in the new root.
                try moveDocuments(from: other.id, scope: inside, to: root.id, prefix: "")
            }
        }
        return (root, "")
    }

    /// The root at `path`, inserted if new; an existing named-files root becomes a whole-folder root when
    /// `filesOnly` is false.
    func insertRoot(_ path: String, filesOnly: Bool) throws(IndexError) -> StoredRoot {
        let find = try connection.prepare("SELECT id, files_only FROM roots WHERE path = ?")
        find.bind(1, path)
        if try find.step() {
            let id = find.int64(0)
            if find.int(1) != 0, !filesOnly {
                let update = try connection.prepare("UPDATE roots SET files_only = 0 WHERE id = ?")
                update.bind(1, id)
                try update.run()
                return StoredRoot(id: id, path: path, filesOnly: false)
            }
            return StoredRoot(id: id, path: path, filesOnly: find.int(1) != 0)
        }
        let insert = try connection.prepare("INSERT INTO roots(path, added_at, files_only) VALUES (?, ?, ?)")
        insert.bind(1, path)
        insert.bind(2, Date().timeIntervalSince1970)
        insert.bind(3, filesOnly ? 1 : 0)
        try insert.run()
        return StoredRoot(id: connection.lastInsertRowID, path: path, filesOnly: filesOnly)
    }

    /// Moves the documents of root `source` inside `scope` to root `target`, their paths relative to `scope`
    /// put under `prefix`. A document the target already holds at that path wins; the moved one is dropped.
    func moveDocuments(from source: Int64, scope: String, to target: Int64, prefix: String) throws(IndexError) {
        let targetPaths = Set(try documentStates(rootID: target).keys)
        let move = try connection.prepare("UPDATE documents SET root_id = ?, path = ? WHERE id = ?")
        for (path, state) in try documentStates(rootID: source) where RootScope.contains(scope, path) {
            let newPath = RootScope.join(prefix, RootScope.strip(scope, from: path))
            if targetPaths.contains(newPath) {
                try removeDocument(id: state.id)
                continue
            }
            move.bind(1, target)
            move.bind(2, newPath)
            move.bind(3, state.id)
            try move.run()
        }
    }

    /// Forgets a root with its documents, chunks, vectors, full-text rows and skipped files (foreign keys cascade).
    func deleteRoot(id: Int64) throws(IndexError) {
        let statement = try connection.prepare("DELETE FROM roots WHERE id = ?")
        statement.bind(1, id)
        try statement.run()
    }

    /// `rag remove PATH...`: takes every path out of the index in one transaction; a path the index holds nothing
    /// at is an error and nothing is removed.
    public func remove(arguments: [String]) throws(IndexError) -> [Removal] {
        try transaction { () throws(IndexError) in
            var removals: [Removal] = []
            for argument in arguments {
                guard let removal = try remove(Self.canonicalPath(argument), as: argument) else { throw .notIndexed(path: argument) }
                removals.append(removal)
            }
            return removals
        }
    }

    /// Absolute, with the links of its longest existing part resolved (the path itself may be gone).
    public static func canonicalPath(_ argument: String) -> String {
        var existing = URL(fileURLWithPath: argument).standardizedFileURL.path
        var rest: [String] = []
        while existing != "/", FolderContainment.resolved(existing) == nil {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        let base = FolderContainment.resolved(existing) ?? existing
        return rest.reduce(base) { ($0 as NSString).appendingPathComponent($1) }
    }

    /// Takes `path` (canonical, absolute; it need not exist any more) out of the index; nil when the index holds
    /// nothing there. Call inside a transaction.
    ///
    /// - A root, or a folder holding roots: the roots are forgotten, so a plain `rag ingest` does not bring them back.
    /// - A file or folder inside a root: its documents go, and each is remembered as skipped (`removed`), so the
    ///   next ingest of the root leaves it out until the file changes or is named to `rag ingest`.
    public func remove(_ path: String, as given: String) throws(IndexError) -> Removal? {
        var removal = Removal(path: given)
        for root in try roots() where FolderContainment.contains(root: path, path: root.path) {
            let counts = try counts(rootID: root.id, scope: "")
            removal.documents += counts.documents
            removal.chunks += counts.chunks
            removal.roots.append(root.path)
            try deleteRoot(id: root.id)
        }
        if !removal.roots.isEmpty { return removal }

        guard let (root, scope) = try root(containing: path) else { return nil }
        let states = try documentStates(rootID: root.id).filter { RootScope.contains(scope, $0.key) }
        guard !states.isEmpty else { return nil }
        let counts = try counts(rootID: root.id, scope: scope)
        removal.documents = counts.documents
        removal.chunks = counts.chunks
        var remembered: [SkippedFile] = []
        for (relative, state) in states {
            try removeDocument(id: state.id)
            remembered.append(SkippedFile(path: relative, reason: .removed, size: state.size, mtime: state.mtime))
        }
        if root.filesOnly {
            // A named-files root is never walked: what is removed cannot come back by itself.
            if try documentStates(rootID: root.id).isEmpty {
                try deleteRoot(id: root.id)
                removal.roots.append(root.path)
            }
        } else {
            try recordSkippedFiles(rootID: root.id, remembered, clearing: [])
        }
        return removal
    }

    private func counts(rootID: Int64, scope: String) throws(IndexError) -> (documents: Int, chunks: Int) {
        let statement = try connection.prepare("""
            SELECT d.path, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id) FROM documents d WHERE d.root_id = ?
            """)
        statement.bind(1, rootID)
        var documents = 0, chunks = 0
        while try statement.step() {
            guard RootScope.contains(scope, statement.string(0)) else { continue }
            documents += 1
            chunks += statement.int(1)
        }
        return (documents, chunks)
    }
}
