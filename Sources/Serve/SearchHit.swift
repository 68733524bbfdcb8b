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

    enum CodingKeys: String, CodingKey {
        case path, root, heading, score, text
        case startLine = "start_line"
        case endLine = "end_line"
    }

    public init(_ found: RetrievedChunk) {
        path = found.chunk.path
        root = found.chunk.rootPath
        heading = found.chunk.heading
        startLine = found.chunk.startLine
        endLine = found.chunk.endLine
        score = found.score
        text = found.chunk.text
    }
}
