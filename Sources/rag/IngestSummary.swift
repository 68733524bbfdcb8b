import Foundation
import Index

/// The result of `rag ingest`, as printed by `--json`.
struct IngestSummary: Encodable {
    struct Skipped: Encodable {
        let root: String
        let path: String
        let reason: String
        let detail: String
    }

    /// An indexed file that was not clean UTF-8.
    struct Decoded: Encodable {
        let root: String
        let path: String
        /// `utf8_repaired` or `latin1`.
        let encoding: String
        let detail: String
    }

    struct Timings: Encodable {
        let walk: Double
        let read: Double
        let parse: Double
        let chunk: Double
        let embed: Double
        let write: Double
    }

    let added: Int
    let updated: Int
    let removed: Int
    let unchanged: Int
    let reused: Int
    let skipped: [Skipped]
    let skippedByReason: [String: Int]
    let decoded: [Decoded]
    let files: Int
    let chunks: Int
    let chunksEmbedded: Int
    let seconds: Double
    let filesPerSecond: Double
    let chunksPerSecond: Double
    let timings: Timings
    let databaseBytes: Int64
    let database: String
    let embedder: String
    let interrupted: Bool

    enum CodingKeys: String, CodingKey {
        case added, updated, removed, unchanged, reused, skipped, decoded, files, chunks, seconds, timings, database, embedder, interrupted
        case skippedByReason = "skipped_by_reason"
        case chunksEmbedded = "chunks_embedded"
        case filesPerSecond = "files_per_second"
        case chunksPerSecond = "chunks_per_second"
        case databaseBytes = "database_bytes"
    }

    init(report: IngestReport, statistics: IndexStatistics, embedder: EmbedderIdentity) {
        added = report.added
        updated = report.updated
        removed = report.removed
        unchanged = report.unchanged
        reused = report.reused
        skipped = report.skipped.map { Skipped(root: $0.root, path: $0.file.path, reason: $0.file.reason.key, detail: $0.file.reason.description) }
        skippedByReason = Dictionary(report.skipped.map { ($0.file.reason.key, 1) }, uniquingKeysWith: +)
        decoded = report.decoded.map {
            Decoded(root: $0.root, path: $0.path, encoding: $0.encoding.key ?? "utf8", detail: $0.encoding.description)
        }
        files = report.filesSeen
        chunks = report.chunksWritten
        chunksEmbedded = report.chunksEmbedded
        seconds = Self.round(report.seconds)
        filesPerSecond = report.seconds > 0 ? Self.round(Double(report.filesSeen) / report.seconds) : 0
        chunksPerSecond = report.seconds > 0 ? Self.round(Double(report.chunksEmbedded) / report.seconds) : 0
        let t = report.timings
        timings = Timings(walk: Self.round(t.walk), read: Self.round(t.read), parse: Self.round(t.parse),
                          chunk: Self.round(t.chunk), embed: Self.round(t.embed), write: Self.round(t.write))
        databaseBytes = statistics.databaseBytes
        database = statistics.path
        self.embedder = embedder.name
        interrupted = report.interrupted
    }

    static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// One line for people.
    var text: String {
        var parts = ["added \(added)", "updated \(updated)", "removed \(removed)", "unchanged \(unchanged)"]
        if !skipped.isEmpty { parts.append("skipped \(skipped.count)") }
        let repaired = decoded.filter { $0.encoding == "utf8_repaired" }.count, latin1 = decoded.count - repaired
        if repaired > 0 { parts.append("\(repaired) with invalid UTF-8 repaired") }
        if latin1 > 0 { parts.append("\(latin1) read as Latin-1") }
        let speed = String(format: "%.1f s, %.1f files/s, %.1f chunks/s", seconds, filesPerSecond, chunksPerSecond)
        return parts.joined(separator: ", ") + "; \(chunks) chunks written, \(chunksEmbedded) embedded in " + speed
            + (interrupted ? " (interrupted: run the same command again to finish)" : "")
    }
}

/// The result of `rag ingest --dry-run`.
struct IngestPreviewSummary: Encodable {
    let dryRun = true
    let documents: Int
    let documentsByFormat: [String: Int]
    let chunks: Int
    let tokens: Int
    let bytes: Int64
    let skipped: [IngestSummary.Skipped]
    let skippedByReason: [String: Int]
    let seconds: Double
    let timings: IngestSummary.Timings

    enum CodingKeys: String, CodingKey {
        case documents, chunks, tokens, bytes, skipped, seconds, timings
        case dryRun = "dry_run"
        case documentsByFormat = "documents_by_format"
        case skippedByReason = "skipped_by_reason"
    }

    init(_ result: IngestPreview.Result) {
        documents = result.documents
        documentsByFormat = result.documentsByFormat
        chunks = result.chunks
        tokens = result.tokens
        bytes = result.bytes
        skipped = result.skipped.map {
            IngestSummary.Skipped(root: $0.root, path: $0.file.path, reason: $0.file.reason.key, detail: $0.file.reason.description)
        }
        skippedByReason = Dictionary(result.skipped.map { ($0.file.reason.key, 1) }, uniquingKeysWith: +)
        seconds = IngestSummary.round(result.seconds)
        let t = result.timings
        timings = IngestSummary.Timings(walk: IngestSummary.round(t.walk), read: IngestSummary.round(t.read),
                                        parse: IngestSummary.round(t.parse), chunk: IngestSummary.round(t.chunk), embed: 0, write: 0)
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    var text: String {
        "dry run: \(documents) documents → \(chunks) chunks (\(tokens) tokens), \(skipped.count) skipped; "
            + String(format: "%.2f s (parse %.2f s, chunk %.2f s); nothing was embedded or written", seconds, timings.parse, timings.chunk)
    }
}
