import Retrieval
import XCTest

final class RepetitionStopperTests: XCTestCase {
    func run(_ pieces: [String]) -> (shown: String, stopped: Bool) {
        var stopper = RepetitionStopper()
        var shown = pieces.map { stopper.feed($0) }.joined()
        shown += stopper.finish()
        return (shown, stopper.stopped)
    }

    func testRepeatedLinesEndTheAnswerWithoutShowingTheRepeat() {
        let result = run(["The answer", " is: 8x\n", "\nThe ans", "wer is: 8x\n", "\nThe answer is"])
        XCTAssertEqual(result.shown, "The answer is: 8x\n\n")
        XCTAssertTrue(result.stopped)
    }

    func testRepeatedSentencesInOneParagraph() {
        let result = run(["It uses 4096 tokens. It uses 4096 tokens. It uses"])
        XCTAssertEqual(result.shown, "It uses 4096 tokens. ")
        XCTAssertTrue(result.stopped)
    }

    func testDifferentSentencesSharingAPrefixAreShown() {
        let text = "The cache is large. The cache is 8x smaller with GQA."
        let result = run(text.map { String($0) })
        XCTAssertEqual(result.shown, text)
        XCTAssertFalse(result.stopped)
    }

    func testARepeatedClauseEndsTheSentenceBeforeIt() {
        let text = "The cache is 128K-token context, which is 128K-token context, and it is 128K-token context, "
            + "which is 128K-token context, and it is"
        let expected = "The cache is 128K-token context, which is 128K-token context, and it is 128K-token context."
        XCTAssertEqual(run([text]).shown, expected)
        XCTAssertTrue(run([text]).stopped)
        XCTAssertEqual(run(text.map { String($0) }).shown, expected, "streamed character by character")
    }

    func testDistinctClausesAndNumbersWithCommasAreShown() {
        let text = "It stores 4,096 keys, which is a lot, and it stores 4,096 values, which is a lot too. Keys, values, keys, values."
        let result = run(text.map { String($0) })
        XCTAssertEqual(result.shown, text)
        XCTAssertFalse(result.stopped)
    }

    func testAClauseRepeatedInALaterSentenceStopsToo() {
        let text = "The window holds 4,096 tokens, which keeps memory flat. Later, which keeps memory flat, it"
        XCTAssertEqual(run([text]).shown, "The window holds 4,096 tokens, which keeps memory flat. Later.")
    }

    func testAClauseRepeatedAtASentenceStartAddsNoSecondPeriod() {
        let text = "The cache grows with every token, and it is large. The cache grows with every token, and so"
        XCTAssertEqual(run(text.map { String($0) }).shown, "The cache grows with every token, and it is large. ")
    }

    func testARepeatedSentenceWithClausesIsNotShownEvenInPart() {
        let result = run("It is big, and it is slow. It is big, and it is slow. More".map { String($0) })
        XCTAssertEqual(result.shown, "It is big, and it is slow. ")
        XCTAssertTrue(result.stopped)
    }

    func testShortUnitsMayRepeat() {
        XCTAssertEqual(run(["Yes.\nYes.\n"]).shown, "Yes.\nYes.\n")
    }
}
