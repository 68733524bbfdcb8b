import Foundation
import Retrieval

/// One result of `rag search --json` and `POST /api/search`.
public struct SearchHit: Encodable, Sendable {
    public let path: String
    public let root: String
    public let heading: String
    public let startLine: Int
    public let endLine: Int
    public let score: Double
    public let text: String
    /// PDF pages (absent for other formats).
    public let pageStart: Int?
    public let pageEnd: Int?

    enum CodingKeys: String, CodingKey {
        case path, root, heading, score, text
        case startLine = "start_line"
        case endLine = "end_line"
        case pageStart = "page_start"
        case pageEnd = "page_end"
    }

    /// `manual.pdf p. 12–13` for a PDF, else `notes.md:4-9`.
    public var citation: String {
        AnswerJSON.citation(path: path, startLine: startLine, endLine: endLine, pageStart: pageStart, pageEnd: pageEnd)
    }

    public init(_ found: RetrievedChunk) {
        path = found.chunk.path
        root = found.chunk.rootPath
        heading = found.chunk.heading
        startLine = found.chunk.startLine
        endLine = found.chunk.endLine
        score = found.score
        text = found.chunk.text
        pageStart = found.chunk.pageStart
        pageEnd = found.chunk.pageEnd
    }
}
