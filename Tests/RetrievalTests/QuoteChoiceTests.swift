import Retrieval
import XCTest

final class YearMentionTests: XCTestCase {
    func testCitationYearsAndDatesAreYears() {
        XCTAssertEqual(YearMentions.years(in: "Quest (Tang et al., 2024) applies the selection to the cache."), ["2024"])
        XCTAssertEqual(YearMentions.years(in: "Ainslie et al. (2023) generalised the idea."), ["2023"])
        XCTAssertEqual(YearMentions.years(in: "As shown before [2019], it works."), ["2019"])
        XCTAssertEqual(YearMentions.years(in: "It builds on (Dao et al., 2022; Dao, 2023b) and more."), ["2022", "2023"])
        XCTAssertEqual(YearMentions.years(in: "Shazeer proposed it in 2019 and it spread since 2020."), ["2019", "2020"])
        XCTAssertEqual(YearMentions.years(in: "Released in May 2023."), ["2023"])
    }

    func testCountsAreNotYears() {
        XCTAssertEqual(YearMentions.years(in: "The model had a context of 2048 tokens."), [])
        XCTAssertEqual(YearMentions.years(in: "It fits in 2048 tokens (2,048 with the prompt)."), [])
        XCTAssertEqual(YearMentions.years(in: "A window (2048 tokens) is kept."), [])
        XCTAssertEqual(YearMentions.years(in: "Between 1999 and 2001 items fit."), [])
        XCTAssertEqual(YearMentions.years(in: "Up to 12,000 rows or 3.5 GB."), [])
    }

    func testAYearAnswersOnlyADateQuestion() {
        let quest = "Quest (Tang et al., 2024) applies the selection to the KV cache during decoding."
        XCTAssertEqual(AnsweringNumbers(question: "How much memory does GQA save in the KV cache?").numbers(in: quest), [])
        XCTAssertEqual(AnsweringNumbers(question: "In which year did Quest appear?").numbers(in: quest), ["2024"])
        XCTAssertEqual(AnsweringNumbers(question: "When did Quest appear?").numbers(in: quest), ["2024"])
        XCTAssertEqual(AnsweringNumbers(question: "How much smaller is the cache?").numbers(in: "The cache is 8x smaller."), ["8"])
        XCTAssertEqual(AnsweringNumbers(question: "How many tokens fit?").numbers(in: "It fits 2048 tokens."), ["2048"])
    }

    func testAQuestionAsksForADate() {
        XCTAssertTrue(QuestionKind.asksForDate("In which year was FlashAttention introduced?"))
        XCTAssertTrue(QuestionKind.asksForDate("When was RoPE proposed?"))
        XCTAssertFalse(QuestionKind.asksForDate("How much memory does it save?"))
        XCTAssertFalse(QuestionKind.asksForDate("What does a year of training cost?"))
    }
}

final class QuoteChoiceTests: XCTestCase {
    func testACitationYearDoesNotAnswerAQuantityQuestion() {
        let ranked = [RankedSentence(text: "Quest (Tang et al., 2024) applies the selection to the KV cache.", source: 1, order: 0, score: 0.9),
                      RankedSentence(text: "The KV cache is 8x smaller than with full multi-head attention.", source: 2, order: 0, score: 0.8)]
        let question = "How much memory does grouped-query attention save in the KV cache?"
        XCTAssertEqual(ExtractiveAnswer.choose(from: ranked, question: question, expectsNumber: true).map(\.source), [2])
        let yearQuestion = "In which year was Quest introduced?"
        XCTAssertEqual(ExtractiveAnswer.choose(from: ranked, question: yearQuestion, expectsNumber: true).map(\.source), [1])
    }

    func testAModelSentenceStatingOnlyACitationYearDoesNotAnswer() {
        let sources = [testSource(1, "Quest (Tang et al., 2024) applies the selection to the KV cache during decoding.")]
        let question = "How much memory does grouped-query attention save in the KV cache?"
        var stream = GroundedStream(scorer: SupportScorer(sources: sources, question: question), sourceCount: 1,
                                    expectsNumber: QuestionKind.expectsNumber(question))
        _ = stream.feed("Quest (Tang et al., 2024) applies the selection during decoding. ")
        _ = stream.finish()
        XCTAssertEqual(stream.shown, "")
        XCTAssertTrue(stream.needsFallback)
    }

    func testAcronymsArePairedWithTheirPhrases() {
        let acronyms = Acronyms(definedIn: ["Grouped-query attention (GQA) and multi-query attention (MQA) share heads.",
                                            "Rotary Position Embedding (RoPE) rotates pairs. A cache (Tang et al., 2024)."])
        XCTAssertEqual(acronyms.phrases["gqa"], ["grouped", "query", "attention"])
        XCTAssertEqual(acronyms.phrases["mqa"], ["multi", "query", "attention"])
        XCTAssertEqual(acronyms.phrases["rope"], ["rotary", "position", "embedding"])
        XCTAssertEqual(acronyms.phrases.count, 3)
        XCTAssertTrue(acronyms.expanding(["gqa", "save"]).isSuperset(of: ["grouped", "query", "attention"]))
        XCTAssertTrue(acronyms.expanding(["grouped", "query", "attention"]).contains("gqa"))
    }

