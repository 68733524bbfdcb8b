import Foundation
import Index

enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "show what the index holds",
        usage: ["status [options]"],
        options: [OptionSpec("json", help: "print JSON")],
        positionals: 0...0,
        details: "Roots, document and chunk counts, database size, embedder, the time of the last ingest and the files it skipped.",
        run: run)

    struct Report: Encodable {
        struct Root: Encodable {
            let path: String
            let documents: Int
            let chunks: Int
        }

        let database: String
        let databaseBytes: Int64
        let schemaVersion: Int
        let roots: [Root]
        let documents: Int
        let chunks: Int
        let vectors: Int
        let embedder: String?
        let dimension: Int?
        let modelSHA256: String?
        /// ISO 8601, UTC.
        let lastIngest: String?
        /// Files the last ingest of each root left out, with the reason.
        let skipped: [IngestSummary.Skipped]

        enum CodingKeys: String, CodingKey {
            case database, roots, documents, chunks, vectors, embedder, dimension, skipped
            case databaseBytes = "database_bytes"
            case schemaVersion = "schema_version"
            case modelSHA256 = "model_sha256"
            case lastIngest = "last_ingest"
        }
    }

    static func run(_ invocation: Invocation) throws {
        let store = try IndexStore(path: DataPaths.databasePath(invocation.global), mode: .readOnly)
        let statistics = try store.statistics()
        let report = Report(
            database: statistics.path, databaseBytes: statistics.databaseBytes, schemaVersion: statistics.schemaVersion,
            roots: statistics.roots.map { Report.Root(path: $0.path, documents: $0.documentCount, chunks: $0.chunkCount) },
            documents: statistics.documentCount, chunks: statistics.chunkCount, vectors: statistics.vectorCount,
            embedder: statistics.embedder?.name, dimension: statistics.embedder?.dimension,
            modelSHA256: statistics.embedder?.modelSHA256,
            lastIngest: statistics.lastIngest.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) },
            skipped: try store.skippedFiles().map {
                IngestSummary.Skipped(root: $0.rootPath, path: $0.path, reason: $0.reason, detail: $0.detail)
            })
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
            console.result("  \(root.path)  \(root.documents) documents, \(root.chunks) chunks")
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
