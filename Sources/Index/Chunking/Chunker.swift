import Foundation

/// One piece of a document, small enough for the embedder, that knows where it came from.
public struct TextChunk: Sendable, Equatable {
    public var text: String
    /// Titles of the enclosing headings, outermost first.
    public var headingPath: [String]
    /// UTF-8 byte offsets into the document text, end exclusive.
    public var byteRange: Range<Int>
    /// Unicode scalar offsets into the document text, end exclusive.
    public var characterRange: Range<Int>
    /// 1-based, inclusive lines of the document text that hold the chunk's non-blank content.
    public var lineRange: ClosedRange<Int>
    /// Embedder tokens including [CLS] and [SEP]; at most the counter's `maxTokens`.
    public var tokenCount: Int
}

/// Cuts a loaded document into chunks that follow its structure.
///
/// The document is broken into *atoms* — headings, sentences (or lines) of paragraphs, whole code blocks —
/// each counted once with the embedder's tokenizer; chunks are packed from atoms by summing their counts
/// (WordPiece never joins tokens across whitespace, so sums are exact; every chunk is still checked once).
/// A heading starts a new chunk; consecutive chunks of one section overlap by about `overlapFraction`.
/// Chunk ranges, with the whitespace between them, cover the whole text.
public struct Chunker: Sendable {
    public let counter: any EmbeddingTokenCounter
    public let overlapFraction: Double

    public init(counter: any EmbeddingTokenCounter, overlapFraction: Double = 0.15) {
        self.counter = counter
        self.overlapFraction = overlapFraction
    }

    /// Tokens available for text in one chunk ([CLS] and [SEP] excluded).
    var contentBudget: Int { max(1, counter.maxTokens - 2) }

    public func chunk(_ document: LoadedDocument) -> [TextChunk] {
        let bytes = Array(document.text.utf8)
        let atoms = Atomizer(bytes: bytes, counter: counter, budget: contentBudget).atoms(of: completeBlocks(document, bytes))
        let drafts = pack(atoms, bytes: bytes)
        return finish(drafts, atoms: atoms, bytes: bytes)
    }

