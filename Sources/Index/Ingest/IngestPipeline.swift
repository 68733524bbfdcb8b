import Foundation

/// Folders → index: walk, read, load, chunk, embed, store. Incremental and restartable:
///
/// - a file whose size and mtime match the index is not read; one whose hash matches is only touched;
/// - each batch of documents is written in one transaction with all its chunks and vectors, so a crash
///   (even `kill -9`) leaves only complete documents, and a re-run picks up where it stopped;
/// - files gone from a root are removed at the end, only after a complete, uninterrupted walk;
/// - a file with the same content as one already indexed (a rename or copy) reuses its vectors.
public final class IngestPipeline {
    let store: IndexStore
    let embedder: any TextEmbedder
    let chunker: Chunker
    let loader: DocumentLoader
    let options: IngestOptions
    let cancellation: IngestCancellation
    let onEvent: (IngestEvent) -> Void

    private var report = IngestReport()
    private var pending: [PendingDocument] = []
    private var pendingChunkCount = 0
    private var filesDone = 0
    private var filesTotal = 0
    private var bytesDone: Int64 = 0
    private var bytesTotal: Int64 = 0
    private var startTime = Date()

    /// A document loaded and chunked, waiting for its vectors and its transaction.
    struct PendingDocument {
        var rootID: Int64
        var rootPath: String
        var facts: DocumentFacts
        var chunks: [TextChunk]
        var source: LoadedDocument?
        /// Vectors copied from an identical document (nil: embed).
        var reused: [EmbeddedChunk]?
        var isUpdate: Bool
        var vectors: [[Float]] = []
    }

    public init(store: IndexStore, embedder: any TextEmbedder, counter: any EmbeddingTokenCounter,
                options: IngestOptions = IngestOptions(), loader: DocumentLoader = DocumentLoader(),
                cancellation: IngestCancellation = IngestCancellation(), onEvent: @escaping (IngestEvent) -> Void = { _ in }) {
        self.store = store
        self.embedder = embedder
        self.chunker = Chunker(counter: counter, overlapFraction: options.overlapFraction)
        self.loader = loader
        self.options = options
        self.cancellation = cancellation
        self.onEvent = onEvent
    }

    /// Canonical absolute path of an ingest argument (a folder or a file; links resolved), or a typed error.
    public static func resolveArgument(_ argument: String) throws(IndexError) -> (path: String, isDirectory: Bool) {
        let absolute = URL(fileURLWithPath: argument).standardizedFileURL.resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else { throw .rootNotFound(path: argument) }
        return (absolute, isDirectory.boolValue)
    }

    /// Canonical absolute folder path (links resolved), or a typed error when it is missing or not a folder.
    public static func resolveRoot(_ argument: String) throws(IndexError) -> String {
        let resolved = try resolveArgument(argument)
        guard resolved.isDirectory else { throw .rootNotADirectory(path: argument) }
        return resolved.path
    }

    /// Ingests folders and files. A file or folder inside an indexed folder is ingested as part of that root;
    /// no arguments: every root of the index again (a root of named files re-checks those files only).
    public func run(roots arguments: [String]) throws(IndexError) -> IngestReport {
        var resolved: [(path: String, isDirectory: Bool)] = []
        for argument in arguments { resolved.append(try Self.resolveArgument(argument)) }
        try prepareVectors()
        var targets: [IngestTarget] = []
        if arguments.isEmpty {
            for root in try store.roots() { targets.append(try wholeRoot(root)) }
        } else {
            for argument in resolved {
                let placed = try store.transaction { () throws(IndexError) in
                    try store.placeIngestArgument(argument.path, isDirectory: argument.isDirectory)
                }
                targets.append(IngestTarget(root: placed.root, scopes: [placed.relative],
                                            named: argument.isDirectory ? [] : [placed.relative]))
            }
        }
        return try run(IngestTarget.merged(targets))
    }

    /// Applies changed paths (canonical, absolute; created, modified or gone) reported by a watcher: each is
    /// walked again within its root, and documents no longer found there are removed. Paths in no root, and
    /// new files next to a root of named files, are ignored.
    public func apply(changes paths: [String]) throws(IndexError) -> IngestReport {
        try prepareVectors()
        var targets: [IngestTarget] = []
        for path in paths {
            guard let (root, relative) = try store.root(containing: path) else { continue }
            if root.filesOnly {
                let known = Set(try store.documentStates(rootID: root.id).keys).union(try store.skippedStates(rootID: root.id).keys)
                let scopes = known.filter { RootScope.contains(relative, $0) }
                if !scopes.isEmpty { targets.append(IngestTarget(root: root, scopes: Array(scopes), named: [])) }
            } else {
                targets.append(IngestTarget(root: root, scopes: [relative], named: []))
            }
        }
        return try run(IngestTarget.merged(targets))
    }

