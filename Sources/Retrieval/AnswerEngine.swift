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
    /// Units whose query likelihood is computed (nil: the fitted model's number; 0: none).
    public var likelihoodCandidates: Int?

    public init() {}
}

/// Knobs of answering; defaults chosen by measurement (benchmarks/retrieval.md).
public struct AnswerSettings: Sendable {
    /// Longest question kept, in generator tokens (longer ones are cut, with a notice).
    public var maxQuestionTokens = 256
    public var router = RouterSettings()
    public var longContext = LongContextSettings()
    /// Word budget of a document summary (the `document` route when the question asks for a summary).
    public var summaryWords = 200
    /// Let the generator state the answer in one sentence from the chosen unit (shown only when faithful to it).
    public var shortAnswers = false
    /// The fitted evidence ranker and refusal decision.
    public var evidenceModel = EvidenceModel.fitted

    public init() {}
}

public struct AskTimings: Sendable, Codable {
    public var embedMs: Double = 0
    public var retrievalMs: Double = 0
    public var prefillMs: Double = 0
    public var decodeMs: Double = 0
    public var firstTokenMs: Double?
    /// Evidence selection (unit features, embeddings of the units, query likelihood).
    public var selectionMs: Double = 0
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
    /// The ranked evidence and P(answerable) (rag route).
    public var evidence: EvidenceSelection?
    /// The decision taken on the evidence (rag route).
    public var verdict: AnswerVerdict?
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

    /// Answers `rawQuestion` in named stages: prepare the question → retrieve → route → select evidence →
    /// decide (answer or refuse) → state and cite. `searchQueries`, when given, are the phrasings retrieval fuses
    /// instead of searching with the question alone (a chat follow-up with and without its context). `progress`
    /// receives notices while working (map-reduce steps); `onText` receives the answer text and returns false to
    /// stop it. `focus` (a chat follow-up that picked an item out of the user's list) leaves out retrieved passages that
    /// name another item of the list when one names the item alone; `history` and `summary` reach the prompt of the
    /// reading routes (`document`, `long`).
    public func ask(_ rawQuestion: String, options: AskOptions, history: [PromptMessage] = [], summary: String? = nil,
                    searchQueries: [WeightedQuery] = [], focus: ReferentFocus? = nil,
                    progress: (String) -> Void = { _ in }, onText: (String) -> Bool = { _ in true }) throws -> AskResult {
        let (question, notices) = try prepare(rawQuestion, budget: options.budget)
        var retrieval = try retrieve(question, k: options.k, searchQueries: searchQueries)
        // A chat follow-up that picked one item of a list keeps the evidence on that item.
        if let focus { retrieval.chunks = focus.focused(retrieval.chunks) }
        let timings = AskTimings(embedMs: retrieval.embedSeconds * 1000, retrievalMs: retrieval.searchSeconds * 1000)
        let decision = Router(settings: settings.router).decide(question: question, forced: options.route,
                                                                requestedDocument: options.document,
                                                                retrieval: retrieval, documents: try indexedDocuments())
        var result = AskResult(question: question, answer: "", sources: [], cited: [], route: decision.route.rawValue,
                               routeReason: decision.reason, bestEvidence: retrieval.bestDenseScore, timings: timings,
                               promptTokens: 0, generatedTokens: 0, notices: notices, prompt: [])
        switch decision.route {
        case .rag:
            try answerFromEvidence(question, retrieval: retrieval, options: options, into: &result)
            _ = onText(result.answer)
            return result
        case .document where decision.asksForSummary:
            try answerBySummary(decision.documents, into: &result)
            _ = onText(result.answer)
            return result
        case .document, .long:
            return try answerByReading(question, retrieval: retrieval, decision: decision, options: options, history: history,
                                       summary: summary, result: result, progress: progress, onText: onText)
        }
    }

