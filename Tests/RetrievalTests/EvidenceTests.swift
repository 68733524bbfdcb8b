import Foundation
import XCTest
import Retrieval

final class EvidenceTests: XCTestCase {
    func chunk(_ text: String, path: String = "note.md", startLine: Int = 10, heading: String = "Note") -> ChunkRecord {
        let lines = text.components(separatedBy: "\n").count
        return ChunkRecord(id: 1, documentId: 1, path: path, rootPath: "/root", ordinal: 0, heading: heading, text: text,
                           startLine: startLine, endLine: startLine + lines - 1, charStart: 0, charEnd: text.unicodeScalars.count)
    }

    func testTermsStemPluralsDropStopWordsAndKeepNumbers() {
        XCTAssertEqual(Terms.of("What are the KV caches of 4,096 queries?"), ["kv", "cache", "4096", "query"])
        XCTAssertEqual(Terms.of("PRAGMA journal_mode"), ["pragma", "journal_mode", "journal", "mode"])
        XCTAssertEqual(Terms.of("version 1.5"), ["version", "1.5"])
    }

    func testUnitsAreSentencesListItemsAndTableRowsWithTheirLines() {
        let text = """
            The cache grows with the sequence. It holds keys and values.
            - first item names something useful
            | format | bits per weight |
            |---|---|
            | Q4_1 | 5 |
            """
        let all = EvidenceUnits.split(chunk(text), rank: 0, score: 1, dense: 0.5)
        let units = all.filter { $0.span == 1 }
        XCTAssertEqual(units.map(\.text), ["The cache grows with the sequence.", "It holds keys and values.",
                                           "- first item names something useful", "Q4_1 — bits per weight: 5"])
        XCTAssertEqual(units.map(\.startLine), [10, 10, 11, 14])
        XCTAssertEqual(units[1].previous, "The cache grows with the sequence.")
        // Each unit is also offered with the next one.
        let pair = all.first { $0.span == 2 && $0.text.hasPrefix("It holds") }
        XCTAssertEqual(pair?.text, "It holds keys and values. - first item names something useful")
        XCTAssertEqual(pair?.startLine, 10)
        XCTAssertEqual(pair?.endLine, 11)
    }

    func testASentenceEndingWithAColonIsReadWithWhatFollows() {
        let units = EvidenceUnits.split(chunk("To list the tables, run this query:\nSELECT name FROM sqlite_schema;"),
                                        rank: 0, score: 1, dense: 0)
        XCTAssertEqual(units.first?.text, "To list the tables, run this query: SELECT name FROM sqlite_schema;")
        XCTAssertFalse(units.contains { $0.text == "To list the tables, run this query:" })
    }

    func testALabelLineIsCarriedIntoTheSentenceAfterIt() {
        let units = EvidenceUnits.split(chunk("r_offset\nThis member gives the location of the relocation."), rank: 0, score: 1, dense: 0)
        XCTAssertEqual(units.map(\.text), ["r_offset: This member gives the location of the relocation."])
        XCTAssertEqual(units[0].startLine, 11)
    }

    func testUnitsCiteTheWholeChunkWhenItsLinesCannotBeToldApart() {
        var record = chunk("One sentence here is long. Another sentence there is long.")
        record.endLine = record.startLine + 5   // the source had more lines than the extracted text
        let units = EvidenceUnits.split(record, rank: 0, score: 1, dense: 0)
        XCTAssertEqual(Set(units.map(\.startLine)), [10])
        XCTAssertEqual(Set(units.map(\.endLine)), [15])
    }

    func testFaithfulClaimPasses() {
        let unit = "Mistral 7B uses a sliding window of 4096 tokens in every layer."
        XCTAssertNil(FaithfulnessCheck().failure(claim: "Mistral 7B uses a window of 4096 tokens.", unit: unit,
                                                 question: "What window does Mistral 7B use?"))
    }

    func testClaimWithAWordTheEvidenceLacksFails() {
        let unit = "FlashAttention's extra memory is O(n) instead of O(n²)."
        XCTAssertEqual(FaithfulnessCheck().failure(claim: "The extra memory becomes O(n²).", unit: unit, question: "How much extra memory?"),
                       .newTerm("become"))
    }

