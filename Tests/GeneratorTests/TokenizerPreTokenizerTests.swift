import Generator
import XCTest

/// The hand-written GPT-2 split (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`),
/// with and without SmolLM's isolated digits. Expected pieces follow the regex semantics of HF `tokenizers`.
final class TokenizerPreTokenizerTests: XCTestCase {
    private let smollm = PreTokenizer(kind: .smollm)
    private let gpt2 = PreTokenizer(kind: .gpt2)

    func testWordsTakeOneLeadingSpace() {
        XCTAssertEqual(smollm.pieces(of: "Hello world"), ["Hello", " world"])
        XCTAssertEqual(smollm.pieces(of: "Hello, world!!! ..."), ["Hello", ",", " world", "!!!", " ..."])
        XCTAssertEqual(smollm.pieces(of: ""), [])
    }

    func testWhitespaceRunsLeaveTheirLastSpaceToTheNextWord() {
        XCTAssertEqual(smollm.pieces(of: "a  b"), ["a", " ", " b"])
        XCTAssertEqual(smollm.pieces(of: "a   \n\n b"), ["a", "   \n\n", " b"])
        XCTAssertEqual(smollm.pieces(of: "a\n\nb"), ["a", "\n", "\n", "b"])
        XCTAssertEqual(smollm.pieces(of: "x\ty"), ["x", "\t", "y"])
        XCTAssertEqual(smollm.pieces(of: "end   "), ["end", "   "])
        XCTAssertEqual(smollm.pieces(of: "  \t "), ["  \t "])
        XCTAssertEqual(smollm.pieces(of: "a \n"), ["a", " \n"])
    }

    func testOnlyTheAsciiSpaceJoinsTheFollowingWord() {
        // NBSP and the ideographic space are white space, but ` ?` is U+0020 alone.
        XCTAssertEqual(smollm.pieces(of: "a\u{00A0}b"), ["a", "\u{00A0}", "b"])
        XCTAssertEqual(smollm.pieces(of: "a\u{3000}\u{3000}b"), ["a", "\u{3000}", "\u{3000}", "b"])
        XCTAssertEqual(smollm.pieces(of: "a \u{3000}b"), ["a", " ", "\u{3000}", "b"])
    }

    func testDigitsAreIsolatedBeforeTheSplit() {
        XCTAssertEqual(smollm.pieces(of: "2024"), ["2", "0", "2", "4"])
        XCTAssertEqual(smollm.pieces(of: "abc123def"), ["abc", "1", "2", "3", "def"])
        XCTAssertEqual(smollm.pieces(of: "in 1999 "), ["in", " ", "1", "9", "9", "9", " "])
        // The spaces before a digit reach the end of their segment, so they stay together.
        XCTAssertEqual(smollm.pieces(of: "x  1"), ["x", "  ", "1"])
        XCTAssertEqual(smollm.pieces(of: "$3.50"), ["$", "3", ".", "5", "0"])
        // Every Unicode number category: Arabic-Indic digit (Nd), Roman numeral (Nl), vulgar fraction (No).
        XCTAssertEqual(smollm.pieces(of: "٣٤ Ⅻ½x"), ["٣", "٤", " ", "Ⅻ", "½", "x"])
    }

    func testPlainGPT2KeepsNumberRuns() {
        XCTAssertEqual(gpt2.pieces(of: "in 1999 "), ["in", " 1999", " "])
        XCTAssertEqual(gpt2.pieces(of: "x  1"), ["x", " ", " 1"])
        XCTAssertEqual(gpt2.pieces(of: "abc123def"), ["abc", "123", "def"])
    }

    func testContractionsAreLowerCaseOnly() {
        XCTAssertEqual(smollm.pieces(of: "I'm you're we've she'll he'd it's don't"),
                       ["I", "'m", " you", "'re", " we", "'ve", " she", "'ll", " he", "'d", " it", "'s", " don", "'t"])
        XCTAssertEqual(smollm.pieces(of: "THEY'LL DON'T"), ["THEY", "'", "LL", " DON", "'", "T"])
        XCTAssertEqual(smollm.pieces(of: "'s'"), ["'s", "'"])
        XCTAssertEqual(smollm.pieces(of: " 's"), [" '", "s"])
        XCTAssertEqual(smollm.pieces(of: "!!'s"), ["!!'", "s"])
        XCTAssertEqual(smollm.pieces(of: "'"), ["'"])
        XCTAssertEqual(smollm.pieces(of: "'l"), ["'", "l"])
    }

    func testUnicodeLettersMarksAndSymbols() {
        XCTAssertEqual(smollm.pieces(of: "naïve café"), ["naïve", " café"])
        XCTAssertEqual(smollm.pieces(of: "日本語のテキスト。"), ["日本語のテキスト", "。"])
        XCTAssertEqual(smollm.pieces(of: "שלום עולם"), ["שלום", " עולם"])
        // A combining mark is not a letter (\p{L}), so a decomposed é splits; the split is by scalar, not by Character.
        XCTAssertEqual(smollm.pieces(of: "e\u{301}t\u{E9}"), ["e", "\u{301}", "t\u{E9}"])
        XCTAssertEqual(smollm.pieces(of: "ok 👍🏽👨‍👩‍👧 go"), ["ok", " 👍🏽👨‍👩‍👧", " go"])
        // Controls that are not White_Space (0x1C…0x1F) are symbols.
        XCTAssertEqual(smollm.pieces(of: "a\u{1F}\u{1E}b"), ["a", "\u{1F}\u{1E}", "b"])
    }

    func testPiecesTileTheInput() {
        let samples = ["  leading", "tab\t\tx", "mixed 12 ab'cd ef's   \n\tq", "🙂 🙂  🙂", "\u{85}x\u{2028}y"]
        for sample in samples {
            XCTAssertEqual(smollm.pieces(of: sample).joined(), sample)
            XCTAssertEqual(gpt2.pieces(of: sample).joined(), sample)
        }
    }
}
