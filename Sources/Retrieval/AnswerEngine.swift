import Foundation

public struct AskOptions: Sendable {
    /// Chunks retrieved before packing.
    public var k = 8
    /// Token budget of the sources block.
    public var budget = 1500
    public var generation = GenerationOptions()
    /// Retrieve and pack only; no generation.
    public var generate = true
    /// `--route`: nil = automatic.
    public var route: Route?
    /// `--doc PATH`: read this document whole.
    public var document: DocumentRef?

    public init() {}
}

/// Knobs of answering; defaults chosen by measurement (benchmarks/retrieval.md).
public struct AnswerSettings: Sendable {
    /// When the question is taken to be outside the documents: the answer is `GroundedPrompt.noAnswer` and
    /// nothing is generated.
    public var refusal = RefusalRule()
    /// Sentence-level citations and the support check of the generated answer.
    public var grounding = GroundingSettings()
    /// Longest question kept, in generator tokens (longer ones are cut, with a notice).
    public var maxQuestionTokens = 256
    public var router = RouterSettings()
    /// Sentences of evidence kept for the generator on the rag route (0 keeps the sources whole).
    public var evidenceSentences = 4
    public var longContext = LongContextSettings()

    public init() {}
}

public struct AskTimings: Sendable, Codable {
    public var embedMs: Double = 0
    public var retrievalMs: Double = 0
    public var prefillMs: Double = 0
    public var decodeMs: Double = 0
    public var firstTokenMs: Double?
}

public struct AskResult: Sendable {
    public var question: String
    public var answer: String
    /// Every source given to the generator, numbered as in the prompt.
    public var sources: [ContextSource]
    /// Numbers of the sources the answer cites with `[n]` markers (empty when it cites none).
    public var cited: [Int]
    /// Where the shown answer comes from.
    public var origin: AnswerOrigin = .model
    /// The first sentence of the model's answer that no source supported (the answer was cut there), if any.
    public var unsupportedSentence: String?
    /// The signals of the no-answer gate.
    public var answerability: Answerability?
    /// When the model's answer was replaced: the share of the question's words the quoted evidence holds.
    public var quoteCoverage: Double?
    public var route: String
    public var routeReason: String
    public var bestEvidence: Double
    public var timings: AskTimings
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Things the user should know (question truncated, sources cut to fit, …).
    public var notices: [String]
    public var prompt: [PromptMessage]
}

/// Where an answer's text comes from.
public enum AnswerOrigin: String, Sendable, Codable {
    /// The model's answer, every shown sentence supported by the sources (or not checked).
    case model
    /// The model's answer, cut at the first sentence no source supports.
    case modelCut = "model-cut"
    /// Evidence sentences quoted, because no sentence of the model's answer was supported.
    case extractive
    /// "The documents don't say." from the no-answer gate.
    case refusal
}

/// Retrieval-augmented answering: retrieve, pack, prompt, generate, collect citations.
public final class AnswerEngine {
    public let retriever: HybridRetriever
    public let generator: TextGenerator
    public var settings: AnswerSettings
    var cachedDocuments: [DocumentRef]?

    public init(retriever: HybridRetriever, generator: TextGenerator, settings: AnswerSettings = AnswerSettings()) {
        self.retriever = retriever
        self.generator = generator
        self.settings = settings
    }

