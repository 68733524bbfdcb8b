import Embedder
import Foundation
import Index
import ModelKit

enum IngestCommand {
    static let spec = CommandSpec(
        name: "ingest",
        summary: "add or update folders and files of documents in the index",
        usage: ["ingest [options] DIR|FILE...", "ingest [options]          (every folder and file already in the index)"],
        options: [
            OptionSpec("json", help: "print a JSON summary (added, updated, removed, skipped, chunks, seconds, timings)"),
            OptionSpec("reembed", help: "re-embed every chunk (after an embedder change)"),
            OptionSpec("int8", help: "embed with the INT8 encoder (the default for a new index: 3x faster, same retrieval quality)"),
            OptionSpec("fp32", help: "embed with the fp32 encoder"),
            OptionSpec("max-file-mb", value: "N", help: "skip files larger than N MiB, or whose text is (decompressed .gz, PDF text); default 32"),
            OptionSpec("follow-links", help: "follow symbolic links that lead out of the folder (default: skip them)"),
            OptionSpec("dry-run", help: "load and chunk only: report documents, chunks and skipped files; no embedding, no index"),
            OptionSpec("watch", help: "after ingesting, keep watching the folders and apply each change (Ctrl-C stops)"),
            OptionSpec("debounce-ms", value: "N", help: "with --watch: apply a burst of changes once quiet for N ms (default 1000)"),
            OptionSpec("poll", help: "with --watch: poll the folders every 2 s instead of using inotify"),
        ],
        positionals: 0...Int.max,
        details: """
        Unchanged files are skipped; changed files are re-chunked and re-embedded; files gone from a folder leave the index.
        A file, or a folder inside an indexed folder, is ingested as part of the indexed folder; a file elsewhere joins the
        files named from its folder (a plain 'rag ingest' re-checks just those). A file is one document however it is
        reached (a link to a file in the same folder is skipped: its target is indexed). Skipped files are remembered
        with their size and mtime and not read again until they change. 'rag remove' takes things out.
        Reads .txt, .md, .html, source code, man pages (also .gz) and PDF (with pdftotext); other files are reported as skipped.
        Safe on folders you did not write: links out of the folder, FIFOs and devices are not followed or opened, output of
        .gz and PDF files is capped by --max-file-mb, and invalid UTF-8 bytes become U+FFFD (files that are not UTF-8 at all
        are read as Latin-1); every skipped or repaired file is listed in the summary, and 'rag status --json' keeps the skips.
        Ctrl-C finishes the current documents and stops; running the same command again continues.
        --watch: after the pass, changes (new, edited, deleted and renamed files, saves that rename a temporary file
        over the original) are applied within a few seconds, one line each on stderr (--json: one JSON object per
        line on stdout). It uses inotify and falls back to polling where inotify is missing or its watch limit is
        reached (and says so). Ctrl-C or SIGTERM stops it with the index consistent. One watcher per index.
        """,
        run: run)

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let maxMegabytes = try arguments.int("max-file-mb", default: 32, range: 1...4096)!
        let debounce = try arguments.int("debounce-ms", default: 1000, range: 10...60_000)!
        let watch = arguments.flag("watch")
        if !watch, arguments.flag("poll") || arguments.string("debounce-ms") != nil {
            throw UsageError(message: "--poll and --debounce-ms go with --watch", command: "ingest")
        }
        if watch, arguments.flag("dry-run") { throw UsageError(message: "--watch and --dry-run exclude each other", command: "ingest") }
        // Check the paths before loading a model or touching the index.
        for path in arguments.positionals {
            do {
                if watch { _ = try IngestPipeline.resolveRoot(path) } else { _ = try IngestPipeline.resolveArgument(path) }
            } catch {
                throw CommandFailure(message: error.description)
            }
        }
        if arguments.flag("dry-run") {
            guard !arguments.positionals.isEmpty else { throw UsageError(message: "--dry-run needs folders or files", command: "ingest") }
            let tokenizer = try WordPieceTokenizer(models: DataPaths.models(invocation.global))
            let preview = IngestPreview(counter: tokenizer, maxFileBytes: Int64(maxMegabytes) << 20,
                                        followLinks: arguments.flag("follow-links"))
            let summary = IngestPreviewSummary(try preview.run(roots: arguments.positionals))
            if !invocation.console.quiet && !arguments.flag("json") {
                for skipped in summary.skipped { Console.writeStderr("skipped \(skipped.path): \(skipped.detail)\n") }
            }
            invocation.console.result(arguments.flag("json") ? summary.json() : summary.text)
            return
        }
        let databasePath = DataPaths.databasePath(invocation.global)
        let watchLock = watch ? try WatchLock(databasePath: databasePath) : nil
        let store = try IndexStore(path: databasePath, mode: .readWrite)
        if arguments.positionals.isEmpty, try store.roots().isEmpty {
            throw CommandFailure(message: "the index at \(store.path) holds no folders yet: run 'rag ingest DIR|FILE...'")
        }
        let embedder = try BertEmbedder(models: DataPaths.models(invocation.global),
                                        precision: try precision(arguments, stored: try store.embedderIdentity()))
        let printer = IngestProgressPrinter(console: invocation.console)
        let interrupt = IngestInterruptHandler(console: invocation.console)
        let pipeline = IngestPipeline(
            store: store, embedder: embedder, counter: embedder.tokenizer,
            options: IngestOptions(maxFileBytes: Int64(maxMegabytes) << 20, reembed: arguments.flag("reembed"),
                                   followLinks: arguments.flag("follow-links")),
            cancellation: interrupt.cancellation, onEvent: printer.handle)
        let report = try pipeline.run(roots: arguments.positionals)
        printer.finish()
        if !invocation.console.quiet && !arguments.flag("json") {
            for file in report.decoded { Console.writeStderr("decoded \(file.path): \(file.encoding.description)\n") }
        }
        let summary = IngestSummary(report: report, statistics: try store.statistics(), embedder: embedder.identity)
        invocation.console.result(arguments.flag("json") ? summary.json() : summary.text)
        if watch, !report.interrupted {
            let folders = arguments.positionals.isEmpty
                ? try store.roots().filter { !$0.filesOnly }.map(\.path)
                : try arguments.positionals.map { path throws in try IngestPipeline.resolveRoot(path) }
            let watcher = FolderWatcher(roots: folders, debounce: Double(debounce) / 1000, forcePolling: arguments.flag("poll"))
            switch watcher.mode {
            case .inotify: invocation.console.info("watching \(folders.joined(separator: ", ")) (Ctrl-C stops)")
            case .polling(let reason): invocation.console.info("watching \(folders.joined(separator: ", ")) by polling every 2 s: \(reason) (Ctrl-C stops)")
            }
            printer.watching = true
            printer.announcedPolling = watcher.mode != .inotify
            printer.json = arguments.flag("json")
            while !interrupt.cancellation.isCancelled {
                let changed = watcher.next { interrupt.cancellation.isCancelled }
                if changed.isEmpty { continue }
                _ = try pipeline.apply(changes: changed.sorted())
                if case .polling(let reason) = watcher.mode, !printer.announcedPolling {
                    printer.announcedPolling = true
                    invocation.console.info("now polling every 2 s: \(reason)")
                }
            }
            invocation.console.info("stopped watching; the index is up to date")
        }
        withExtendedLifetime(interrupt) {}
        withExtendedLifetime(watchLock) {}
    }

    /// `--int8` / `--fp32` when given; otherwise the precision the index was built with, and INT8 for a new
    /// index (on the held-out retrieval splits INT8 is within 0.005 nDCG@10 of fp32 at a third of the time:
    /// benchmarks/retrieval.md).
    static func precision(_ arguments: ParsedArguments, stored: EmbedderIdentity?) throws -> BertPrecision {
        switch (arguments.flag("int8"), arguments.flag("fp32")) {
        case (true, true): throw UsageError(message: "--int8 and --fp32 exclude each other: give one", command: "ingest")
        case (true, false): return .int8
        case (false, true): return .float32
        case (false, false):
            return stored.map(BertPrecision.init(builtBy:)) ?? .int8
        }
    }
}

/// One `rag ingest --watch` per index: an exclusive lock on `INDEX.watch-lock`, released when the process ends.
final class WatchLock {
    private let descriptor: Int32

    init(databasePath: String) throws {
        let path = databasePath + ".watch-lock"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CommandFailure(message: "cannot create \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CommandFailure(message: "another 'rag ingest --watch' is watching the index \(databasePath): stop it first")
        }
    }

    deinit { close(descriptor) }
}
