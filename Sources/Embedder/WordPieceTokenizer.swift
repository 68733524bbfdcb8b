import Foundation
import Index
import ModelKit

/// The BERT-uncased WordPiece tokenizer of all-MiniLM-L6-v2 (rules: ../shared/fixtures/minilm/README.md).
/// 1. exact special-token literals (`[CLS]` `[SEP]` `[MASK]` `[UNK]` `[PAD]`) in the raw text become their ids;
/// 2. the text between them is normalized and split into words (`BertTextNormalizer`);
/// 3. each word becomes pieces by greedy longest match, or one `[UNK]`.
public final class WordPieceTokenizer: EmbeddingTokenCounter {
    public let vocabulary: WordPieceVocabulary
    /// Model input limit including [CLS] and [SEP].
    public let maxTokens: Int
    /// A word longer than this (in Unicode scalars) is one [UNK].
    public let maxWordScalars = 100

    public init(vocabulary: WordPieceVocabulary, maxTokens: Int = 256) {
        precondition(maxTokens >= 2, "maxTokens must leave room for [CLS] and [SEP]")
        self.vocabulary = vocabulary
        self.maxTokens = maxTokens
    }

    public convenience init(vocabularyPath: String, maxTokens: Int = 256) throws(WordPieceError) {
        self.init(vocabulary: try WordPieceVocabulary(path: vocabularyPath), maxTokens: maxTokens)
    }

    /// The tokenizer of the installed embedder (`minilm/vocab.txt`).
    public convenience init(models: ModelLocator) throws {
        try self.init(vocabularyPath: models.path(of: KnownModels.embedderVocab))
    }

    /// Word-piece ids without [CLS]/[SEP] and without truncation.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var index = 0
        while index < scalars.count {
            if scalars[index] == "[", let special = specialLiteral(at: index, in: scalars) {
                appendPieces(of: scalars[segmentStart..<index], to: &ids)
                ids.append(special.id)
                index += special.length
                segmentStart = index
            } else {
                index += 1
            }
        }
        appendPieces(of: scalars[segmentStart..<scalars.count], to: &ids)
        return ids
    }

    /// The model input: [CLS] + the first `maxTokens − 2` pieces + [SEP].
    public func encodeForModel(_ text: String) -> [Int32] {
        let pieces = encode(text)
        return [vocabulary.classifierID] + pieces.prefix(maxTokens - 2) + [vocabulary.separatorID]
    }

    /// Pieces including [CLS] and [SEP], not truncated (the chunker keeps this ≤ `maxTokens`).
    public func tokenCount(_ text: String) -> Int {
        encode(text).count + 2
    }

    /// The vocabulary strings of `ids` (for debugging and tests).
    public func tokens(_ ids: [Int32]) -> [String] {
        ids.map { id in vocabulary.tokens.indices.contains(Int(id)) ? vocabulary.tokens[Int(id)] : "<\(id)>" }
    }

    private func specialLiteral(at index: Int, in scalars: [Unicode.Scalar]) -> (id: Int32, length: Int)? {
        for literal in vocabulary.specialLiterals where index + literal.text.count <= scalars.count {
            if scalars[index..<index + literal.text.count].elementsEqual(literal.text) {
                return (literal.id, literal.text.count)
            }
        }
        return nil
    }

    private func appendPieces(of segment: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
        guard !segment.isEmpty else { return }
        for word in BertTextNormalizer.words(segment) {
            ids.append(contentsOf: wordPieces(of: word).map(\.id))
        }
    }

    /// Greedy longest match from the left: each piece's id and the word's scalars it covers.
    /// A word with an unmatched position (or too long) is one [UNK] covering the whole word.
    private func wordPieces(of word: [Unicode.Scalar]) -> [(id: Int32, scalars: Range<Int>)] {
        let unknown = [(id: vocabulary.unknownID, scalars: 0..<word.count)]
        guard word.count <= maxWordScalars else { return unknown }
        // UTF-8 bytes of the word, and where each scalar starts in them.
        var bytes: [UInt8] = []
        var scalarStarts: [Int] = []
        for scalar in word {
            scalarStarts.append(bytes.count)
            bytes.append(contentsOf: UTF8.encode(scalar)!)
        }
        scalarStarts.append(bytes.count)

        var pieces: [(id: Int32, scalars: Range<Int>)] = []
        var candidate: [UInt8] = []
        var start = 0
        while start < word.count {
            var end = min(word.count, start + vocabulary.longestPieceScalars)
            var found: Int32?
            while end > start {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append(contentsOf: [0x23, 0x23]) }   // "##"
                candidate.append(contentsOf: bytes[scalarStarts[start]..<scalarStarts[end]])
                if let id = vocabulary.ids[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else { return unknown }
            pieces.append((found, start..<end))
            start = end
        }
        return pieces
    }
}

/// A word piece and the Unicode scalars of the original text it comes from.
public struct WordPieceToken: Sendable, Equatable {
    public let id: Int32
    /// Offsets into `text.unicodeScalars`. A piece inside an accented letter, or one made of several letters that
    /// normalization combined, covers the whole letter with its combining marks.
    public let scalarRange: Range<Int>

    public init(id: Int32, scalarRange: Range<Int>) {
        self.id = id
        self.scalarRange = scalarRange
    }
}

extension WordPieceTokenizer {
    /// Like `encode` (same ids), with where each piece comes from in the original text.
    public func encodeWithOffsets(_ text: String) -> [WordPieceToken] {
        var tokens: [WordPieceToken] = []
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var index = 0
        func appendSegment(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            for word in BertTextNormalizer.wordsWithOrigins(scalars[range]) {
                for piece in wordPieces(of: word.scalars) {
                    let lower = word.origins[piece.scalars.lowerBound].lowerBound
                    let upper = word.origins[piece.scalars.upperBound - 1].upperBound
                    tokens.append(WordPieceToken(id: piece.id, scalarRange: lower..<upper))
                }
            }
        }
        while index < scalars.count {
            if scalars[index] == "[", let special = specialLiteral(at: index, in: scalars) {
                appendSegment(segmentStart..<index)
                tokens.append(WordPieceToken(id: special.id, scalarRange: index..<(index + special.length)))
                index += special.length
                segmentStart = index
            } else {
                index += 1
            }
        }
        appendSegment(segmentStart..<scalars.count)
        return tokens
    }
}