    func testNumberFromANeighbouringClauseFails() {
        let unit = "Llama 2 70B uses 8 key/value heads, while the example model shares 3 heads per group."
        let failure = FaithfulnessCheck().failure(claim: "Llama 2 70B shares 3 heads.", unit: unit, question: "How many heads does Llama 2 70B share?")
        XCTAssertEqual(failure, .number("70b"), "70B is not next to 'shares' in the evidence")
        let chained = FaithfulnessCheck().failure(claim: "Llama models share 3 heads per group.", unit: unit,
                                                  question: "How many heads?")
        XCTAssertEqual(chained, .chain("llama", "model"), "words of two clauses are not one relation")
    }

    func testNegationMustAgree() {
        let unit = "FlashAttention does not reduce the number of floating point operations."
        XCTAssertEqual(FaithfulnessCheck().failure(claim: "FlashAttention does reduce the floating point operations.", unit: unit,
                                                   question: "Does FlashAttention reduce operations?"), .negation)
    }

    func testClaimThatOnlyRestatesTheQuestionFails() {
        XCTAssertEqual(FaithfulnessCheck().failure(claim: "The window size.", unit: "The window size is 4096.",
                                                   question: "What is the window size?"), .nothingFromTheUnit)
    }

    func testSplitIsStableAndRoughlySixtyForty() {
        XCTAssertEqual(EvaluationSplit.of(id: "att-mistral-window"), EvaluationSplit.of(id: "att-mistral-window"))
        let dev = (0..<1000).filter { EvaluationSplit.of(id: "q\($0)") == .dev }.count
        XCTAssertTrue((540...660).contains(dev), "\(dev) of 1000 in dev")
    }

    func testAcceptedAnswersMatchAnyAlternativeCaseAndTypography() {
        XCTAssertTrue(AcceptedAnswers.matches("It shrinks the cache 8× overall.", accepted: ["eight times", "8x"]))
        XCTAssertTrue(AcceptedAnswers.matches("Uses  4096\ttokens", accepted: ["4096 TOKENS"]))
        XCTAssertFalse(AcceptedAnswers.matches("Uses 2048 tokens", accepted: ["4096"]))
        XCTAssertFalse(AcceptedAnswers.matches("8x and 4096", accepted: [], required: ["8x", "2048"]))
    }

    /// Two features, the first decides: the fit must rank by it and refuse questions whose best unit is weak.
    func testFitLearnsTheInformativeFeatureAndAThreshold() {
        var examples: [EvidenceExample] = []
        for q in 0..<40 {
            let answerable = q % 4 != 0
            var units: [[Double]] = []
            var labels: [Bool] = []
            for u in 0..<6 {
                let positive = answerable && u == q % 6
                let noise = Double((q * 7 + u * 13) % 10) / 10
                var unit = Array(repeating: 0.0, count: EvidenceFeatures.names.count)
                unit[0] = positive ? 0.9 : 0.2 + 0.1 * noise   // cosine decides
                unit[1] = noise                                 // overlap is noise here
                units.append(unit)
                labels.append(positive)
            }
            examples.append(EvidenceExample(id: "q\(q)", answerable: answerable, units: units, labels: labels,
                                            hasLikelihood: Array(repeating: false, count: 6),
                                            bestChunkCosine: answerable ? 0.6 : 0.3, retrievedOverlap: answerable ? 1 : 0.4,
                                            missingRare: answerable ? 0 : 1, unknownName: 0))
        }
        let report = EvidenceFit.fit(examples, likelihoodIndex: EvidenceFeatures.names.count - 1, likelihoodCandidates: 0,
                                     iterations: 500)
        XCTAssertGreaterThan(report.model.rankerWeights[0], abs(report.model.rankerWeights[1]))
        XCTAssertEqual(report.topCorrect, 30)
        XCTAssertEqual(report.answeredRight, 30)
        XCTAssertEqual(report.refusedRight, 10)
        XCTAssertEqual(report.falseRefusals, 0)
    }
}
