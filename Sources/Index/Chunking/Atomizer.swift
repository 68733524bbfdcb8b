import Foundation

/// The smallest unit the chunker packs: a heading, a sentence or line of prose, a whole code block
/// (or one of its lines when the block is too big), with its token count (without [CLS]/[SEP]).
struct Atom {
    enum Kind: Equatable {
        case heading(level: Int, title: String)
        case text
        case code
    }

    var kind: Kind
    /// UTF-8 byte offsets into the document text.
    var range: Range<Int>
    var tokens: Int

    var isText: Bool { kind == .text }
}

/// Breaks blocks into atoms that each fit the budget, counting every piece of text once per level
/// it has to be split at (block → sentences/lines → word groups → forced cuts).
struct Atomizer {
    let bytes: [UInt8]
    let counter: any EmbeddingTokenCounter
    /// Content tokens per chunk.
    let budget: Int

    /// Word groups for over-long sentences are cut at whitespace after about this many bytes.
    static let wordGroupBytes = 160
    /// Pieces longer than this are cut (word groups, then halves) before they are counted, so the
    /// tokenizer never holds more than this much text: memory follows the chunk size, not the line size.
    /// (No chunk of 512 tokens holds this many bytes of ordinary text.)
    static let maxCountedBytes = 32_768

    func atoms(of blocks: [TextBlock]) -> [Atom] {
        var atoms: [Atom] = []
        for block in blocks {
            switch block.kind {
            case .heading(let level, let title):
                let tokens = countIfSmall(block.range)
                if let tokens, tokens <= budget {
                    atoms.append(Atom(kind: .heading(level: level, title: title), range: block.range, tokens: tokens))
                } else {
                    // An absurdly long heading: mark the section, then treat its text as prose.
                    atoms.append(Atom(kind: .heading(level: level, title: String(title.prefix(200))),
                                      range: block.range.lowerBound..<block.range.lowerBound, tokens: 0))
                    appendFitting(block.range, kind: .text, knownTokens: tokens, to: &atoms)
                }
            case .code:
                let tokens = countIfSmall(block.range)
                if let tokens, tokens <= budget {
                    atoms.append(Atom(kind: .code, range: block.range, tokens: tokens))
                } else {
                    for line in lines(in: block.range) { appendFitting(line, kind: .code, knownTokens: nil, to: &atoms) }
                }
            case .paragraph:
                for sentence in sentences(in: block.range) { appendFitting(sentence, kind: .text, knownTokens: nil, to: &atoms) }
            }
        }
        return atoms
    }

    /// Content tokens of `bytes[range]` ([CLS]/[SEP] removed).
    func count(_ range: Range<Int>) -> Int {
        max(0, counter.tokenCount(String(decoding: bytes[range], as: UTF8.self)) - 2)
    }

    /// Content tokens of `bytes[range]`, or nil (not counted) when it is longer than `maxCountedBytes`.
    func countIfSmall(_ range: Range<Int>) -> Int? {
        range.count <= Self.maxCountedBytes ? count(range) : nil
    }

    /// Appends `range` as one atom if it fits, else word groups of it, else forced cuts.
    /// `knownTokens` nil: not counted yet.
    func appendFitting(_ range: Range<Int>, kind: Atom.Kind, knownTokens: Int?, to atoms: inout [Atom]) {
        guard !range.isEmpty else { return }
        let tokens = knownTokens ?? countIfSmall(range)
        if let tokens, tokens <= budget {
            atoms.append(Atom(kind: kind, range: range, tokens: tokens))
            return
        }
        let groups = wordGroups(in: range)
        if groups.count > 1 {
            for group in groups { appendFitting(group, kind: kind, knownTokens: nil, to: &atoms) }
        } else {
            appendForced(range, kind: kind, tokens: tokens, to: &atoms)
        }
    }

    /// Halves a run without whitespace (at scalar boundaries) until each piece fits.
    /// `tokens` nil: too long to count, so certainly cut.
    func appendForced(_ range: Range<Int>, kind: Atom.Kind, tokens: Int?, to atoms: inout [Atom]) {
        if let tokens, tokens <= budget || range.count <= 4 {
            atoms.append(Atom(kind: kind, range: range, tokens: tokens))
            return
        }
        var middle = range.lowerBound + range.count / 2
        while middle < range.upperBound, bytes[middle] & 0xC0 == 0x80 { middle += 1 }
        if middle >= range.upperBound {
            atoms.append(Atom(kind: kind, range: range, tokens: tokens ?? count(range)))
            return
        }
        let left = range.lowerBound..<middle, right = middle..<range.upperBound
        appendForced(left, kind: kind, tokens: countIfSmall(left), to: &atoms)
        appendForced(right, kind: kind, tokens: countIfSmall(right), to: &atoms)
    }

    /// Sentences (and lines) of a paragraph: cut after `.`, `!`, `?` followed by whitespace, after CJK
    /// full stops, and at line ends. Each piece keeps its trailing whitespace, so pieces tile the range.
    func sentences(in range: Range<Int>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let byte = bytes[index]
            var cutAfter: Int?
            if byte == 0x0A {
                cutAfter = index + 1
            } else if byte == 0x2E || byte == 0x21 || byte == 0x3F {   // . ! ?
                if index + 1 < end, ParagraphSplitter.isASCIIWhitespace(bytes[index + 1]) { cutAfter = index + 1 }
            } else if byte == 0xE3, index + 2 < end, bytes[index + 1] == 0x80, bytes[index + 2] == 0x82 {   // 。
                cutAfter = index + 3
            } else if byte == 0xEF, index + 2 < end, bytes[index + 1] == 0xBC, bytes[index + 2] == 0x81 || bytes[index + 2] == 0x9F {   // ！？
                cutAfter = index + 3
            }
            if var cut = cutAfter {
                while cut < end, ParagraphSplitter.isASCIIWhitespace(bytes[cut]) { cut += 1 }
                if cut > start { pieces.append(start..<cut) }
                start = cut
                index = cut
                continue
            }
            index += 1
        }
        if start < end { pieces.append(start..<end) }
        return pieces
    }

    /// Lines of a code block (each with its newline).
    func lines(in range: Range<Int>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        for index in range where bytes[index] == 0x0A {
            pieces.append(start..<(index + 1))
            start = index + 1
        }
        if start < range.upperBound { pieces.append(start..<range.upperBound) }
        return pieces
    }

    /// Cuts at whitespace once a piece reaches `wordGroupBytes`; pieces tile the range.
    func wordGroups(in range: Range<Int>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            if index - start >= Self.wordGroupBytes, ParagraphSplitter.isASCIIWhitespace(bytes[index]) {
                var cut = index
                while cut < range.upperBound, ParagraphSplitter.isASCIIWhitespace(bytes[cut]) { cut += 1 }
                pieces.append(start..<cut)
                start = cut
                index = cut
                continue
            }
            index += 1
        }
        if start < range.upperBound { pieces.append(start..<range.upperBound) }
        return pieces
    }
}
