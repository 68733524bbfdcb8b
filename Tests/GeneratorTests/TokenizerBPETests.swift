import Generator
import XCTest

/// Byte-pair merging, special tokens and decoding on tiny synthetic vocabularies.
final class TokenizerBPETests: XCTestCase {
    func testLowestRankMergesFirstNotLeftToRight() throws {
        let vocabulary = SyntheticVocabulary(merges: [("b", "c"), ("a", "b")])
        let tokenizer = try vocabulary.tokenizer()
        XCTAssertEqual(tokenizer.encode("abc"), [vocabulary.id("a"), vocabulary.id("bc")])
        XCTAssertEqual(tokenizer.encode("abd"), [vocabulary.id("ab"), vocabulary.id("d")])
    }

    func testLeftmostPairWinsATie() throws {
        let vocabulary = SyntheticVocabulary(merges: [("a", "a"), ("aa", "aa")])
        let tokenizer = try vocabulary.tokenizer()
        XCTAssertEqual(tokenizer.encode("aaa"), [vocabulary.id("aa"), vocabulary.id("a")])
        XCTAssertEqual(tokenizer.encode("aaaa"), [vocabulary.id("aaaa")])
        XCTAssertEqual(tokenizer.encode("aaaaa"), [vocabulary.id("aaaa"), vocabulary.id("a")])
    }

    func testMergesNeverCrossPieces() throws {
        let vocabulary = SyntheticVocabulary(merges: [(" ", "t"), ("h", "e"), (" t", "he"), ("t", "he"), ("e", " ")])
        let tokenizer = try vocabulary.tokenizer()
        XCTAssertEqual(tokenizer.encode("the the"), [vocabulary.id("the"), vocabulary.id(" the")])
    }

    func testMultiByteCharactersStartAsBytes() throws {
        // "é" is C3 A9: without a merge it is two byte tokens; with one it is a single token.
        let plain = SyntheticVocabulary(merges: [])
        XCTAssertEqual(try plain.tokenizer().encode("é"), [plain.id(bytes: [0xC3]), plain.id(bytes: [0xA9])])
        let merged = SyntheticVocabulary(byteMerges: [([0xC3], [0xA9])])
        XCTAssertEqual(try merged.tokenizer().encode("é"), [merged.id("é")])
    }

    func testEncodingMatchesTheReferenceMergeLoop() throws {
        var generator = SplitMix64(seed: 42)
        let alphabet = ["a", "b", "c", " "]
        for _ in 0..<20 {
            // Random merges among tokens that exist so far, as BPE training would produce them.
            var known = alphabet
            var merges: [(String, String)] = []
            for _ in 0..<25 {
                let left = known[Int(generator.next() % UInt64(known.count))]
                let right = known[Int(generator.next() % UInt64(known.count))]
                guard !merges.contains(where: { $0 == (left, right) }) else { continue }
                merges.append((left, right))
                if !known.contains(left + right) { known.append(left + right) }
            }
            let vocabulary = SyntheticVocabulary(merges: merges)
            let tokenizer = try vocabulary.tokenizer()
            for _ in 0..<30 {
                // Words without spaces form a single piece, so the whole text is one BPE word.
                let length = 1 + Int(generator.next() % 24)
                let word = (0..<length).map { _ in alphabet[Int(generator.next() % 3)] }.joined()
                let expected = referenceMerge(word, merges: merges).map(vocabulary.id)
                XCTAssertEqual(tokenizer.encode(word), expected, "word \(word), merges \(merges)")
            }
        }
    }

    func testSpecialTokenTextIsPlainTextByDefault() throws {
        let vocabulary = SyntheticVocabulary(merges: [], extraSpecial: ["<s>", "<s>x"])
        let tokenizer = try vocabulary.tokenizer()
        let plain = tokenizer.encode("<|im_start|>hi<|im_end|>")
        XCTAssertEqual(plain, "<|im_start|>hi<|im_end|>".utf8.map { 3 + Int32($0) })
        XCTAssertEqual(tokenizer.decode(plain), "<|im_start|>hi<|im_end|>")
        XCTAssertEqual(tokenizer.encode("<|im_start|>hi<|im_end|>", allowSpecial: false), plain)
    }

    func testSpecialTokensWhenAllowedLongestFirst() throws {
        let vocabulary = SyntheticVocabulary(merges: [], extraSpecial: ["<s>", "<s>x"])
        let tokenizer = try vocabulary.tokenizer()
        let short = Int32(vocabulary.tokens.firstIndex(of: "<s>")!)
        let long = Int32(vocabulary.tokens.firstIndex(of: "<s>x")!)
        XCTAssertEqual(tokenizer.encode("<|im_start|>hi<|im_end|>", allowSpecial: true),
                       [1, vocabulary.id("h"), vocabulary.id("i"), 2])
        XCTAssertEqual(tokenizer.encode("<s>x<s>y<|endoftext|>", allowSpecial: true),
                       [long, short, vocabulary.id("y"), 0])
        XCTAssertEqual(tokenizer.encode("<|im_end", allowSpecial: true), "<|im_end".utf8.map { 3 + Int32($0) })
        XCTAssertTrue(tokenizer.isSpecial(1))
        XCTAssertFalse(tokenizer.isSpecial(vocabulary.id("h")))
    }