    /// Answers `rawQuestion`. `searchQueries`, when given, are the phrasings retrieval fuses instead of searching
    /// with the question alone (a chat follow-up with and without its context). `progress` receives notices while
    /// working (map-reduce steps); `onText` receives the streamed answer and returns false to stop it. `focus`, when
    /// given (a chat follow-up that picked an item out of the user's list), keeps the evidence on that item: on the
    /// rag route, retrieved passages that name another item of the list are left out when one names the item alone.
    public func ask(_ rawQuestion: String, options: AskOptions, history: [PromptMessage] = [], summary: String? = nil,
                    searchQueries: [WeightedQuery] = [], focus: ReferentFocus? = nil,
                    progress: (String) -> Void = { _ in }, onText: (String) -> Bool = { _ in true }) throws -> AskResult {
        var notices: [String] = []
        var question = rawQuestion.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else { throw RetrievalError.emptyQuery }
        let questionLimit = min(settings.maxQuestionTokens, max(16, options.budget / 2))
        if generator.countTokens(question) > questionLimit {
            question = truncate(question, toTokens: questionLimit, countTokens: generator.countTokens)
            notices.append("the question is longer than \(questionLimit) tokens; only its beginning was used")
        }

        var retrieval: RetrievalResult
        if searchQueries.isEmpty {
            retrieval = try retriever.search(question, k: options.k, mode: .hybrid)
        } else {
            retrieval = try retriever.search(searchQueries, k: options.k)
            if searchQueries[0].text != question { retrieval.queryVector = try retriever.embedder.embed([question])[0] }
        }
        var timings = AskTimings(embedMs: retrieval.embedSeconds * 1000, retrievalMs: retrieval.searchSeconds * 1000)

        let documents = try indexedDocuments()
        let decision = Router(settings: settings.router).decide(question: question, forced: options.route,
                                                                requestedDocument: options.document,
                                                                retrieval: retrieval, documents: documents)
        var result = AskResult(question: question, answer: "", sources: [], cited: [], route: decision.route.rawValue,
                               routeReason: decision.reason, bestEvidence: retrieval.bestDenseScore, timings: timings,
                               promptTokens: 0, generatedTokens: 0, notices: notices, prompt: [])

        // The no-answer gate (never for an explicit route or document): nothing in the index resembles the
        // question, the retrieved passages miss too much of it, or it names something (a model, a product)
        // that no chunk mentions.
        let signals = Answerability(question: question, passages: retrieval.chunks.map(\.textWithHeading),
                                    similarity: retrieval.bestDenseScore)
        result.answerability = signals
        if decision.route != .document, options.route == nil {
            var reason = settings.refusal.refusal(signals)
            if reason == nil, let missing = try unknownNames(in: question) {
                reason = "the documents never mention \(missing)"
            }
            if let reason {
                result.answer = GroundedPrompt.noAnswer
                result.origin = .refusal
                result.routeReason = reason
                _ = onText(result.answer)
                return result
            }
        }

        let context: PackedContext
        var mapTokens = 0
        switch decision.route {
        case .rag:
            if let focus { retrieval.chunks = focus.focused(retrieval.chunks) }
            let packed = ContextPacker(budget: options.budget, countTokens: generator.countTokens).pack(retrieval.chunks)
            if packed.truncated { result.notices.append("the last source was shortened to fit the \(options.budget)-token budget") }
            if settings.evidenceSentences > 0 {
                var compressor = EvidenceCompressor(embedder: retriever.embedder)
                compressor.maxSentences = settings.evidenceSentences
                context = try compressor.compress(packed, question: question, questionVector: retrieval.queryVector,
                                                  phrasings: retrieval.phrasings)
            } else {
                context = packed
            }
        case .document, .long:
            guard !decision.documents.isEmpty else { throw RetrievalError.emptyIndex }
            let reader = LongContextReader(corpus: retriever.corpus, generator: generator, settings: settings.longContext)
            let read = try reader.sources(for: question, documents: decision.documents, generation: options.generation,
                                          progress: progress)
            context = read.context
            mapTokens = read.generated
            if read.summarized {
                result.notices.append("the documents exceed \(settings.longContext.budget) tokens: answered from section summaries")
            }
        }
        let messages = GroundedPrompt.messages(question: question, context: context, history: history, summary: summary)
        result.sources = context.sources
        result.prompt = messages
        guard options.generate else { return result }

        var stopper = RepetitionStopper()
        let scorer = SupportScorer(sources: context.sources, question: question, threshold: settings.grounding.supportThreshold)
        var grounded = GroundedStream(scorer: scorer, sourceCount: context.sources.count,
                                      expectsNumber: QuestionKind.expectsNumber(question), settings: settings.grounding,
                                      earlierAnswers: EarlierAnswers(history.filter { $0.role == .assistant }.map(\.content)))
        // The answer to a question asking several things ("which year …, and who …?") is shown once it is complete:
        // a quote giving more of them may replace it.
        let asked = AskedParts(question: question)
        let holdsAnswer = settings.grounding.checkSupport && asked.isMultiPart
        var userStopped = false
        let outcome = try generator.generate(messages, options: options.generation) { piece in
            let shown = grounded.feed(stopper.feed(piece))
            if !holdsAnswer, !shown.isEmpty, !onText(shown) { userStopped = true }
            return !userStopped && !stopper.stopped && !grounded.drifted
        }
        if !userStopped {
            let tail = grounded.feed(stopper.finish()) + grounded.finish()
            if !holdsAnswer, !tail.isEmpty { _ = onText(tail) }
        }
        timings.prefillMs = outcome.prefillSeconds * 1000
        timings.decodeMs = outcome.decodeSeconds * 1000
        timings.firstTokenMs = outcome.firstTokenSeconds.map { $0 * 1000 + timings.embedMs + timings.retrievalMs }
        result.timings = timings
        result.answer = grounded.shown.trimmingCharacters(in: .whitespacesAndNewlines)
        result.unsupportedSentence = grounded.driftedAt
        if grounded.drifted { result.origin = .modelCut }
        var extractive: (text: String, coverage: Double)?
        if grounded.needsFallback || holdsAnswer, !userStopped {
            extractive = try extractiveAnswer(question: question, context: context, retrieved: retrieval.chunks,
                                              questionVector: retrieval.queryVector, phrasings: retrieval.phrasings)
        }
        // A supported answer that gives fewer of the asked things than the best evidence sentence yields to it.
        let quoteGivesMore = extractive.map { quote in
            !quote.text.hasPrefix(ExtractiveAnswer.notDirectly) && asked.answered(by: quote.text) > asked.answered(by: result.answer)
        } ?? false
        if holdsAnswer, !grounded.needsFallback, !quoteGivesMore, !grounded.shown.isEmpty { _ = onText(grounded.shown) }
        if let extractive, grounded.needsFallback || quoteGivesMore {
            if !grounded.needsFallback {
                result.notices.append("the model's answer gave less of what the question asks than the quoted evidence")
            }
            result.answer = extractive.text
            result.origin = extractive.text == GroundedPrompt.noAnswer || extractive.text.hasPrefix(ExtractiveAnswer.notDirectly)
                ? .refusal : .extractive
            result.quoteCoverage = extractive.coverage
            _ = onText(extractive.text)
        }
        result.cited = Citations.numbers(in: result.answer, sourceCount: context.sources.count)
        result.promptTokens = outcome.promptTokens
        result.generatedTokens = outcome.generatedTokens + mapTokens
        return result
    }
}