    /// All of a root: the whole folder, or the named files it holds.
    private func wholeRoot(_ root: StoredRoot) throws(IndexError) -> IngestTarget {
        guard root.filesOnly else { return IngestTarget(root: root, scopes: [""], named: []) }
        let known = Set(try store.documentStates(rootID: root.id).keys).union(try store.skippedStates(rootID: root.id).keys)
        return IngestTarget(root: root, scopes: known.sorted(), named: [])
    }

    /// Claims the index for this embedder; drops the vectors for `--reembed` or after an `EmbeddingInput` change.
    private func prepareVectors() throws(IndexError) {
        let identity = embedder.identity
        if options.reembed {
            try store.resetVectors(for: identity)
        } else {
            try store.claim(for: identity)
            if try store.vectorsUseOtherInput() {
                onEvent(.embeddingInputChanged)
                try store.resetVectors(for: identity)
            }
        }
    }

    private func run(_ targets: [IngestTarget]) throws(IndexError) -> IngestReport {
        startTime = Date()
        report = IngestReport()
        filesDone = 0
        bytesDone = 0

        // Walk every target first, so progress knows the total.
        var walks: [(target: IngestTarget, files: [FoundFile])] = []
        for target in targets {
            let walkStart = Date()
            var files: [FoundFile] = []
            var skippedCount = 0
            let walker = FileWalker(maxFileBytes: options.maxFileBytes, followLinks: options.followLinks)
            for scope in target.scopes {
                let walk = walker.walk(root: target.root.path, scope: scope)
                files += walk.files
                skippedCount += walk.skipped.count
                for skipped in walk.skipped { skip(root: target.root.path, skipped) }
            }
            report.timings.walk += Date().timeIntervalSince(walkStart)
            walks.append((target, files))
            onEvent(.walked(root: target.root.path, files: files.count, skipped: skippedCount))
        }
        filesTotal = walks.reduce(0) { $0 + $1.files.count }
        bytesTotal = walks.reduce(0) { total, walk in walk.files.reduce(total) { $0 + $1.size } }

        var walkedRoots: [(target: IngestTarget, seen: Set<String>, states: [String: DocumentState])] = []
        rootLoop: for walk in walks {
            let target = walk.target
            let states = try store.documentStates(rootID: target.root.id).filter { target.holds($0.key) }
            let remembered = try store.skippedStates(rootID: target.root.id)
            var seen: Set<String> = []
            for file in walk.files {
                if cancellation.isCancelled { break rootLoop }
                let rememberedSkip = target.named.contains(file.relativePath) ? nil : remembered[file.relativePath]
                if try handle(file, root: target.root.path, rootID: target.root.id, state: states[file.relativePath],
                              remembered: rememberedSkip) {
                    seen.insert(file.relativePath)
                }
                filesDone += 1
                bytesDone += file.size
                report.filesSeen += 1
                emitProgress(file.relativePath)
            }
            walkedRoots.append((target, seen, states))
        }
        try flush()
        report.interrupted = cancellation.isCancelled
        try recordSkipped(targets, complete: !report.interrupted)

        if !report.interrupted {
            try removeVanished(walkedRoots)
            try embedMissingVectors()
        }
        if !cancellation.isCancelled {
            try store.transaction { () throws(IndexError) in try store.recordIngestFinished(at: Date().timeIntervalSince1970) }
        }
        report.interrupted = cancellation.isCancelled
        report.seconds = Date().timeIntervalSince(startTime)
        return report
    }

