import Foundation

/// The features of one evidence unit for one question, each from a model we ship or from the index's
/// statistics (no word lists beyond the stop words). Names and order are `EvidenceFeatures.names`.
public struct EvidenceFeatures: Sendable, Codable, Equatable {
    /// MiniLM cosine between the question and the unit.
    public var cosine: Double
    /// IDF-weighted share of the question's terms the unit holds.
    public var overlap: Double
    /// The same share over the unit's context: its heading path, its file name and the unit before it.
    public var contextOverlap: Double
    /// MiniLM cosine between the question and the unit's whole chunk (from retrieval).
    public var chunkCosine: Double
    /// 1 / (1 + the chunk's retrieval rank).
    public var chunkRank: Double
    /// The question asks for a number and the unit states one the question does not.
    public var numberAnswer: Double
    /// Share of the unit's terms that are not in the question: what it adds.
    public var novelty: Double
    /// log(1 + words of the unit).
    public var length: Double
    /// Sentences the unit joins beyond the first (`EvidenceUnit.span` − 1).
    public var span: Double
    /// The generator's mean log-likelihood of the question given the unit, minus that given no passage
    /// (query likelihood, Sachan et al. 2022); 0 when not computed.
    public var queryLikelihood: Double

    public static let names = ["cosine", "overlap", "context_overlap", "chunk_cosine", "chunk_rank", "number_answer",
                               "novelty", "length", "span", "query_likelihood"]

    public var vector: [Double] {
        [cosine, overlap, contextOverlap, chunkCosine, chunkRank, numberAnswer, novelty, length, span, queryLikelihood]
    }

    public init(unit: EvidenceUnit, question: QuestionAnalysis, questionTerms: Set<String>, cosine: Double) {
        let unitTerms = Terms.of(unit.text)
        let unitSet = Set(unitTerms)
        self.cosine = cosine
        overlap = question.idfShare(of: unitSet)
        let fileName = (unit.path as NSString).lastPathComponent
        contextOverlap = question.idfShare(of: Set(Terms.of(unit.heading + " " + fileName + " " + unit.previous)).union(unitSet))
        chunkCosine = unit.chunkDense
        chunkRank = 1 / (1 + Double(unit.chunkRank))
        let newNumber = unitTerms.contains { Terms.isNumber($0) && !questionTerms.contains($0) }
        numberAnswer = question.expectsNumber && newNumber ? 1 : 0
        novelty = unitTerms.isEmpty ? 0 : Double(unitTerms.filter { !questionTerms.contains($0) }.count) / Double(unitTerms.count)
        length = log(1 + Double(unit.text.split(separator: " ").count))
        span = Double(unit.span - 1)
        queryLikelihood = 0
    }
}

/// The question-level signals the refusal decision reads, from the ranked evidence.
public struct AnswerabilityFeatures: Sendable, Codable, Equatable {
    /// The ranker's score of the best unit (a logit).
    public var topScore: Double
    /// The ranker's softmax probability of the best unit among the candidates.
    public var topShare: Double
    /// IDF-weighted share of the question's terms the best unit (with its context) holds.
    public var topOverlap: Double
    /// MiniLM cosine of the best unit.
    public var topCosine: Double
    /// Best cosine between the question and any chunk of the index.
    public var bestChunkCosine: Double
    /// IDF-weighted share of the question's terms that any retrieved chunk holds.
    public var retrievedOverlap: Double
    /// The IDF of the rarest question term that no retrieved chunk holds, over the IDF of the question's rarest
    /// term (0 when the chunks hold every term): the specific thing asked about is missing.
    public var missingRare: Double
    /// 1 when the question names something (a name-like word: "MI300X", "LoRA") that no chunk of the index contains.
    public var unknownName: Double

    public static let names = ["top_score", "top_share", "top_overlap", "top_cosine", "best_chunk_cosine",
                               "retrieved_overlap", "missing_rare", "unknown_name"]

    public var vector: [Double] {
        [topScore, topShare, topOverlap, topCosine, bestChunkCosine, retrievedOverlap, missingRare, unknownName]
    }
}