extension AnswerEngine {
    /// The best evidence sentences for the question, quoted with their sources, and the share of the question's
    /// words they (with their sources' headings) hold; `GroundedPrompt.noAnswer` when that share is below
    /// `grounding.minimumQuoteCoverage`. `retrieved`: the chunks retrieval found, which weigh the question's terms
    /// (`KeyTerms`) and give each (compressed) source its whole text (`QuoteRanking`).
    func extractiveAnswer(question: String, context: PackedContext, retrieved: [RetrievedChunk], questionVector: [Float],
                          phrasings: [WeightedVector] = []) throws -> (text: String, coverage: Double)? {
        let compressorOrder = try EvidenceCompressor(embedder: retriever.embedder).rank(context, question: question,
                                                                                       questionVector: questionVector,
                                                                                       phrasings: phrasings)
        let retrievedTexts = retrieved.map(\.textWithHeading)
        let chunkText = Dictionary(retrieved.map { ($0.chunk.id, $0.chunk.text) }, uniquingKeysWith: { first, _ in first })
        var headings: [Int: String] = [:], sourceTexts: [Int: String] = [:]
        for source in context.sources {
            let whole = source.chunkIds.compactMap { chunkText[$0] }
            headings[source.number] = source.heading
            sourceTexts[source.number] = source.heading + "\n" + (whole.isEmpty ? source.text : whole.joined(separator: "\n"))
        }
        let ranked = QuoteRanking(keyTerms: KeyTerms(question: question,
                                                  passages: retrievedTexts.isEmpty ? Array(sourceTexts.values) : retrievedTexts))
            .ordered(compressorOrder, headings: headings, sourceTexts: sourceTexts)
        let chosen = ExtractiveAnswer.choose(from: ranked, question: question, expectsNumber: QuestionKind.expectsNumber(question),
                                             sentences: settings.grounding.extractiveSentences)
        let answers = settings.grounding.admitUnansweredQuote
            ? AskedQuantity.quoteCanAnswer(chosen.map(\.text).joined(separator: " "), question: question) : true
        guard let text = ExtractiveAnswer.text(quoting: chosen, answers: answers) else { return nil }
        let quoted = chosen.map { sentence in
            (context.sources.first { $0.number == sentence.source }?.heading ?? "") + "\n" + sentence.text
        }
        let coverage = Answerability(question: question, passages: quoted, similarity: 0).coverage
        return (coverage < settings.grounding.minimumQuoteCoverage ? GroundedPrompt.noAnswer : text, coverage)
    }

    /// The documents of the index, listed once per engine (the vectors, too, are loaded once per process).
    func indexedDocuments() throws -> [DocumentRef] {
        if let cachedDocuments { return cachedDocuments }
        let listed = try retriever.corpus.documents()
        cachedDocuments = listed
        return listed
    }

    /// The first name-like word of the question (letters with a digit or an inner capital, e.g. "MI300X", "LoRA",
    /// or an all-caps acronym of three or more letters) that occurs in no chunk of the index, if any.
    func unknownNames(in question: String) throws -> String? {
        for word in NameLikeWords.words(in: question) {
            let expression = LexicalQuery.matchExpression(for: word) ?? ""
            if expression.isEmpty { continue }
            if try retriever.corpus.lexicalSearch(matchExpression: expression, limit: 1).isEmpty { return "\"\(word)\"" }
        }
        return nil
    }
}

/// Words that look like names: they carry a digit next to letters, a capital after the first letter, or are
/// all capitals (three letters or more). Ordinary words ("What", "memory") are never names.
public enum NameLikeWords {
    public static func words(in text: String) -> [String] {
        var result: [String] = []
        for raw in text.split(whereSeparator: { $0.isWhitespace }) {
            let word = raw.trimmingCharacters(in: CharacterSet.alphanumerics.inverted)
            let letters = word.filter(\.isLetter)
            guard word.count >= 3, !letters.isEmpty else { continue }
            let hasDigit = word.contains(where: \.isNumber)
            let innerCapital = word.dropFirst().contains(where: \.isUppercase) && word.contains(where: \.isLowercase)
            let allCaps = letters.count >= 3 && letters.allSatisfy(\.isUppercase)
            if hasDigit || innerCapital || allCaps { result.append(word) }
        }
        return result
    }
}

func format(_ value: Double) -> String { String(format: "%.2f", value) }