    /// The document's blocks plus paragraph blocks for any text a loader left outside them.
    func completeBlocks(_ document: LoadedDocument, _ bytes: [UInt8]) -> [TextBlock] {
        var blocks: [TextBlock] = []
        var position = 0
        for block in document.blocks.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) {
            let start = max(block.range.lowerBound, position)
            if start > position { blocks += ParagraphSplitter.blocks(in: bytes, range: position..<start) }
            if start < block.range.upperBound { blocks.append(TextBlock(kind: block.kind, range: start..<block.range.upperBound)) }
            position = max(position, block.range.upperBound)
        }
        if position < bytes.count { blocks += ParagraphSplitter.blocks(in: bytes, range: position..<bytes.count) }
        return blocks
    }

    /// A chunk being packed: an optional overlap `lead` (the tail of the previous chunk's last atom,
    /// when no whole atom fits the overlap budget), then `atoms[atomIndices]`, with the heading path.
    struct Draft {
        var lead: Range<Int>?
        var atomIndices: [Int]
        var headingPath: [String]
    }

    func pack(_ atoms: [Atom], bytes: [UInt8]) -> [Draft] {
        let budget = contentBudget
        let overlapBudget = Int(Double(budget) * overlapFraction)
        var drafts: [Draft] = []
        var headings: [(level: Int, title: String)] = []
        var lead: Range<Int>?
        var current: [Int] = []
        var currentTokens = 0
        var currentHasText = false

        func close() {
            guard !current.isEmpty else { return }
            drafts.append(Draft(lead: lead, atomIndices: current, headingPath: headings.map(\.title)))
            lead = nil
            current = []
            currentTokens = 0
            currentHasText = false
        }

        for (index, atom) in atoms.enumerated() {
            if case .heading(let level, let title) = atom.kind {
                if currentHasText || currentTokens + atom.tokens > budget { close() }
                while let last = headings.last, last.level >= level { headings.removeLast() }
                headings.append((level, title))
                current.append(index)
                currentTokens += atom.tokens
                continue
            }
            if currentTokens + atom.tokens > budget {
                let previous = current
                close()
                // Carry the end of the previous chunk (same section, prose only) as overlap:
                // whole sentences when they fit the overlap budget, else the last words of the last sentence.
                let allowance = min(overlapBudget, budget - atom.tokens)
                var overlap: [Int] = []
                var overlapTokens = 0
                for candidate in previous.reversed() {
                    let tokens = atoms[candidate].tokens
                    guard atoms[candidate].isText, overlap.count + 1 < previous.count, overlapTokens + tokens <= allowance else { break }
                    overlap.insert(candidate, at: 0)
                    overlapTokens += tokens
                }
                if overlap.isEmpty, let last = previous.last, atoms[last].isText, allowance > 0 {
                    if let tail = wordTail(of: atoms[last].range, within: allowance, bytes: bytes) {
                        lead = tail.range
                        overlapTokens = tail.tokens
                    }
                }
                current = overlap
                currentTokens = overlapTokens
                currentHasText = !overlap.isEmpty || lead != nil
            }
            current.append(index)
            currentTokens += atom.tokens
            currentHasText = true
        }
        close()
        return drafts
    }

    /// The longest run of whole words at the end of `range` that costs at most `allowance` tokens
    /// (each word counted once), or nil when not even the last word fits or the run would be all of `range`.
    func wordTail(of range: Range<Int>, within allowance: Int, bytes: [UInt8]) -> (range: Range<Int>, tokens: Int)? {
        var end = range.upperBound
        while end > range.lowerBound, ParagraphSplitter.isASCIIWhitespace(bytes[end - 1]) { end -= 1 }
        var start = end
        var tokens = 0
        var best: (range: Range<Int>, tokens: Int)?
        while start > range.lowerBound {
            var wordStart = start
            while wordStart > range.lowerBound, ParagraphSplitter.isASCIIWhitespace(bytes[wordStart - 1]) { wordStart -= 1 }
            while wordStart > range.lowerBound, !ParagraphSplitter.isASCIIWhitespace(bytes[wordStart - 1]) { wordStart -= 1 }
            if wordStart == range.lowerBound { break }   // the whole atom: it did not fit, or it would not be a tail
            let wordTokens = max(0, counter.tokenCount(String(decoding: bytes[wordStart..<start], as: UTF8.self)) - 2)
            if tokens + wordTokens > allowance { break }
            tokens += wordTokens
            start = wordStart
            best = (start..<range.upperBound, tokens)
        }
        // Start the overlap at the word itself, not at the whitespace before it.
        guard var found = best else { return nil }
        var first = found.range.lowerBound
        while first < found.range.upperBound, ParagraphSplitter.isASCIIWhitespace(bytes[first]) { first += 1 }
        found.range = first..<found.range.upperBound
        return found.range.isEmpty ? nil : found
    }

    /// Checks each draft against the real count once, then computes ranges, lines and text.
    func finish(_ drafts: [Draft], atoms: [Atom], bytes: [UInt8]) -> [TextChunk] {
        var verified: [(draft: Draft, tokens: Int)] = []
        var queue = drafts[...]
        func range(of draft: Draft) -> Range<Int> {
            (draft.lead?.lowerBound ?? atoms[draft.atomIndices.first!].range.lowerBound)..<atoms[draft.atomIndices.last!].range.upperBound
        }
        while let draft = queue.popFirst() {
            let range = range(of: draft)
            let tokens = counter.tokenCount(String(decoding: bytes[range], as: UTF8.self))
            if tokens <= counter.maxTokens || (draft.atomIndices.count == 1 && draft.lead == nil) {
                verified.append((draft, tokens))
            } else if draft.atomIndices.count == 1 {
                // Over by the overlap alone: drop it.
                queue = [Draft(lead: nil, atomIndices: draft.atomIndices, headingPath: draft.headingPath)] + queue
            } else {
                // The sum was optimistic (a tokenizer that is not additive at these joints): split in two and re-check.
                let half = draft.atomIndices.count / 2
                let first = Draft(lead: draft.lead, atomIndices: Array(draft.atomIndices[..<half]), headingPath: draft.headingPath)
                let second = Draft(lead: nil, atomIndices: Array(draft.atomIndices[half...]), headingPath: draft.headingPath)
                queue = [first, second] + queue
            }
        }

        var ranges = verified.map { range(of: $0.draft) }
        // Whitespace between chunks belongs to the chunk before it; the first starts at 0, the last ends at the end.
        if !ranges.isEmpty {
            ranges[0] = 0..<ranges[0].upperBound
            for index in 0..<(ranges.count - 1) where ranges[index + 1].lowerBound > ranges[index].upperBound {
                ranges[index] = ranges[index].lowerBound..<ranges[index + 1].lowerBound
            }
            ranges[ranges.count - 1] = ranges[ranges.count - 1].lowerBound..<bytes.count
        }

        let lines = LineIndex(bytes: bytes)
        var scalars = ScalarOffsets(bytes: bytes)
        var starts: [Int] = []
        starts.reserveCapacity(ranges.count)
        for range in ranges { starts.append(scalars.offset(ofByte: range.lowerBound)) }
        var scalarsForEnds = ScalarOffsets(bytes: bytes)

        var chunks: [TextChunk] = []
        chunks.reserveCapacity(ranges.count)
        for (index, range) in ranges.enumerated() {
            var contentStart = range.lowerBound, contentEnd = range.upperBound
            while contentStart < contentEnd, ParagraphSplitter.isASCIIWhitespace(bytes[contentStart]) { contentStart += 1 }
            while contentEnd > contentStart, ParagraphSplitter.isASCIIWhitespace(bytes[contentEnd - 1]) { contentEnd -= 1 }
            let firstLine = lines.line(ofByte: contentStart)
            let lastLine = max(firstLine, lines.line(ofByte: max(contentStart, contentEnd - 1)))
            chunks.append(TextChunk(
                text: String(decoding: bytes[range], as: UTF8.self),
                headingPath: verified[index].draft.headingPath,
                byteRange: range,
                characterRange: starts[index]..<scalarsForEnds.offset(ofByte: range.upperBound),
                lineRange: firstLine...lastLine,
                tokenCount: verified[index].tokens))
        }
        return chunks
    }
}

/// 1-based line numbers of byte offsets.
struct LineIndex {
    /// Byte offset where each line starts.
    let lineStarts: [Int]

    init(bytes: [UInt8]) {
        var starts = [0]
        for index in bytes.indices where bytes[index] == 0x0A { starts.append(index + 1) }
        lineStarts = starts
    }

    func line(ofByte offset: Int) -> Int {
        // The last line start <= offset (binary search).
        var low = 0, high = lineStarts.count
        while low < high {
            let mid = (low + high) / 2
            if lineStarts[mid] <= offset { low = mid + 1 } else { high = mid }
        }
        return max(1, low)
    }
}

/// Converts non-decreasing byte offsets to Unicode scalar offsets in one forward pass.
struct ScalarOffsets {
    let bytes: [UInt8]
    private var byteCursor = 0
    private var scalarCursor = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func offset(ofByte target: Int) -> Int {
        if target < byteCursor { byteCursor = 0; scalarCursor = 0 }
        while byteCursor < target {
            if bytes[byteCursor] & 0xC0 != 0x80 { scalarCursor += 1 }
            byteCursor += 1
        }
        return scalarCursor
    }
}