    /// Stage 1: the question trimmed, and cut to `maxQuestionTokens` with a notice.
    func prepare(_ rawQuestion: String, budget: Int) throws -> (String, [String]) {
        var question = rawQuestion.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else { throw RetrievalError.emptyQuery }
        let questionLimit = min(settings.maxQuestionTokens, max(16, budget / 2))
        guard generator.countTokens(question) > questionLimit else { return (question, []) }
        question = truncate(question, toTokens: questionLimit, countTokens: generator.countTokens)
        return (question, ["the question is longer than \(questionLimit) tokens; only its beginning was used"])
    }

    /// Stage 2: hybrid retrieval with the question, or with the given phrasings fused.
    func retrieve(_ question: String, k: Int, searchQueries: [WeightedQuery]) throws -> RetrievalResult {
        if searchQueries.isEmpty { return try retriever.search(question, k: k, mode: .hybrid) }
        var retrieval = try retriever.search(searchQueries, k: k)
        if searchQueries[0].text != question { retrieval.queryVector = try retriever.embedder.embed([question])[0] }
        return retrieval
    }

    /// Stages 3–5 on the rag route: select the evidence unit, decide whether it answers, quote it with its citation.
    func answerFromEvidence(_ question: String, retrieval: RetrievalResult, options: AskOptions,
                            into result: inout AskResult) throws {
        let selector = EvidenceSelector(embedder: retriever.embedder, corpus: retriever.corpus,
                                        likelihood: generator as? LikelihoodScoring, model: settings.evidenceModel)
        let selection = try selector.select(question: question, questionVector: retrieval.queryVector,
                                            retrieved: retrieval.chunks, bestChunkCosine: retrieval.bestDenseScore,
                                            unknownName: try unknownNames(in: question) != nil,
                                            likelihoodFor: options.generate ? options.likelihoodCandidates : 0)
        result.evidence = selection
        result.timings.selectionMs = selection.seconds * 1000
        var verdict = AnswerVerdict.decide(selection, model: settings.evidenceModel)
        if case .quote(let unit) = verdict, settings.shortAnswers, options.generate {
            let claim = try shortAnswer(question, from: unit, options: options, into: &result)
            if let claim { verdict = .state(claim: claim, unit: unit) }
        }
        result.verdict = verdict
        switch verdict {
        case .refuse(let reason):
            result.answer = GroundedPrompt.noAnswer
            result.origin = .refusal
            result.routeReason = reason
        case .quote(let unit), .state(_, let unit):
            result.sources = [ContextSource(number: 1, path: unit.unit.path, rootPath: unit.unit.chunk.rootPath,
                                            heading: unit.unit.heading, startLine: unit.unit.startLine,
                                            endLine: unit.unit.endLine, text: unit.unit.text, score: unit.score,
                                            chunkIds: [unit.unit.chunk.id], documentId: unit.unit.chunk.documentId,
                                            pageStart: unit.unit.chunk.pageStart, pageEnd: unit.unit.chunk.pageEnd)]
            result.cited = [1]
            if case .state(let claim, _) = verdict {
                result.answer = claim + " [1]"
                result.origin = .model
            } else {
                result.answer = unit.unit.text + " [1]"
                result.origin = .extractive
            }
        }
    }

