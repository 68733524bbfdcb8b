import Foundation
import Index

enum RemoveCommand {
    static let spec = CommandSpec(
        name: "remove",
        summary: "take files, folders or whole roots out of the index",
        usage: ["remove [options] PATH..."],
        options: [OptionSpec("json", help: "print a JSON list of {path, roots, documents, chunks}")],
        positionals: 1...Int.max,
        details: """
        A root (a folder given to 'rag ingest'), or a folder holding roots, is forgotten with its documents, chunks and
        vectors: a plain 'rag ingest' no longer brings it back. A file or folder inside a root leaves the index and is
        remembered as removed, so the next ingest of the root leaves it out until it changes or is named to 'rag ingest'.
        Everything is removed in one transaction; a path not in the index is an error and nothing is removed.
        The files themselves are never touched.
        """,
        run: run)

    struct Line: Encodable {
        let path: String
        let roots: [String]
        let documents: Int
        let chunks: Int
    }

    static func run(_ invocation: Invocation) throws {
        let store = try IndexStore(path: DataPaths.databasePath(invocation.global), mode: .readWrite)
        let removals = try store.remove(arguments: invocation.arguments.positionals)
        if invocation.arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let lines = removals.map { Line(path: $0.path, roots: $0.roots, documents: $0.documents, chunks: $0.chunks) }
            invocation.console.result(String(decoding: try encoder.encode(lines), as: UTF8.self))
            return
        }
        for removal in removals {
            let forgotten = removal.roots.isEmpty ? "" : "; forgot root " + removal.roots.joined(separator: ", ")
            invocation.console.result("removed \(removal.path): \(removal.documents) documents, \(removal.chunks) chunks" + forgotten)
        }
    }
}
