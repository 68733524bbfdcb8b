import Embedder
import Foundation
import Index
import XCTest

/// Unit tests on a tiny vocabulary, then exact ids on the fixtures with the real vocabulary.
final class WordPieceTokenizerTests: XCTestCase {
    private func tinyTokenizer() throws -> WordPieceTokenizer {
        let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff", "able",
                      ",", "!", "hello", "world", "##s", "σ", "##σ", "ο", "##δ", "##ο", "x", "y", "中", "é", "e", "##e",
                      "a", "##a", "ne", "##lch", "##ar", "[", "cl", "]"]
        return WordPieceTokenizer(vocabulary: try WordPieceVocabulary(tokens: tokens), maxTokens: 6)
    }

    private func pieces(_ tokenizer: WordPieceTokenizer, _ text: String) -> [String] {
        tokenizer.tokens(tokenizer.encode(text))
    }

    func testGreedyLongestMatchAndWholeWordUnknown() throws {
        let tokenizer = try tinyTokenizer()
        XCTAssertEqual(pieces(tokenizer, "unaffable"), ["un", "##aff", "##able"])
        XCTAssertEqual(pieces(tokenizer, "Hello, WORLDS!"), ["hello", ",", "world", "##s", "!"])
        // "unaffz" has no piece for "z": the whole word is one [UNK], earlier pieces are dropped.
        XCTAssertEqual(pieces(tokenizer, "unaffz hello"), ["[UNK]", "hello"])
    }

    func testSpecialLiteralsAreExactAndSplitWords() throws {
        let tokenizer = try tinyTokenizer()
        XCTAssertEqual(pieces(tokenizer, "x[SEP]y"), ["x", "[SEP]", "y"])
        XCTAssertEqual(pieces(tokenizer, "[MASK][PAD]"), ["[MASK]", "[PAD]"])
        XCTAssertEqual(pieces(tokenizer, "[cls]"), ["[", "cl", "##s", "]"])
    }

    func testCleaningAccentsCaseAndCJK() throws {
        let tokenizer = try tinyTokenizer()
        XCTAssertEqual(pieces(tokenizer, "ne\u{85}lch\u{200B}ar"), ["ne", "##lch", "##ar"])  // removed, not spaced
        XCTAssertEqual(pieces(tokenizer, "ΟΔΟΣ"), ["ο", "##δ", "##ο", "##σ"])             // no final sigma
        XCTAssertEqual(pieces(tokenizer, "E\u{301}"), ["e"])                                // accent stripped
        XCTAssertEqual(pieces(tokenizer, "é"), ["e"])                                       // precomposed too
        XCTAssertEqual(pieces(tokenizer, "x中y"), ["x", "中", "y"])                           // CJK split off
        XCTAssertEqual(pieces(tokenizer, "x\u{3000}y\u{A0}\u{0}x"), ["x", "y", "x"])
    }

    func testWordLengthLimitCountsScalars() throws {
        let tokenizer = try tinyTokenizer()
        XCTAssertEqual(tokenizer.encode(String(repeating: "a", count: 100)).count, 100)
        XCTAssertEqual(pieces(tokenizer, String(repeating: "a", count: 101)), ["[UNK]"])
    }

    func testModelInputTruncationAndCounts() throws {
        let tokenizer = try tinyTokenizer()
        let text = "hello world hello world hello"
        XCTAssertEqual(tokenizer.tokens(tokenizer.encodeForModel(text)), ["[CLS]", "hello", "world", "hello", "world", "[SEP]"])
        XCTAssertEqual(tokenizer.tokenCount(text), 7)
        XCTAssertEqual(tokenizer.tokens(tokenizer.encodeForModel("")), ["[CLS]", "[SEP]"])
    }

    func testVocabularyWithoutSpecialTokensIsRefused() {
        XCTAssertThrowsError(try WordPieceVocabulary(tokens: ["a", "b"])) { error in
            XCTAssertTrue(String(describing: error).contains("[UNK]"))
        }
    }

    func testFixtureCasesExact() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyPath: EmbedderFixtures.vocabularyPath())
        let cases = try EmbedderFixtures.jsonLines("minilm/wordpiece_cases.jsonl", as: EmbedderFixtures.WordPieceCase.self)
        XCTAssertEqual(cases.count, 260)
        var failures = 0
        for testCase in cases {
            let ids = tokenizer.encode(testCase.text)
            if ids != testCase.ids {
                failures += 1
                XCTFail("text \(testCase.text.debugDescription):\n got \(tokenizer.tokens(ids))\nwant \(tokenizer.tokens(testCase.ids))")
            }
            XCTAssertEqual(tokenizer.tokenCount(testCase.text), testCase.ids.count + 2)
        }
        XCTAssertEqual(failures, 0)
    }

    func testReferenceModelInputsExact() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyPath: EmbedderFixtures.vocabularyPath())
        let cases = try EmbedderFixtures.jsonLines("minilm/reference.jsonl", as: EmbedderFixtures.ReferenceCase.self)
        XCTAssertEqual(cases.count, 44)
        for testCase in cases {
            let ids = tokenizer.encodeForModel(testCase.text)
            XCTAssertEqual(ids, testCase.ids, "text \(testCase.text.prefix(80).debugDescription)")
        }
    }

    func testOffsetsPointIntoTheOriginalText() throws {
        let tokenizer = try tinyTokenizer()
        let text = "unaffable, E\u{301} x[SEP]y\u{200B}中"
        let tokens = tokenizer.encodeWithOffsets(text)
        XCTAssertEqual(tokens.map(\.id), tokenizer.encode(text))
        let scalars = Array(text.unicodeScalars)
        let covered = tokens.map { token -> String in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[token.scalarRange])
            return String(view)
        }
        XCTAssertEqual(covered, ["un", "aff", "able", ",", "E\u{301}", "x", "[SEP]", "y", "中"])
    }

    func testOffsetsAgreeWithEncodeOnFixtures() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyPath: EmbedderFixtures.vocabularyPath())
        let cases = try EmbedderFixtures.jsonLines("minilm/wordpiece_cases.jsonl", as: EmbedderFixtures.WordPieceCase.self)
        for testCase in cases {
            let tokens = tokenizer.encodeWithOffsets(testCase.text)
            XCTAssertEqual(tokens.map(\.id), testCase.ids, "text \(testCase.text.debugDescription)")
            let count = testCase.text.unicodeScalars.count
            var previous = 0
            for token in tokens {
                XCTAssertFalse(token.scalarRange.isEmpty)
                XCTAssertLessThanOrEqual(token.scalarRange.upperBound, count)
                XCTAssertGreaterThanOrEqual(token.scalarRange.lowerBound, previous, "offsets go forward")
                previous = token.scalarRange.lowerBound
            }
        }
    }
}
