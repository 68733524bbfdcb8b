import Foundation
import Generator
import XCTest

/// The real SmolLM2 tokenizer against ids produced by Hugging Face `tokenizers` (and confirmed by llama.cpp).
final class TokenizerFixtureTests: XCTestCase {
    private struct TokenizerCase: Decodable {
        let text: String
        let ids: [Int32]
    }

    func testEveryFixtureCaseEncodesExactly() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        let cases = try SmolLMFixtures.cases("tokenizer_cases.jsonl", as: TokenizerCase.self)
        XCTAssertGreaterThan(cases.count, 100)
        var failures = 0
        for (index, testCase) in cases.enumerated() {
            let ids = tokenizer.encode(testCase.text)
            if ids != testCase.ids {
                failures += 1
                XCTFail("case \(index) \(String(reflecting: testCase.text.prefix(80))): got \(ids.prefix(40)), expected \(testCase.ids.prefix(40))")
            }
            XCTAssertEqual(tokenizer.count(testCase.text), testCase.ids.count, "count of case \(index)")
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(cases.count) cases differ")
    }

    func testEveryFixtureCaseDecodesToItsText() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        for (index, testCase) in try SmolLMFixtures.cases("tokenizer_cases.jsonl", as: TokenizerCase.self).enumerated() {
            XCTAssertEqual(tokenizer.decode(testCase.ids), testCase.text, "case \(index)")
        }
    }

    func testStreamingDetokenizerReproducesEveryCase() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        for (index, testCase) in try SmolLMFixtures.cases("tokenizer_cases.jsonl", as: TokenizerCase.self).enumerated() {
            var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
            var text = ""
            for id in testCase.ids {
                let piece = detokenizer.feed(id)
                XCTAssertFalse(piece.unicodeScalars.contains("\u{FFFD}") && !testCase.text.unicodeScalars.contains("\u{FFFD}"),
                               "case \(index): a partial character was emitted")
                text += piece
            }
            XCTAssertFalse(detokenizer.hasPendingBytes, "case \(index)")
            text += detokenizer.finish()
            XCTAssertEqual(text, testCase.text, "case \(index)")
        }
    }

    func testSpecialIdsAndMetadata() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.endOfText, 0)
        XCTAssertEqual(tokenizer.imStart, 1)
        XCTAssertEqual(tokenizer.imEnd, 2)
        XCTAssertTrue(tokenizer.stopTokenIds.contains(2))
        XCTAssertEqual(tokenizer.preTokenizer.kind, .smollm)
    }

    func testSpecialTokenTextIsPlainUnlessAllowed() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        let text = "<|im_start|>user\nRepeat <|im_end|> please<|im_end|>"
        let plain = tokenizer.encode(text)
        XCTAssertFalse(plain.contains(1) || plain.contains(2), "special tokens parsed from plain text: \(plain)")
        XCTAssertEqual(tokenizer.decode(plain), text)

        let special = tokenizer.encode(text, allowSpecial: true)
        XCTAssertEqual(special, [1] + tokenizer.encode("user\nRepeat ") + [2] + tokenizer.encode(" please") + [2])
        XCTAssertEqual(tokenizer.decode(special), text)
        XCTAssertEqual(tokenizer.decode(special, skipSpecialTokens: true), "user\nRepeat  please")
    }

    func testEndOfTextAndOtherControlTokensInSpecialMode() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        XCTAssertEqual(tokenizer.encode("a<|endoftext|>b<file_sep>", allowSpecial: true),
                       tokenizer.encode("a") + [0] + tokenizer.encode("b") + [5])
    }

    private struct LogitsPrompt: Decodable {
        let name: String
        let kind: String
        let prompt: String
        let ids: [Int32]
        let greedy_ids: [Int32]
        let greedy_text: String
    }

    /// The model inputs of the logits fixture: raw text encodes plainly, chat prompts with their markers as special tokens.
    func testLogitsFixturePromptsAndGreedyTexts() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        let prompts = try SmolLMFixtures.cases("logits_fp64.jsonl", as: LogitsPrompt.self)
        XCTAssertGreaterThan(prompts.count, 0)
        for prompt in prompts {
            let ids = tokenizer.encode(prompt.prompt, allowSpecial: prompt.kind != "raw")
            XCTAssertEqual(ids, prompt.ids, prompt.name)
            XCTAssertEqual(tokenizer.decode(prompt.ids), prompt.prompt, prompt.name)
            XCTAssertEqual(tokenizer.decode(prompt.greedy_ids, skipSpecialTokens: true), prompt.greedy_text, prompt.name)
        }
    }

    private struct PerplexityFixture: Decodable {
        let file: String
        let tokens: Int
    }

    /// The perplexity fixture states how many tokens the whole GPL-3 text has.
    func testTokenCountOfThePerplexityText() throws {
        let tokenizer = try SmolLMFixtures.tokenizer()
        let data = try Data(contentsOf: URL(fileURLWithPath: SmolLMFixtures.directory + "/perplexity_gpl3.json"))
        let fixture = try JSONDecoder().decode(PerplexityFixture.self, from: data)
        guard let text = try? String(contentsOfFile: fixture.file, encoding: .utf8) else {
            throw XCTSkip("\(fixture.file) is not installed on this machine")
        }
        XCTAssertEqual(tokenizer.count(text), fixture.tokens)
        XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text)
    }
}
