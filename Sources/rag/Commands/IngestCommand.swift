import Embedder
import Foundation
import Index
import ModelKit

enum IngestCommand {
    static let spec = CommandSpec(
        name: "ingest",
        summary: "add or update folders of documents in the index",
        usage: ["ingest [options] DIR..."],
        options: [
            OptionSpec("json", help: "print a JSON summary (added, updated, removed, skipped, chunks, seconds, timings)"),
            OptionSpec("reembed", help: "re-embed every chunk (after an embedder change)"),
            OptionSpec("int8", help: "embed with the INT8 encoder (the default for a new index: 3x faster, same retrieval quality)"),
            OptionSpec("fp32", help: "embed with the fp32 encoder"),
            OptionSpec("max-file-mb", value: "N", help: "skip files larger than N MiB, or whose text is (decompressed .gz, PDF text); default 32"),
            OptionSpec("follow-links", help: "follow symbolic links that lead out of the folder (default: skip them)"),
            OptionSpec("dry-run", help: "load and chunk only: report documents, chunks and skipped files; no embedding, no index"),
        ],
        positionals: 1...Int.max,
        details: """
        Unchanged files are skipped; changed files are re-chunked and re-embedded; files gone from a folder leave the index.
        Reads .txt, .md, .html, source code, man pages (also .gz) and PDF (with pdftotext); other files are reported as skipped.
        Safe on folders you did not write: links out of the folder, FIFOs and devices are not followed or opened, output of
        .gz and PDF files is capped by --max-file-mb, and invalid UTF-8 bytes become U+FFFD (files that are not UTF-8 at all
        are read as Latin-1); every skipped or repaired file is listed in the summary, and 'rag status --json' keeps the skips.
        Ctrl-C finishes the current documents and stops; running the same command again continues.
        """,
        run: run)

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let maxMegabytes = try arguments.int("max-file-mb", default: 32, range: 1...4096)!
        // Check the folders before loading a model or touching the index.
        for root in arguments.positionals {
            do { _ = try IngestPipeline.resolveRoot(root) } catch { throw CommandFailure(message: error.description) }
        }
        if arguments.flag("dry-run") {
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
        let store = try IndexStore(path: DataPaths.databasePath(invocation.global), mode: .readWrite)
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
        withExtendedLifetime(interrupt) {}
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
            guard let stored else { return .int8 }
            return stored.name.hasSuffix("-int8") ? .int8 : .float32
        }
    }
}
