@testable import Retrieval
import XCTest

final class AskedPriceTests: XCTestCase {
    func testMoneyQuestions() {
        XCTAssertTrue(AskedPrice.asksForMoney("What does Gemini 1.5 Pro cost per million input tokens?"))
        XCTAssertTrue(AskedPrice.asksForMoney("What is the price of an H100?"))
        XCTAssertTrue(AskedPrice.asksForMoney("How is the API priced?"))
        XCTAssertTrue(AskedPrice.asksForMoney("Is a GPU hour under $2?"))
        XCTAssertTrue(AskedPrice.asksForMoney("How much does the hosted plan cost per month?"))
        XCTAssertTrue(AskedPrice.asksForMoney("How much money does a training run take?"))
        XCTAssertTrue(AskedPrice.asksForMoney("What are the fees for SQLite's commercial support?"))
    }

    func testComputeAndMemoryCostsAreNotMoney() {
        XCTAssertFalse(AskedPrice.asksForMoney("What does full attention cost at one million tokens?"))
        XCTAssertFalse(AskedPrice.asksForMoney("How much does attention cost per token at 32K?"))
        XCTAssertFalse(AskedPrice.asksForMoney("What does full attention cost per million tokens of context?"))
        XCTAssertFalse(AskedPrice.asksForMoney("Why does doubling the prompt length make attention four times as expensive?"))
        XCTAssertFalse(AskedPrice.asksForMoney("How much memory does the KV cache cost?"))
        // A quoted question is a mention.
        XCTAssertFalse(AskedPrice.asksForMoney("A user asks 'and how much does that cost per month?'. What must happen first?"))
        XCTAssertFalse(AskedPrice.asksForMoney("A user asks \"what's the price?\". What must happen first?"))
        // An apostrophe is no quote.
        XCTAssertTrue(AskedPrice.asksForMoney("What's the model's price?"))
    }

    func testAmountsOfMoney() {
        for text in ["Input costs $7 per million tokens.", "It is priced at 0.50 €.", "About USD 20 a month.",
                     "It costs 3 dollars.", "Each call costs 50 cents.", "The plan is €1,200 per year.", "$ 5"] {
            XCTAssertTrue(AskedPrice.statesAmount(text), text)
        }
        for text in ["Gemini 1.5 Pro doubles that to two million tokens.", "The cost grows with n².",
                     "A 70B model needs 140 GB.", "USD is a currency.", "Costs rose 3x."] {
            XCTAssertFalse(AskedPrice.statesAmount(text), text)
        }
    }

    func testAPriceQuestionWithoutAnAmountIsRefused() {
        let passages = ["OpenAI's GPT-4.1 accepts more than one million tokens, and Google's Gemini 1.5 Pro doubles that to two million."]
        let signals = Answerability(question: "What does Gemini 1.5 Pro cost per million input tokens?", passages: passages,
                                    similarity: 0.6)
        XCTAssertTrue(signals.unstatedPrice)
        XCTAssertNotNil(RefusalRule().refusal(signals))
        let priced = Answerability(question: "What does Gemini 1.5 Pro cost per million input tokens?",
                                   passages: passages + ["Gemini 1.5 Pro input costs $7 per million tokens."], similarity: 0.6)
        XCTAssertFalse(priced.unstatedPrice)
        let compute = Answerability(question: "What does full attention cost at one million tokens?", passages: passages,
                                    similarity: 0.6)
        XCTAssertFalse(compute.unstatedPrice)
    }
}

final class MultiPartQuoteTests: XCTestCase {
    func testANumberAfterContainersOfCountsWhatTheyHold() {
        let numbers = NumberContexts("The GGUF files used by llama.cpp store weights in fixed blocks of 32:")
        XCTAssertTrue(numbers.counts("32", noun: "weight"))
        XCTAssertTrue(NumberContexts("The cache stores keys in pages of 16.").counts("16", noun: "key"))
        XCTAssertFalse(NumberContexts("It was in blocks of 32 bytes.").counts("32", noun: "it"))
    }

    func testAQuoteIsCompletedSentenceBySentenceUntilEveryPartIsGiven() {
        let ranked = [
            RankedSentence(text: "Q4_1: an FP16 scale d and an FP16 minimum m plus 16 bytes of nibbles, 20 bytes per block, 5 bits per weight.",
                           source: 1, order: 3, score: 0.9),
            RankedSentence(text: "Q8_0: one FP16 scale plus 32 signed bytes, 34 bytes per block.", source: 1, order: 1, score: 0.8),
            RankedSentence(text: "The GGUF files used by llama.cpp store weights in fixed blocks of 32:", source: 1, order: 0, score: 0.5),
        ]
        let question = "How many bytes does one Q4_1 block occupy, and how many weights does it hold?"
        let chosen = ExtractiveAnswer.choose(from: ranked, question: question, expectsNumber: true)
        XCTAssertEqual(chosen.map(\.order), [3, 0])
        XCTAssertEqual(AskedParts(question: question).answered(by: chosen.map(\.text).joined(separator: " ")), 2)
        // A single-part question still quotes one sentence.
        XCTAssertEqual(ExtractiveAnswer.choose(from: ranked, question: "How many bytes does a Q4_1 block occupy?",
                                               expectsNumber: true).count, 1)
    }

    func testQuotesOfOneSourceShareTheirAttribution() {
        let chosen = [RankedSentence(text: "- Q4_1: 20 bytes per block.", source: 1, order: 3, score: 0.9),
                      RankedSentence(text: "Weights come in blocks of 32.", source: 1, order: 0, score: 0.5),
                      RankedSentence(text: "Other.", source: 2, order: 0, score: 0.4)]
        XCTAssertEqual(ExtractiveAnswer.text(quoting: chosen),
                       "According to [1], \"Q4_1: 20 bytes per block.\" and \"Weights come in blocks of 32.\" According to [2], \"Other.\"")
    }

    func testCompressedEvidenceSplitsAtItsJoiner() {
        let text = "The GGUF files store weights in fixed blocks of 32: … - Q8_0: one FP16 scale plus 32 signed bytes."
        XCTAssertEqual(EvidenceCompressor.sentences(of: text),
                       ["The GGUF files store weights in fixed blocks of 32:", "- Q8_0: one FP16 scale plus 32 signed bytes."])
    }

    func testNoSentenceIsAddedWhenNoneGivesAMissingPart() {
        let ranked = [RankedSentence(text: "FlashAttention appeared in 2022.", source: 1, order: 0, score: 0.9),
                      RankedSentence(text: "It tiles the computation in 2023 work too.", source: 2, order: 0, score: 0.8)]
        let chosen = ExtractiveAnswer.choose(from: ranked, question: "In which year was FlashAttention introduced, and who wrote it?")
        XCTAssertEqual(chosen.count, 1)
    }
}
