import Foundation
import Index
import Serve

enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "show what the index holds",
        usage: ["status [options]"],
        options: [OptionSpec("json", help: "print JSON")],
        positionals: 0...0,
        details: "Roots, document and chunk counts, database size, embedder, the time of the last ingest and the files it skipped.",
        run: run)

    static func run(_ invocation: Invocation) throws {
        let store = try IndexStore(path: DataPaths.databasePath(invocation.global), mode: .readOnly)
        let report = StatusReport(try store.statistics(), skipped: try store.skippedFiles())
        if invocation.arguments.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            invocation.console.result(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let console = invocation.console
        console.result("index:       \(report.database) (\(byteText(report.databaseBytes)), schema \(report.schemaVersion))")
        if let name = report.embedder, let dimension = report.dimension {
            console.result("embedder:    \(name) (\(dimension)-d, model \(report.modelSHA256?.prefix(12) ?? ""))")
        } else {
            console.result("embedder:    none yet")
        }
        console.result("documents:   \(report.documents)")
        console.result("chunks:      \(report.chunks)" + (report.vectors != report.chunks ? " (\(report.vectors) with vectors: run 'rag ingest' to finish)" : ""))
        console.result("last ingest: \(report.lastIngest ?? "never completed")")
        if !report.skipped.isEmpty {
            let reasons = Dictionary(report.skipped.map { ($0.reason, 1) }, uniquingKeysWith: +)
                .sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            console.result("skipped:     \(report.skipped.count) files (\(reasons); --json lists them)")
        }
        console.result(report.roots.isEmpty ? "roots:       none (run 'rag ingest DIR')" : "roots:")
        for root in report.roots {
            console.result("  \(root.path)\(root.filesOnly ? " (named files only)" : "")  \(root.documents) documents, \(root.chunks) chunks")
        }
    }

    static func byteText(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
