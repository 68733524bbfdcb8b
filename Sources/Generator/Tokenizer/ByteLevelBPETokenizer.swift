import Foundation

/// The generator's tokenizer: GPT-2 style byte-level BPE as SmolLM2 uses it.
///
/// Encoding: (special tokens, only when allowed) → pre-tokenizer pieces → bytes of each piece →
/// BPE merges by rank. No normalizer, no prefix space, no BOS. Decoding concatenates the bytes
/// the tokens stand for and reads them as UTF-8.
///
/// Thread-safe: it is immutable apart from an internal, locked cache of piece → ids.
public final class ByteLevelBPETokenizer: Sendable {
    public let vocabularySize: Int
    /// `<|endoftext|>` (0 in SmolLM2).
    public let endOfText: Int32
    /// `<|im_start|>` (1 in SmolLM2).
    public let imStart: Int32
    /// `<|im_end|>` (2 in SmolLM2): the end of a turn.
    public let imEnd: Int32
    /// Tokens after which generation stops: `<|im_end|>`, `<|endoftext|>` and the model's declared
    /// end-of-sequence token.
    public let stopTokenIds: Set<Int32>
    public let preTokenizer: PreTokenizer

    private let model: BytePairModel
    private let specialTokens: SpecialTokenMatcher
    private let pieces: TokenPieces
    private let cache = PieceCache(capacity: 65_536, maximumPieceLength: 48)

    /// Builds the tokenizer from the vocabulary as GGUF stores it.
    /// - Parameters:
    ///   - tokens: token strings in byte-level spelling (`Ġthe`), indexed by id.
    ///   - tokenTypes: GGUF token types (`TokenType` raw values), one per token; unknown values count as normal.
    ///   - merges: `"left right"` pairs in rank order.
    ///   - preTokenizer: how text is split before merging.
    ///   - specialIds: the ChatML special tokens; nil finds them by their text in `tokens`.
    ///   - endOfSequence: the model's declared end-of-sequence id, added to `stopTokenIds`.
    public init(tokens: [String], tokenTypes: [Int32], merges: [String], preTokenizer: PreTokenizer.Kind = .smollm,
                specialIds: SpecialTokenIds? = nil, endOfSequence: Int32? = nil) throws(TokenizerError) {
        guard tokens.count == tokenTypes.count else {
            throw .tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: tokenTypes.count)
        }
        let ids: SpecialTokenIds
        if let specialIds { ids = specialIds } else { ids = try SpecialTokenIds.lookUp(in: tokens) }
        var checkedIds = [("<|endoftext|>", ids.endOfText), ("<|im_start|>", ids.imStart), ("<|im_end|>", ids.imEnd)]
        if let endOfSequence { checkedIds.append(("end-of-sequence", endOfSequence)) }
        for (name, id) in checkedIds where id < 0 || Int(id) >= tokens.count {
            throw .specialTokenOutOfRange(name: name, id: id, vocabularySize: tokens.count)
        }

        var types = tokenTypes.map { TokenType(rawValue: $0) ?? .normal }
        // The chat markers are special even if a vocabulary forgot to mark them so.
        for id in [ids.endOfText, ids.imStart, ids.imEnd] where !types[Int(id)].isSpecial {
            types[Int(id)] = .control
        }
        var idForBytes: [[UInt8]: Int32] = [:]
        idForBytes.reserveCapacity(tokens.count)
        var specialTexts: [(text: String, id: Int32)] = []
        for (index, (token, type)) in zip(tokens, types).enumerated() {
            if type.isSpecial {
                specialTexts.append((token, Int32(index)))
            } else if let bytes = ByteLevelAlphabet.bytes(of: token) {
                idForBytes[bytes] = Int32(index)
            }
        }

        self.vocabularySize = tokens.count
        self.endOfText = ids.endOfText
        self.imStart = ids.imStart
        self.imEnd = ids.imEnd
        self.stopTokenIds = Set([ids.imEnd, ids.endOfText] + (endOfSequence.map { [$0] } ?? []))
        self.preTokenizer = PreTokenizer(kind: preTokenizer)
        self.model = try BytePairModel(idForBytes: idForBytes, mergeLines: merges)
        self.specialTokens = SpecialTokenMatcher(specialTexts: specialTexts)
        self.pieces = TokenPieces(tokens: tokens, types: types)
    }

    // MARK: Encoding

    /// Token ids of `text`, all of it plain text: `<|im_end|>` written in a document is ten characters, not a marker.
    public func encode(_ text: String) -> [Int32] {
        encode(text, allowSpecial: false)
    }

    /// Token ids of `text`; with `allowSpecial`, the text of special tokens (`<|im_start|>`, …) becomes those tokens.
    /// Allow it only for text the program wrote itself (templates, `rag tokenize --special`), never for user input.
    public func encode(_ text: String, allowSpecial: Bool) -> [Int32] {
        var text = text
        return text.withUTF8 { bytes in
            var output: [Int32] = []
            output.reserveCapacity(bytes.count / 3 + 1)
            var scratch = MergeScratch()
            if allowSpecial {
                specialTokens.split(bytes, text: { range in
                    encodePlain(UnsafeBufferPointer(rebasing: bytes[range]), into: &output, scratch: &scratch)
                }, special: { id in
                    output.append(id)
                })
            } else {
                encodePlain(bytes, into: &output, scratch: &scratch)
            }
            return output
        }
    }

    /// Number of tokens `encode(text)` gives.
    public func count(_ text: String) -> Int {
        encode(text, allowSpecial: false).count
    }

    private func encodePlain(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout MergeScratch) {
        preTokenizer.forEachPiece(in: bytes) { range in
            let piece = UnsafeBufferPointer(rebasing: bytes[range])
            if piece.count == 1 {
                model.encode(piece, into: &output, scratch: &scratch)
            } else if !cache.appendIds(of: piece, to: &output) {
                let start = output.count
                model.encode(piece, into: &output, scratch: &scratch)
                cache.store(output[start...], for: piece)
            }
        }
    }

    // MARK: Decoding

    /// The text of `ids`, special tokens written out (`<|im_end|>`). Bytes that do not form valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int32]) -> String {
        decode(ids, skipSpecialTokens: false)
    }

    /// The text of `ids`; with `skipSpecialTokens`, control tokens contribute nothing.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where !(skipSpecialTokens && pieces.isSpecial(id)) {
            bytes.append(contentsOf: pieces.bytes(of: id))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes token `id` stands for (a token may hold part of a UTF-8 character).
    public func bytes(of id: Int32) -> ArraySlice<UInt8> {
        pieces.bytes(of: id)
    }

    /// Whether `id` is a control or user-defined token such as `<|im_start|>`.
    public func isSpecial(_ id: Int32) -> Bool {
        pieces.isSpecial(id)
    }
}