    /// Decides what to do with one file. Returns whether the file stays in the index (seen).
    private func handle(_ file: FoundFile, root: String, rootID: Int64, state: DocumentState?,
                        remembered: StoredSkippedFile?) throws(IndexError) -> Bool {
        if let state, state.size == file.size, state.mtime == file.mtime {
            report.unchanged += 1
            return true
        }
        // Skipped before and not changed since: not read again.
        if state == nil, let remembered, remembered.size == file.size, remembered.mtime == file.mtime {
            skip(root: root, SkippedFile(path: file.relativePath, reason: .remembered(key: remembered.reason, detail: remembered.detail),
                                         size: file.size, mtime: file.mtime))
            return false
        }
        // Images, archives and other known binary types are reported without being read.
        let name = (file.relativePath as NSString).lastPathComponent
        if case .knownBinary(let type) = FileKinds.kind(ofFileNamed: name) {
            skip(root: root, SkippedFile(path: file.relativePath, reason: .unsupportedType(type), size: file.size, mtime: file.mtime))
            return false
        }
        let readStart = Date()
        let opening = SourceFile.load(path: file.absolutePath, limit: options.maxFileBytes, root: options.followLinks ? nil : root)
        report.timings.read += Date().timeIntervalSince(readStart)
        guard case .opened(let source) = opening else {
            if case .skipped(let reason) = opening {
                skip(root: root, SkippedFile(path: file.relativePath, reason: reason, size: file.size, mtime: file.mtime))
            }
            return false
        }
        let bytes = source.bytes
        let hashStart = Date()
        let sha256 = SHA256.hex(of: bytes)
        report.timings.read += Date().timeIntervalSince(hashStart)

        if let state, state.sha256 == sha256 {
            let writeStart = Date()
            try store.transaction { () throws(IndexError) in try store.touchDocument(id: state.id, size: file.size, mtime: file.mtime) }
            report.timings.write += Date().timeIntervalSince(writeStart)
            report.unchanged += 1
            return true
        }

        let parseStart = Date()
        let outcome = loader.load(name: name, file: source, limit: options.maxFileBytes)
        report.timings.parse += Date().timeIntervalSince(parseStart)
        guard case .loaded(let document) = outcome else {
            if case .skipped(let reason) = outcome {
                skip(root: root, SkippedFile(path: file.relativePath, reason: reason, size: file.size, mtime: file.mtime))
            }
            return false
        }
        if document.encoding != .utf8 { report.decoded.append((root, file.relativePath, document.encoding)) }

        let facts = DocumentFacts(path: file.relativePath, sha256: sha256, size: file.size, mtime: file.mtime,
                                  format: document.format.rawValue)
        if let reused = try store.reusableChunks(sha256: sha256, format: facts.format, dimension: embedder.identity.dimension) {
            pending.append(PendingDocument(rootID: rootID, rootPath: root, facts: facts, chunks: [], reused: reused, isUpdate: state != nil))
        } else {
            let chunkStart = Date()
            let chunks = chunker.chunk(document)
            report.timings.chunk += Date().timeIntervalSince(chunkStart)
            // The text is only kept for its line map: a document whose lines are the file's own costs nothing more
            // while it waits for its vectors (a 30 MiB file would otherwise be held twice, as text and as chunks).
            pending.append(PendingDocument(rootID: rootID, rootPath: root, facts: facts, chunks: chunks,
                                           source: document.sourceLines == nil && document.pages == nil ? nil : document, reused: nil,
                                           isUpdate: state != nil))
            pendingChunkCount += chunks.count
        }
        if pendingChunkCount >= options.embedBatchSize { try flush() }
        return true
    }

    /// Embeds the pending documents' chunks (in batches across documents) and writes them in one transaction.
    private func flush() throws(IndexError) {
        guard !pending.isEmpty else { return }
        // Flatten the texts that need vectors.
        var owners: [(document: Int, chunk: Int)] = []
        for (documentIndex, document) in pending.enumerated() where document.reused == nil {
            for chunkIndex in document.chunks.indices { owners.append((documentIndex, chunkIndex)) }
            pending[documentIndex].vectors = Array(repeating: [], count: document.chunks.count)
        }
        var start = 0
        while start < owners.count {
            let batch = owners[start..<min(owners.count, start + options.embedBatchSize)]
            let texts = batch.map { owner in
                let chunk = pending[owner.document].chunks[owner.chunk]
                return EmbeddingInput.text(chunk.text, heading: chunk.headingPath.joined(separator: " > "))
            }
            let vectors = try embed(texts)
            for (owner, vector) in zip(batch, vectors) { pending[owner.document].vectors[owner.chunk] = vector }
            start += batch.count
            report.chunksEmbedded += batch.count
            emitProgress(nil)
        }

        let writeStart = Date()
        let dimension = embedder.identity.dimension
        try store.transaction { () throws(IndexError) in
            for document in pending {
                let records = document.reused ?? records(for: document)
                try store.replaceDocument(rootID: document.rootID, facts: document.facts, chunks: records, dimension: dimension)
                report.chunksWritten += records.count
            }
        }
        report.timings.write += Date().timeIntervalSince(writeStart)
        for document in pending {
            if document.isUpdate { report.updated += 1 } else { report.added += 1 }
            if document.reused != nil { report.reused += 1 }
            onEvent(.applied(root: document.rootPath, path: document.facts.path, change: document.isUpdate ? .updated : .added))
        }
        pending = []
        pendingChunkCount = 0
        emitProgress(nil)
    }

