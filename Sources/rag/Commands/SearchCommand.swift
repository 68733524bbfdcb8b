import Foundation
import Index
import ModelKit
import Retrieval
import Serve

enum SearchCommand {
    static let spec = CommandSpec(
        name: "search",
        summary: "show the chunks that best match a query",
        usage: ["search [options] QUERY"],
        options: [
            OptionSpec("k", short: "k", value: "N", help: "number of results (default 10)"),
            OptionSpec.noRerank,
            OptionSpec("mode", value: "MODE", help: "dense | lexical | hybrid (default hybrid)"),
            OptionSpec("json", help: "print a JSON list of {path, start_line, end_line, score, text}"),
        ],
        positionals: 1...1,
        details: "dense: cosine similarity of embeddings; lexical: SQLite FTS5 bm25; hybrid: both, fused and diversified.",
        run: run)

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let k = try arguments.int("k", default: 10, range: 1...1000)!
        let modeName = try arguments.choice("mode", from: SearchMode.allCases.map(\.rawValue), default: SearchMode.hybrid.rawValue)
        let mode = SearchMode(rawValue: modeName) ?? .hybrid
        let query = arguments.positionals[0]
        // Checked before the index opens, and a usage error (exit 2) as in 'rag ask'.
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw UsageError(message: "the query is empty", command: "search")
        }

        let retriever = try Services.openRetriever(invocation)
        let result = try retriever.search(query, k: k, mode: mode)
        let hits = result.chunks.map { found in
            SearchHit(found)
        }
        invocation.console.debug(String(format: "embed %.1f ms, search %.1f ms", result.embedSeconds * 1000, result.searchSeconds * 1000))
        if arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            invocation.console.result(String(decoding: try encoder.encode(hits), as: UTF8.self))
            return
        }
        if hits.isEmpty { invocation.console.info("no matching chunks") }
        for (rank, hit) in hits.enumerated() {
            let heading = hit.heading.isEmpty ? "" : "  [\(hit.heading)]"
            invocation.console.result("\(rank + 1). \(hit.citation)  " + String(format: "%.4f", hit.score) + heading)
            let preview = hit.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            invocation.console.result("   " + (preview.count > 240 ? preview.prefix(240) + "…" : preview))
        }
    }
}
