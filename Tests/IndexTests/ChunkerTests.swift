import Foundation
import Index
import XCTest

final class ChunkerTests: XCTestCase {
    func testPlainTextInvariantsAndOverlap() {
        let counter = FakeTokenCounter(maxTokens: 64)
        let text = (0..<12).map { SampleText.paragraph($0, sentences: 6) }.joined(separator: "\n\n") + "\n"
        let document = PlainTextLoader.load(text)
        let chunks = Chunker(counter: counter).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: counter)
        XCTAssertGreaterThan(chunks.count, 10)
        // Consecutive chunks within the flowing text overlap, by roughly 15% of the budget (never most of a chunk).
        var overlapping = 0
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let shared = previous.byteRange.clamped(to: next.byteRange).count
            if shared > 0 {
                overlapping += 1
                let sharedText = String(decoding: Array(text.utf8)[next.byteRange.lowerBound..<previous.byteRange.upperBound], as: UTF8.self)
                XCTAssertLessThanOrEqual(counter.tokenCount(sharedText) - 2, Int(Double(62) * 0.15) + 1)
            }
        }
        XCTAssertGreaterThan(overlapping, chunks.count / 3, "most chunk boundaries inside paragraphs overlap")
    }

    func testNoOverlapWhenDisabled() {
        let counter = FakeTokenCounter(maxTokens: 48)
        let document = PlainTextLoader.load(SampleText.paragraph(3, sentences: 30))
        let chunks = Chunker(counter: counter, overlapFraction: 0).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: counter)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            XCTAssertEqual(previous.byteRange.upperBound, next.byteRange.lowerBound)
        }
    }

    func testMarkdownHeadingsStartChunksAndFormPaths() {
        let markdown = """
        # Guide

        Intro paragraph about the guide.

        ## Install

        Run the installer. It takes a minute.

        ### Linux

        Use the package manager.

        ## Usage

        Ask a question.
        """
        let counter = FakeTokenCounter(maxTokens: 256)
        let document = MarkdownLoader.load(markdown)
        let chunks = Chunker(counter: counter).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: counter)
        XCTAssertEqual(chunks.map(\.headingPath), [["Guide"], ["Guide", "Install"], ["Guide", "Install", "Linux"], ["Guide", "Usage"]])
        XCTAssertTrue(chunks[1].text.hasPrefix("## Install"))
        XCTAssertEqual(chunks[3].lineRange, 13...15)
    }

    func testCodeBlockKeptWholeWhenItFits() {
        let code = (1...12).map { "    let value\($0) = compute(\($0))" }.joined(separator: "\n")
        let markdown = "# Code\n\n" + SampleText.paragraph(1, sentences: 4) + "\n\n```swift\n" + code + "\n```\n\nAfter the code.\n"
        let counter = FakeTokenCounter(maxTokens: 200)
        let document = MarkdownLoader.load(markdown)
        let chunks = Chunker(counter: counter).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: counter)
        let holding = chunks.filter { $0.text.contains("let value1 =") }
        XCTAssertEqual(holding.count, 1)
        XCTAssertTrue(holding[0].text.contains("```swift") && holding[0].text.contains("let value12 ="), "the fence is in one chunk")
    }

    func testOversizedCodeBlockSplitsAtLines() {
        let code = (1...200).map { "x\($0) = f(\($0))" }.joined(separator: "\n")
        let document = SourceCodeLoader.load(code)
        let counter = FakeTokenCounter(maxTokens: 64)
        let chunks = Chunker(counter: counter).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: counter)
        for chunk in chunks.dropLast() {
            XCTAssertEqual(chunk.text.last, "\n", "code chunks end at a line end")
        }
    }

    func testHugeWordsAndSingleLineAreCut() {
        let counter = FakeTokenCounter(maxTokens: 32)
        let longWord = String(repeating: "abcdefghij", count: 300)
        let text = "start " + longWord + " middle " + String(repeating: "word ", count: 500) + "end"
        let document = PlainTextLoader.load(text)
        let chunks = Chunker(counter: counter).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: counter)
    }

    func testUnicodeRangesAndCRLFFreeLines() {
        let text = "Überschrift mit Umlauten.\nΚαλημέρα κόσμε. 日本語の文です。次の文です。\n\n🙂 emoji 👨‍👩‍👧 family. Ende.\n"
        let counter = FakeTokenCounter(maxTokens: 8)
        let document = PlainTextLoader.load(text)
        let chunks = Chunker(counter: counter).chunk(document)
        assertChunkInvariants(chunks, of: document, counter: counter)
    }

    func testRandomDocumentsKeepInvariants() {
        var generator = SeededGenerator(seed: 42)
        let pieces = ["alpha", "beta.", "gamma!", "δέλτα", "日本。", "x", "\n", "\n\n", "   ", "\t", "long" + String(repeating: "o", count: 40),
                      "# Head", "\n## Sub\n", "```\ncode line\n```", "end?"]
        for round in 0..<60 {
            let count = Int(generator.next() % 400)
            var text = ""
            for _ in 0..<count {
                text += pieces[Int(generator.next() % UInt64(pieces.count))]
                if generator.next() % 2 == 0 { text += " " }
            }
            let counter = FakeTokenCounter(maxTokens: 6 + Int(generator.next() % 40))
            for document in [PlainTextLoader.load(text), MarkdownLoader.load(text), SourceCodeLoader.load(text)] {
                let chunks = Chunker(counter: counter).chunk(document)
                assertChunkInvariants(chunks, of: document, counter: counter)
                if testRun?.failureCount ?? 0 > 0 { XCTFail("round \(round) failed: \(text.debugDescription)"); return }
            }
        }
    }

    func testBlankDocumentHasNoChunks() {
        let counter = FakeTokenCounter()
        XCTAssertTrue(Chunker(counter: counter).chunk(PlainTextLoader.load("")).isEmpty)
        XCTAssertTrue(Chunker(counter: counter).chunk(PlainTextLoader.load(" \n\n\t \n")).isEmpty)
    }

    /// Counting tokens of growing candidate chunks is quadratic; the chunker counts each piece about once.
    func testTokenCountingIsLinear() {
        let counter = FakeTokenCounter(maxTokens: 256)
        let text = (0..<400).map { SampleText.paragraph($0, sentences: 8) }.joined(separator: "\n\n")
        let chunks = Chunker(counter: counter).chunk(PlainTextLoader.load(text))
        XCTAssertGreaterThan(chunks.count, 50)
        // Atoms once, plus one verification of each chunk (which overlap by ~15%).
        XCTAssertLessThan(counter.totalBytesCounted, text.utf8.count * 5 / 2)
    }

    func testLongSingleLineIsLinear() {
        let counter = FakeTokenCounter(maxTokens: 256)
        let text = String(repeating: "lorem ipsum dolor sit amet ", count: 40_000)   // ~1 MB, no sentence ends, one line
        let document = PlainTextLoader.load(text)
        let chunks = Chunker(counter: counter).chunk(document)
        XCTAssertLessThan(counter.totalBytesCounted, text.utf8.count * 4)
        XCTAssertEqual(chunks.first?.byteRange.lowerBound, 0)
        XCTAssertEqual(chunks.last?.byteRange.upperBound, text.utf8.count)
        XCTAssertTrue(chunks.allSatisfy { $0.tokenCount <= 256 && $0.lineRange == 1...1 })
    }
}
