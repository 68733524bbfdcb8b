import Index
import Retrieval
import XCTest

func testSource(_ number: Int, _ text: String, heading: String = "") -> ContextSource {
    ContextSource(number: number, path: "\(number).md", rootPath: "/", heading: heading, startLine: 1, endLine: 1,
                  text: text, score: 1, chunkIds: [Int64(number)], documentId: Int64(number))
}


final class CitationMarkerTests: XCTestCase {
    func testMarkersAreAppendedBeforeTheClosingPunctuation() {
        XCTAssertEqual(CitationMarkers.appending([1], to: "The window is 4096."), "The window is 4096 [1].")
        XCTAssertEqual(CitationMarkers.appending([1, 3], to: " It is fast\n"), " It is fast [1, 3]\n")
        XCTAssertEqual(CitationMarkers.appending([], to: "Same."), "Same.")
    }

    func testInvalidMarkersAreRemovedAndValidOnesStay() {
        XCTAssertEqual(CitationMarkers.keepingValid(in: "A [1] and B [7] or [2, 9].", sourceCount: 2), "A [1] and B or [2].")
        XCTAssertEqual(CitationMarkers.removingAll(from: "A [1] and [source 2]."), "A and.")
        XCTAssertEqual(Citations.numbers(in: "A [1] and B [2, 3][3] or [source 4] [9] [x]", sourceCount: 4), [1, 2, 3, 4])
    }
}

final class SentenceSplitterTests: XCTestCase {
    func testStreamIsCutAtSentenceEndsOnly() {
        var splitter = SentenceSplitter()
        var sentences: [String] = []
        for piece in ["It uses 1.", "5 TB/s (Dao et al. 2022). Next", " one!\n1. Item\nEnd"] { sentences += splitter.feed(piece) }
        if let last = splitter.finish() { sentences.append(last) }
        XCTAssertEqual(sentences, ["It uses 1.5 TB/s (Dao et al. 2022).", " Next one!", "\n1. Item", "\nEnd"])
    }
}


final class VerifiedStreamTests: XCTestCase {
    let sources = [testSource(1, "RoPE rotates query and key pairs. Llama 3 uses a base of 500,000."),
                   testSource(2, "Mistral 7B uses a sliding window of W = 4,096 tokens. A 7B model takes 14 GB in FP16.")]

    func testSupportedSentencesAreCitedAndTheAnswerStopsWhereItDrifts() {
        var stream = VerifiedStream(sources: sources, question: "What window does Mistral 7B use?")
        var shown = ""
        for piece in ["Mistral 7B uses a sliding window of 4,096 tokens. ", "It was trained on 8 trillion tokens. ", "RoPE rotates pairs."] {
            shown += stream.feed(piece)
        }
        shown += stream.finish()
        XCTAssertEqual(shown, "Mistral 7B uses a sliding window of 4,096 tokens [2].")
        XCTAssertEqual(stream.unsupported, "It was trained on 8 trillion tokens.")
        XCTAssertTrue(stream.stopped)
    }

    func testALoopingAnswerStops() {
        var guardian = LoopGuard()
        XCTAssertFalse(guardian.read("The kv-cache note is a concise summary of the key-value"))
        XCTAssertTrue(guardian.read("-key-value-key-value-key-value"))
    }
}
