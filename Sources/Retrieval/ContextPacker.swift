import Foundation

/// One numbered source in a prompt.
public struct ContextSource: Sendable {
    /// 1-based number the answer cites as [n].
    public var number: Int
    public var path: String
    public var rootPath: String
    public var heading: String
    public var startLine: Int
    public var endLine: Int
    public var text: String
    /// Best retrieval score among the chunks merged into this source.
    public var score: Double
    public var chunkIds: [Int64]
    public var documentId: Int64
    /// 1-based PDF pages, inclusive (nil for other formats).
    public var pageStart: Int?
    public var pageEnd: Int?

    public init(number: Int, path: String, rootPath: String, heading: String, startLine: Int, endLine: Int,
                text: String, score: Double, chunkIds: [Int64], documentId: Int64, pageStart: Int? = nil, pageEnd: Int? = nil) {
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.number = number
        self.path = path
        self.rootPath = rootPath
        self.heading = heading
        self.startLine = startLine
        self.endLine = endLine
        self.text = text
        self.score = score
        self.chunkIds = chunkIds
        self.documentId = documentId
    }
}

public struct PackedContext: Sendable {
    public var sources: [ContextSource]
    /// Tokens of the rendered source block.
    public var tokenCount: Int
    /// Chunks that did not fit the budget.
    public var droppedChunks: Int
    /// True when the last source was cut to fit.
    public var truncated: Bool
}

/// Packs ranked chunks into numbered sources within a token budget.
///
/// Chunks of one document that touch or overlap (consecutive ordinals) are merged into one
/// source with the union of their text and lines, so a citation points to one contiguous range.
public struct ContextPacker {
    public let budget: Int
    let count: (String) -> Int

    public init(budget: Int, countTokens: @escaping (String) -> Int) {
        self.budget = budget
        self.count = countTokens
    }

    public func pack(_ ranked: [RetrievedChunk]) -> PackedContext {
        var sources: [ContextSource] = []
        var used = 0
        var dropped = 0
        var truncated = false
        for group in Self.mergeAdjacent(ranked) {
            var source = group
            source.number = sources.count + 1
            let cost = count(Self.render(source))
            if used + cost <= budget {
                sources.append(source)
                used += cost
                continue
            }
            // Cut the source to the room left, if that room is worth a source at all.
            let room = budget - used
            if room >= 48, !truncated, let cut = cutToFit(source, room: room) {
                sources.append(cut.source)
                used += cut.tokens
                truncated = true
            } else {
                dropped += source.chunkIds.count
            }
        }
        return PackedContext(sources: sources, tokenCount: used, droppedChunks: dropped, truncated: truncated)
    }

    /// The text of one source as the prompt shows it.
    public static func render(_ source: ContextSource) -> String {
        var header = "[\(source.number)] \(source.path)"
        if !source.heading.isEmpty { header += " — \(source.heading)" }
        return header + "\n" + source.text.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }

    /// Keeps the rank order of each group's best chunk; merges touching chunks of a document.
    static func mergeAdjacent(_ ranked: [RetrievedChunk]) -> [ContextSource] {
        var sources: [ContextSource] = []
        var chunksOfSource: [[ChunkRecord]] = []
        for hit in ranked {
            let chunk = hit.chunk
            let touching = sources.indices.first { index in
                sources[index].documentId == chunk.documentId && chunksOfSource[index].contains { touches($0, chunk) }
            }
            if let index = touching {
                chunksOfSource[index].append(chunk)
                chunksOfSource[index].sort { $0.ordinal < $1.ordinal }
                sources[index] = merged(chunksOfSource[index], number: sources[index].number, score: max(sources[index].score, hit.score))
            } else {
                sources.append(merged([chunk], number: sources.count + 1, score: hit.score))
                chunksOfSource.append([chunk])
            }
        }
        return sources
    }

    /// Neighbouring ordinals or overlapping character ranges of the same document.
    static func touches(_ a: ChunkRecord, _ b: ChunkRecord) -> Bool {
        abs(a.ordinal - b.ordinal) == 1 || (a.charEnd >= b.charStart && b.charEnd >= a.charStart)
    }

    /// One source from chunks of one document sorted by ordinal.
    static func merged(_ chunks: [ChunkRecord], number: Int, score: Double) -> ContextSource {
        var text = ""
        var end = Int.min
        for chunk in chunks {
            let scalars = chunk.text.unicodeScalars
            let consistent = scalars.count == chunk.charEnd - chunk.charStart
            if text.isEmpty {
                text = chunk.text
            } else if consistent, chunk.charStart < end, end < chunk.charEnd {
                // Overlapping chunks: append only the part after what we already have.
                let skip = end - chunk.charStart
                text += String(String.UnicodeScalarView(scalars.dropFirst(skip)))
            } else if consistent, chunk.charEnd <= end {
                continue
            } else {
                text += (chunk.charStart == end ? "" : "\n…\n") + chunk.text
            }
            end = max(end, chunk.charEnd)
        }
        let first = chunks[0]
        return ContextSource(number: number, path: first.path, rootPath: first.rootPath,
                             heading: first.heading, startLine: chunks.map(\.startLine).min()!,
                             endLine: chunks.map(\.endLine).max()!, text: text, score: score,
                             chunkIds: chunks.map(\.id), documentId: first.documentId,
                             pageStart: chunks.compactMap(\.pageStart).min(), pageEnd: chunks.compactMap(\.pageEnd).max())
    }

    /// The longest prefix of the source (whole lines where possible) that fits `room` tokens.
    func cutToFit(_ source: ContextSource, room: Int) -> (source: ContextSource, tokens: Int)? {
        var lines = source.text.components(separatedBy: "\n")
        while lines.count > 1 {
            lines.removeLast()
            var candidate = source
            candidate.text = lines.joined(separator: "\n") + "\n…"
            candidate.endLine = min(source.endLine, source.startLine + lines.count - 1)
            let tokens = count(Self.render(candidate))
            if tokens <= room { return (candidate, tokens) }
        }
        return nil
    }
}
