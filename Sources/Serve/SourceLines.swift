import Foundation
import Index
import Retrieval

/// The cited lines of an indexed document, for `GET /api/source`. Only documents in the index can be read: the
/// path must be one the index lists, and the file is opened at its indexed root; nothing else on disk is reachable.
public struct SourceExcerpt: Encodable, Sendable {
    public struct Line: Encodable, Sendable {
        public let n: Int
        public let text: String
    }

    public let path: String
    public let root: String
    public let startLine: Int
    public let endLine: Int
    public let lines: [Line]

    enum CodingKeys: String, CodingKey {
        case path, root, lines
        case startLine = "start_line"
        case endLine = "end_line"
    }
}

enum SourceLines {
    /// Most lines one request may read.
    static let maxLines = 2000
    /// Largest file read.
    static let maxBytes = 64 << 20

    /// Lines `start...end` of the indexed document `path` (under `root` when several roots hold that path), as
    /// numbered in citations (source-file lines). Blank lines included.
    static func excerpt(path: String, root: String?, start: Int, end: Int, documents: [DocumentRef]) throws(APIError) -> SourceExcerpt {
        guard start >= 1, end >= start else { throw .badRequest("start and end must be line numbers with 1 <= start <= end") }
        guard end - start < maxLines else { throw .badRequest("at most \(maxLines) lines per request") }
        let matches = documents.filter { $0.path == path && (root == nil || $0.rootPath == root) }
        guard let document = matches.first else { throw .notFound("'\(path)' is not an indexed document", code: "document_not_found") }
        guard matches.count == 1 else { throw .badRequest("'\(path)' is indexed under several roots: add root=…") }

        let rootURL = URL(fileURLWithPath: document.rootPath).standardizedFileURL
        let fileURL = rootURL.appendingPathComponent(document.path).standardizedFileURL
        guard fileURL.path.hasPrefix(rootURL.path + "/") else { throw .notFound("'\(path)' is not an indexed document", code: "document_not_found") }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: fileURL.path),
              let size = attributes[.size] as? Int, size <= maxBytes,
              let data = FileManager.default.contents(atPath: fileURL.path) else {
            throw .notFound("'\(path)' is indexed but can no longer be read (moved, deleted or too large); run 'rag ingest' again",
                            code: "document_unreadable")
        }
        guard case .loaded(let loaded) = DocumentLoader().load(name: fileURL.lastPathComponent, path: fileURL.path, bytes: Array(data)) else {
            throw .notFound("'\(path)' can no longer be loaded; run 'rag ingest' again", code: "document_unreadable")
        }
        var lines: [SourceExcerpt.Line] = []
        for (index, text) in loaded.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let sourceLine = loaded.sourceLine(ofTextLine: index + 1)
            if sourceLine >= start, sourceLine <= end { lines.append(SourceExcerpt.Line(n: sourceLine, text: String(text))) }
        }
        return SourceExcerpt(path: document.path, root: document.rootPath, startLine: start, endLine: end, lines: lines)
    }
}