    /// The generator's one-sentence answer from the unit alone, if `FaithfulnessCheck` passes it; the first
    /// failure otherwise goes to `result.unsupportedSentence`.
    func shortAnswer(_ question: String, from unit: ScoredUnit, options: AskOptions, into result: inout AskResult) throws -> String? {
        var generation = options.generation
        generation.maxTokens = min(generation.maxTokens, 48)
        let messages = ShortAnswerPrompt.messages(question: question, evidence: unit.unit.text)
        var splitter = SentenceSplitter()
        var first: String?
        let outcome = try generator.generate(messages, options: generation) { piece in
            if first == nil { first = splitter.feed(piece).first }
            return first == nil
        }
        result.timings.prefillMs += outcome.prefillSeconds * 1000
        result.timings.decodeMs += outcome.decodeSeconds * 1000
        result.promptTokens = outcome.promptTokens
        result.generatedTokens = outcome.generatedTokens
        let claim = (first ?? splitter.finish() ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let failure = FaithfulnessCheck().failure(claim: claim, unit: unit.unit.text, question: question) {
            result.unsupportedSentence = claim.isEmpty ? nil : claim
            result.notices.append("the model's short answer was not used: \(failure)")
            return nil
        }
        return claim
    }

    /// A question about a whole document: its extractive summary (sentences of the document, each cited).
    func answerBySummary(_ documents: [DocumentRef], into result: inout AskResult) throws {
        guard let document = documents.first else { throw RetrievalError.emptyIndex }
        let chunks = try retriever.corpus.documentChunks(documentId: document.id)
        let summary = try ExtractiveSummarizer(embedder: retriever.embedder).summarize(chunks: chunks, words: settings.summaryWords)
        guard !summary.sentences.isEmpty else {
            result.answer = "\(document.path) holds no text to summarize."
            result.origin = .refusal
            return
        }
        var sources: [ContextSource] = []
        var answer: [String] = []
        for sentence in summary.sentences {
            sources.append(ContextSource(number: sources.count + 1, path: sentence.path, rootPath: document.rootPath,
                                         heading: sentence.heading, startLine: sentence.startLine, endLine: sentence.endLine,
                                         text: sentence.text, score: 1, chunkIds: [], documentId: document.id))
            answer.append(CitationMarkers.appending([sources.count], to: sentence.text))
        }
        result.sources = sources
        result.cited = sources.map(\.number)
        result.answer = answer.joined(separator: " ")
        result.origin = .extractive
        result.notices.append(String(format: "extractive summary: %d sentences of the document, %d words", summary.sentences.count,
                                     summary.words))
    }

    /// The reading routes: the whole document(s) in the prompt, the model's answer checked sentence by sentence.
    func answerByReading(_ question: String, retrieval: RetrievalResult, decision: RouteDecision, options: AskOptions,
                         history: [PromptMessage], summary: String?, result initial: AskResult,
                         progress: (String) -> Void, onText: (String) -> Bool) throws -> AskResult {
        var result = initial
        var timings = result.timings
        guard !decision.documents.isEmpty else { throw RetrievalError.emptyIndex }
        let reader = LongContextReader(corpus: retriever.corpus, generator: generator, settings: settings.longContext)
        let read = try reader.sources(for: question, documents: decision.documents, generation: options.generation,
                                      progress: progress)
        let context = read.context
        let mapTokens = read.generated
        if read.summarized {
            result.notices.append("the documents exceed \(settings.longContext.budget) tokens: answered from section summaries")
        }
        let messages = GroundedPrompt.messages(question: question, context: context, history: history, summary: summary)
        result.sources = context.sources
        result.prompt = messages
        guard options.generate else { return result }

        var verified = VerifiedStream(sources: context.sources, question: question)
        var userStopped = false
        let outcome = try generator.generate(messages, options: options.generation) { piece in
            let shown = verified.feed(piece)
            if !shown.isEmpty, !onText(shown) { userStopped = true }
            return !userStopped && !verified.stopped
        }
        if !userStopped {
            let tail = verified.finish()
            if !tail.isEmpty { _ = onText(tail) }
        }
        timings.prefillMs = outcome.prefillSeconds * 1000
        timings.decodeMs = outcome.decodeSeconds * 1000
        timings.firstTokenMs = outcome.firstTokenSeconds.map { $0 * 1000 + timings.embedMs + timings.retrievalMs }
        result.timings = timings
        result.promptTokens = outcome.promptTokens
        result.generatedTokens = outcome.generatedTokens + mapTokens
        result.answer = verified.shown
        result.unsupportedSentence = verified.unsupported
        if verified.unsupported != nil { result.origin = .modelCut }
        if result.answer.isEmpty, !userStopped {
            // Nothing the model wrote is in the documents: answer from the evidence instead (quote or refusal).
            result.notices.append("the model's reading of the documents was not supported by them; answering from the evidence")
            try answerFromEvidence(question, retrieval: retrieval, options: options, into: &result)
            _ = onText(result.answer)
            return result
        }
        result.cited = Citations.numbers(in: result.answer, sourceCount: context.sources.count)
        return result
    }
}

extension AnswerEngine {
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
