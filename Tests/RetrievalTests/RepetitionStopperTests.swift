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

    func testShortUnitsMayRepeat() {
        XCTAssertEqual(run(["Yes.\nYes.\n"]).shown, "Yes.\nYes.\n")
    }
}
