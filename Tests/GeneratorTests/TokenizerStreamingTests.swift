import Generator
import XCTest

/// The streaming detokenizer emits whole UTF-8 characters only, whatever the token boundaries.
final class TokenizerStreamingTests: XCTestCase {
    /// Tokens "hi", F0 9F 91 (the first three bytes of 👍), and "é!" (C3 A9 21).
    private let vocabulary = SyntheticVocabulary(byteMerges: [
        ([0x68], [0x69]),
        ([0xF0], [0x9F]), ([0xF0, 0x9F], [0x91]),
        ([0xC3], [0xA9]), ([0xC3, 0xA9], [0x21]),
    ])

    func testMultiByteCharacterWaitsForItsLastByte() throws {
        var stream = StreamingDetokenizer(tokenizer: try vocabulary.tokenizer())
        XCTAssertEqual(stream.feed(vocabulary.id("hi")), "hi")
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xC3])), "")
        XCTAssertTrue(stream.hasPendingBytes)
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xA9])), "é")
        XCTAssertFalse(stream.hasPendingBytes)
    }

    func testTokenHoldingTheEndOfOneCharacterAndTheStartOfAnother() throws {
        var stream = StreamingDetokenizer(tokenizer: try vocabulary.tokenizer())
        // 👍 is F0 9F 91 8D: one token holds F0 9F 91, the next 8D.
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xF0, 0x9F, 0x91])), "")
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0x8D])), "👍")
        // "é!" as one token, then a lone lead byte that stays pending.
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xC3, 0xA9, 0x21])), "é!")
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xE6])), "")
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0x97])), "")
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xA5])), "日")
    }

    func testInvalidBytesAreNotHeldBack() throws {
        var stream = StreamingDetokenizer(tokenizer: try vocabulary.tokenizer())
        // A stray continuation byte can never become valid.
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0x80])), "\u{FFFD}")
        // A lead byte followed by ASCII: the lead is invalid, the ASCII is kept.
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xC3])), "")
        XCTAssertEqual(stream.feed(vocabulary.id("a")), "\u{FFFD}a")
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xFF])), "\u{FFFD}")
    }

    func testFinishFlushesAnUnfinishedCharacter() throws {
        var stream = StreamingDetokenizer(tokenizer: try vocabulary.tokenizer())
        XCTAssertEqual(stream.feed(vocabulary.id(bytes: [0xF0, 0x9F, 0x91])), "")
        XCTAssertEqual(stream.finish(), "\u{FFFD}")
        XCTAssertFalse(stream.hasPendingBytes)
        XCTAssertEqual(stream.finish(), "")
    }

    func testSpecialTokensAreWrittenOrSkipped() throws {
        let tokenizer = try vocabulary.tokenizer()
        var writing = StreamingDetokenizer(tokenizer: tokenizer)
        XCTAssertEqual(writing.feed(tokenizer.imEnd), "<|im_end|>")
        var skipping = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: true)
        XCTAssertEqual(skipping.feed(tokenizer.imEnd), "")
        XCTAssertEqual(skipping.feed(vocabulary.id("hi")), "hi")
    }

    func testStreamedTextEqualsDecodedTextForEveryTokenSplit() throws {
        let tokenizer = try vocabulary.tokenizer()
        let text = "hi é! 日本 👍🏽 👨‍👩‍👧 done"
        let ids = tokenizer.encode(text)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var streamed = ""
        for id in ids {
            let piece = stream.feed(id)
            XCTAssertFalse(piece.unicodeScalars.contains("\u{FFFD}"), "partial character emitted after id \(id)")
            streamed += piece
        }
        streamed += stream.finish()
        XCTAssertEqual(streamed, text)
        XCTAssertEqual(tokenizer.decode(ids), text)
    }
}