    func testDecodeWritesOrSkipsSpecialTokens() throws {
        let vocabulary = SyntheticVocabulary(merges: [("o", "k")])
        let tokenizer = try vocabulary.tokenizer()
        let ids: [Int32] = [1, vocabulary.id("ok"), 2]
        XCTAssertEqual(tokenizer.decode(ids), "<|im_start|>ok<|im_end|>")
        XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: true), "ok")
        XCTAssertEqual(tokenizer.decode([vocabulary.id("ok"), 9999]), "ok\u{FFFD}")
        XCTAssertEqual(tokenizer.decode([3 + 0xC3]), "\u{FFFD}")
    }

    func testRoundTripOfArbitraryText() throws {
        let tokenizer = try SyntheticVocabulary(byteMerges: [([0x20], [0x74]), ([0x68], [0x65]), ([0xE6], [0x97])]).tokenizer()
        for text in ["the  theme\n\n\t", "日本語 👍🏽 ok", "e\u{301} ٣½ it's", "\u{0}\u{7F}\u{85}"] {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text)
            XCTAssertEqual(tokenizer.count(text), tokenizer.encode(text).count)
        }
    }

    func testBytesWithoutATokenAreDroppedAndTheirNeighboursMayMerge() throws {
        var vocabulary = SyntheticVocabulary(merges: [("!", "?")])
        // Rename byte 0x04's token so that no token stands for that byte (as in SmolLM2's vocabulary).
        vocabulary.tokens[3 + 0x04] = "<unused>"
        vocabulary.tokenTypes[3 + 0x04] = 5
        let tokenizer = try vocabulary.tokenizer()
        // One piece (a run of symbols): the dropped byte leaves "!" and "?" adjacent.
        XCTAssertEqual(tokenizer.encode("!\u{04}?"), [vocabulary.id("!?")])
        XCTAssertEqual(tokenizer.encode("\u{04}"), [])
    }

    func testSpecialIdsAreFoundByText() throws {
        let tokenizer = try SyntheticVocabulary(merges: []).tokenizer()
        XCTAssertEqual([tokenizer.endOfText, tokenizer.imStart, tokenizer.imEnd], [0, 1, 2])
        XCTAssertEqual(tokenizer.stopTokenIds, [0, 2])
        XCTAssertEqual(tokenizer.vocabularySize, 259)
    }

    func testBadVocabulariesThrowTypedErrors() {
        let vocabulary = SyntheticVocabulary(merges: [("a", "b")])
        XCTAssertThrowsError(try ByteLevelBPETokenizer(tokens: vocabulary.tokens, tokenTypes: [1], merges: [])) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenTypeCountMismatch(tokens: vocabulary.tokens.count, tokenTypes: 1))
        }
        XCTAssertThrowsError(try ByteLevelBPETokenizer(tokens: vocabulary.tokens, tokenTypes: vocabulary.tokenTypes, merges: ["ab"])) { error in
            XCTAssertEqual(error as? TokenizerError, .malformedMerge(index: 0, text: "ab"))
        }
        XCTAssertThrowsError(try ByteLevelBPETokenizer(tokens: vocabulary.tokens, tokenTypes: vocabulary.tokenTypes,
                                                       merges: ["a b", "ab c"])) { error in
            XCTAssertEqual(error as? TokenizerError, .mergeTokenNotInVocabulary(index: 1, token: "abc"))
        }
        XCTAssertThrowsError(try ByteLevelBPETokenizer(tokens: Array(vocabulary.tokens.dropFirst()),
                                                       tokenTypes: Array(vocabulary.tokenTypes.dropFirst()), merges: [])) { error in
            XCTAssertEqual(error as? TokenizerError, .missingSpecialToken("<|endoftext|>"))
            XCTAssertTrue(String(describing: error).contains("<|endoftext|>"))
        }
        XCTAssertThrowsError(try ByteLevelBPETokenizer(tokens: vocabulary.tokens, tokenTypes: vocabulary.tokenTypes, merges: [],
                                                       endOfSequence: 100_000)) { error in
            XCTAssertEqual(error as? TokenizerError,
                           .specialTokenOutOfRange(name: "end-of-sequence", id: 100_000, vocabularySize: vocabulary.tokens.count))
        }
    }

    func testConcurrentEncodingAgrees() throws {
        let tokenizer = try SyntheticVocabulary(merges: [(" ", "t"), ("h", "e"), (" t", "he")]).tokenizer()
        let texts = (0..<64).map { "the \($0) theme then the other" }
        let expected = texts.map { tokenizer.encode($0) }
        let results = UnsafeSendableResults(count: texts.count)
        DispatchQueue.concurrentPerform(iterations: texts.count) { index in
            results.set(index, tokenizer.encode(texts[index]))
        }
        XCTAssertEqual(results.values, expected)
    }

    /// The textbook loop: merge the lowest-ranked adjacent pair (leftmost on ties) until none is listed.
    private func referenceMerge(_ word: String, merges: [(String, String)]) -> [String] {
        var symbols = word.map { String($0) }
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for index in 0..<(symbols.count - 1) {
                guard let rank = merges.firstIndex(where: { $0 == (symbols[index], symbols[index + 1]) }) else { continue }
                if best == nil || rank < best!.rank { best = (rank, index) }
            }
            guard let best else { break }
            symbols[best.index] += symbols[best.index + 1]
            symbols.remove(at: best.index + 1)
        }
        return symbols
    }
}

/// A small deterministic random number generator for reproducible property tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Collects results written from concurrent iterations, each to its own slot.
private final class UnsafeSendableResults: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [[Int32]]
    init(count: Int) { storage = Array(repeating: [], count: count) }
    func set(_ index: Int, _ value: [Int32]) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }
    var values: [[Int32]] { lock.lock(); defer { lock.unlock() }; return storage }
}
