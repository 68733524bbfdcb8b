import Foundation

enum IngestCommand {
    static let spec = CommandSpec(
        name: "ingest",
        summary: "add or update folders of documents in the index",
        usage: ["ingest [options] DIR..."],
        options: [
            OptionSpec("json", help: "print a JSON summary (added, updated, removed, skipped, chunks, seconds)"),
            OptionSpec("reembed", help: "re-embed every chunk (after an embedder change)"),
            OptionSpec("int8", help: "embed with the INT8 encoder (faster, cosine >= 0.999 to fp32)"),
        ],
        positionals: 1...Int.max,
        details: "Unchanged files are skipped; changed files are re-chunked and re-embedded; files gone from a folder leave the index.",
        run: { _ in throw notBuiltYet("ingest", issue: 5) })
}