    func testRareQuestionTermsWeighMore() {
        let passages = ["The cache stores keys.", "The cache grows with context.", "Paged cache blocks.",
                        "Grouped-query attention (GQA) shares key heads; the cache shrinks."]
        let terms = KeyTerms(question: "How much does grouped-query attention shrink the cache?", passages: passages)
        XCTAssertGreaterThan(terms.weights["group"] ?? 0, terms.weights["cache"] ?? 0)
        XCTAssertGreaterThan(terms.share(of: "GQA saves a lot."), terms.share(of: "The cache is large."),
                             "the acronym stands for the rare phrase")
    }

    func testTheQuoteComesFromThePassageAboutTheQuestionsTopic() {
        let passages = ["Quest selects pages of the KV cache during decoding.",
                        "Grouped-query attention (GQA) keeps many query heads and far fewer key/value heads. The KV cache is 8x smaller.",
                        "The KV cache grows with the context."]
        let ranking = QuoteRanking(keyTerms: KeyTerms(question: "How much memory does grouped-query attention save in the KV cache?",
                                                      passages: passages))
        var quest = RankedSentence(text: "Quest selects pages of the KV cache during decoding.", source: 1, order: 0, score: 0.9)
        quest.cosine = 0.5
        var figure = RankedSentence(text: "The KV cache is 8x smaller.", source: 2, order: 1, score: 0.8)
        figure.cosine = 0.45
        let ordered = ranking.ordered([quest, figure], headings: [1: "Top-k attention", 2: "Grouped-query attention"],
                                      sourceTexts: [1: passages[0], 2: passages[1]])
        XCTAssertEqual(ordered.map(\.source), [2, 1])
        XCTAssertEqual(ranking.ordered([quest, figure], headings: [:], sourceTexts: [:]).map(\.source), [1, 2],
                       "without key terms in favour of either, the cosine decides")
    }
}

final class CountedNumberTests: XCTestCase {
    func testNumbersCountTheWordsAfterThem() {
        let contexts = NumberContexts("Q4_1 uses 20 bytes per block, 5 bits per weight. SmolLM2 has 9 query heads and 3 key/value heads; W = 4,096. It is 8x smaller.")
        XCTAssertTrue(contexts.counts("20", noun: "byte"))
        XCTAssertFalse(contexts.counts("5", noun: "weight"), "5 counts bits per weight")
        XCTAssertTrue(contexts.counts("9", noun: "head"))
        XCTAssertTrue(contexts.counts("3", noun: "head"))
        XCTAssertTrue(contexts.counts("8", noun: "time"), "8x counts times")
        XCTAssertFalse(contexts.counts("4096", noun: "token"))
        XCTAssertTrue(contexts.mayCount("4096", noun: "token"), "a bare number may count anything")
        XCTAssertFalse(contexts.mayCount("20", noun: "second"))
        XCTAssertTrue(NumberContexts("It takes 320 KiB per token.").counts("320", noun: "byte"), "a unit names its measure")
        XCTAssertTrue(NumberContexts("about 28 hours").counts("28", noun: "second"))
        XCTAssertFalse(NumberContexts("about 328 GB").counts("328", noun: "second"))
        XCTAssertTrue(contexts.mayCount("77", noun: "second"), "a number the text never states is not judged here")
    }

    func testAValueAfterALabelCountsWhatTheLabelNames() {
        let row = NumberContexts("FP16 / BF16 — bytes per weight: 2; 7B model: 14 GB; 70B model: 140 GB")
        XCTAssertTrue(row.counts("2", noun: "byte"))
        XCTAssertFalse(row.mayCount("2", noun: "bit"), "2 counts bytes per weight, not bits")
        XCTAssertTrue(row.counts("14", noun: "byte"), "a value with its own unit keeps it")
        XCTAssertEqual(NumberContexts.withLabelsAfterValues("heads: 9\nwindow: 4,096"), "9 heads\n4,096 window")
        XCTAssertEqual(NumberContexts.withLabelsAfterValues("Note: 3 of them fail."), "Note: 3 of them fail.",
                       "a number starting a clause is not a labelled value")
        XCTAssertEqual(NumberContexts.withLabelsAfterValues("at 12:30 today"), "at 12:30 today")
    }