    private func records(for document: PendingDocument) -> [EmbeddedChunk] {
        document.chunks.enumerated().map { ordinal, chunk in
            let firstLine = document.source?.sourceLine(ofTextLine: chunk.lineRange.lowerBound) ?? chunk.lineRange.lowerBound
            let lastLine = document.source?.sourceLine(ofTextLine: chunk.lineRange.upperBound) ?? chunk.lineRange.upperBound
            return EmbeddedChunk(ordinal: ordinal, text: chunk.text, heading: chunk.headingPath.joined(separator: " > "),
                                 characterRange: chunk.characterRange, lineRange: firstLine...max(firstLine, lastLine),
                                 tokenCount: chunk.tokenCount, vector: document.vectors[ordinal],
                                 pageRange: document.source?.pageRange(ofTextLines: chunk.lineRange))
        }
    }

    private func embed(_ texts: [String]) throws(IndexError) -> [[Float]] {
        let embedStart = Date()
        defer { report.timings.embed += Date().timeIntervalSince(embedStart) }
        let vectors: [[Float]]
        do {
            vectors = try embedder.embed(texts)
        } catch {
            throw .embedderFailed(message: String(describing: error))
        }
        let dimension = embedder.identity.dimension
        guard vectors.count == texts.count, vectors.allSatisfy({ $0.count == dimension }) else {
            throw .badEmbedding(expectedCount: texts.count, actualCount: vectors.count, dimension: dimension)
        }
        return vectors
    }

    /// Deletes documents of the walked scopes that the walk did not find (deleted, renamed, now skipped).
    private func removeVanished(_ roots: [(target: IngestTarget, seen: Set<String>, states: [String: DocumentState])]) throws(IndexError) {
        let writeStart = Date()
        var removed: [(root: String, path: String)] = []
        try store.transaction { () throws(IndexError) in
            for root in roots {
                for (path, state) in root.states where !root.seen.contains(path) {
                    try store.removeDocument(id: state.id)
                    removed.append((root.target.root.path, path))
                }
            }
        }
        report.removed += removed.count
        for document in removed.sorted(by: { $0.path < $1.path }) {
            onEvent(.applied(root: document.root, path: document.path, change: .removed))
        }
        report.timings.write += Date().timeIntervalSince(writeStart)
    }

    /// Gives every chunk without a vector one (all of them after `--reembed`), batch by batch.
    private func embedMissingVectors() throws(IndexError) {
        let missing = try store.countChunksMissingVectors()
        guard missing > 0 else { return }
        onEvent(.reembedding(chunks: missing))
        while !cancellation.isCancelled {
            let rows = try store.chunksMissingVectors(limit: options.embedBatchSize)
            if rows.isEmpty { break }
            let vectors = try embed(rows.map { EmbeddingInput.text($0.text, heading: $0.heading) })
            let writeStart = Date()
            try store.transaction { () throws(IndexError) in
                for (row, vector) in zip(rows, vectors) { try store.setVector(chunkID: row.id, vector: vector) }
            }
            report.timings.write += Date().timeIntervalSince(writeStart)
            report.chunksEmbedded += rows.count
            emitProgress(nil)
        }
    }

    /// Keeps this run's skipped files in the index (`rag status` lists them). After a complete run they replace
    /// the older records of the walked scopes.
    private func recordSkipped(_ targets: [IngestTarget], complete: Bool) throws(IndexError) {
        try store.transaction { () throws(IndexError) in
            for target in targets {
                let files = report.skipped.filter { $0.root == target.root.path }.map(\.file)
                try store.recordSkippedFiles(rootID: target.root.id, files, clearing: complete ? target.scopes : [])
            }
        }
    }

    private func skip(root: String, _ file: SkippedFile) {
        report.skipped.append((root, file))
        onEvent(.skipped(root: root, file: file))
    }

    private func emitProgress(_ currentFile: String?) {
        onEvent(.progress(IngestProgress(filesDone: filesDone, filesTotal: filesTotal, chunksDone: report.chunksEmbedded,
                                         bytesDone: bytesDone, bytesTotal: bytesTotal, elapsed: Date().timeIntervalSince(startTime), currentFile: currentFile)))
    }
}