    func testANumberInANameCountsNothing() {
        let contexts = NumberContexts("This is one reason GPT-3 had a context of only 2,048 tokens. OpenAI's GPT-4.1 accepts more.")
        XCTAssertFalse(contexts.mayCount("3", noun: "parameter"), "GPT-3 names a model")
        XCTAssertFalse(contexts.mayCount("4.1", noun: "parameter"))
        XCTAssertTrue(NumberContexts("GPT-3 has 175 billion parameters.").mayCount("175", noun: "parameter"))
        XCTAssertTrue(NumberContexts("keep the top-8 pages").counts("8", noun: "page"), "words after the number still count")
        XCTAssertTrue(NumberContexts("a 4-bit value, W = 4").mayCount("4", noun: "bit"))
        let answering = AnsweringNumbers(question: "How many parameters does GPT-4 have?",
                                         sources: "This is one reason GPT-3 had a context of only 2,048 tokens.")
        XCTAssertEqual(answering.numbers(in: "The answer is: 3."), [], "a bare 3 the sources state only as GPT-3")
    }

    func testANumberTheSourcesGiveInAnotherUnitDoesNotAnswerHowMany() {
        let sources = "One million tokens need about 328 GB. A quadratic cost turns 0.1 seconds into 100,000 seconds."
        let answering = AnsweringNumbers(question: "How many seconds would one token take at a million tokens?", sources: sources)
        XCTAssertEqual(answering.numbers(in: "The answer is: 328."), [])
        XCTAssertEqual(answering.numbers(in: "It takes 328 GB."), [])
        XCTAssertEqual(answering.numbers(in: "The answer is 100,000."), ["100000"])
        XCTAssertEqual(answering.numbers(in: "About 100,000 seconds."), ["100000"])
        XCTAssertEqual(AnsweringNumbers(question: "How much memory?", sources: sources).numbers(in: "About 328."), ["328"],
                       "only a counting question names what its number counts")
    }
}

final class AskedPartsTests: XCTestCase {
    func testPartsOfAQuestion() {
        XCTAssertEqual(AskedParts(question: "In which year was FlashAttention introduced, and who was its first author?").parts,
                       [.year, .person])
        XCTAssertEqual(AskedParts(question: "How many bytes does a block occupy, and how many weights does it hold?").parts,
                       [.count("byte"), .count("weight")])
        XCTAssertFalse(AskedParts(question: "How much memory does it save?").isMultiPart)
    }

    func testAnAnswerGivingMoreOfTheQuestionWins() {
        let asked = AskedParts(question: "In which year was FlashAttention introduced, and who was its first author?")
        XCTAssertEqual(asked.answered(by: "2023 [2]."), 1)
        XCTAssertEqual(asked.answered(by: "According to [1], \"FlashAttention was introduced in 2022 by Tri Dao and colleagues.\""), 2)
        XCTAssertEqual(asked.answered(by: "According to [1], \"Lewis et al. (2020) coined it.\""), 2)
        XCTAssertEqual(asked.answered(by: "Going from 1,000 to 1,000,000 tokens costs more. FlashAttention is exact."), 0)
    }

    func testTheQuoteGivingMostPartsIsChosen() {
        let ranked = [RankedSentence(text: "FlashAttention-2 (2023) improved the work split.", source: 2, order: 0, score: 0.9),
                      RankedSentence(text: "FlashAttention was introduced in 2022 by Tri Dao.", source: 1, order: 0, score: 0.8)]
        let question = "In which year was FlashAttention introduced, and who was its first author?"
        XCTAssertEqual(ExtractiveAnswer.choose(from: ranked, question: question, expectsNumber: true).map(\.source), [1])
    }
}

final class AskedAttributeTests: XCTestCase {
    func testTheAttributeAskedAbout() {
        XCTAssertEqual(AskedAttribute.phrases(in: "What learning rate and batch size were used to pre-train Mistral 7B?"),
                       [["learning", "rate"], ["batch", "size"]])
        XCTAssertEqual(AskedAttribute.phrases(in: "How large is the tokenizer vocabulary of Llama 3?"), [["tokenizer", "vocabulary"]])
        XCTAssertEqual(AskedAttribute.phrases(in: "What's the difference between them?"), [])
        XCTAssertEqual(AskedAttribute.phrases(in: "Why does it break?"), [])
    }

    func testPassagesThatNeverNameTheAttributeCannotAnswer() {
        let unnamed = Answerability(question: "What learning rate was used to pre-train Mistral 7B?",
                                    passages: ["Mistral 7B was pre-trained with a sliding window of 4,096 tokens."], similarity: 0.6)
        XCTAssertEqual(unnamed.unnamedAttribute, "learning rate")
        XCTAssertNotNil(RefusalRule().refusal(unnamed))
        let named = Answerability(question: "What window size does Mistral 7B use?",
                                  passages: ["Mistral 7B uses a sliding window of 4,096 tokens."], similarity: 0.6)
        XCTAssertNil(named.unnamedAttribute, "'size' is missing but 'window' names the attribute")
        XCTAssertNil(RefusalRule().refusal(named))
        let generic = Answerability(question: "Which techniques shrink the cache?", passages: ["Quantization shrinks the cache."],
                                    similarity: 0.6)
        XCTAssertNil(generic.unnamedAttribute, "a one-word attribute is too generic to judge")
    }
}
