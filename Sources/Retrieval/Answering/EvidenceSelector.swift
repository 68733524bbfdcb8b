import Foundation
import Index

/// Scores how likely a continuation is after a context, with the generator (query likelihood).
/// `LocalGenerator` implements it; a generator without it leaves the feature at 0.
public protocol LikelihoodScoring: AnyObject {
    /// Mean log-probability per token of each `continuation` after its `context` (plain text, no chat template).
    func meanLogLikelihoods(_ pairs: [(context: String, continuation: String)]) throws -> [Double]
}

/// One candidate unit with its features and the score that placed it.
public struct ScoredUnit: Sendable {
    public var unit: EvidenceUnit
    public var features: EvidenceFeatures
    public var score: Double
}

/// The ranked evidence for one question, and what the refusal decision reads.
public struct EvidenceSelection: Sendable {
    public var question: QuestionAnalysis
    /// Best first.
    public var ranked: [ScoredUnit]
    /// Every candidate in split order, with its features (for the fit).
    public var candidates: [ScoredUnit]
    public var answerability: AnswerabilityFeatures
    /// P(answerable) from `EvidenceModel.answerability`.
    public var answerableProbability: Double
    /// The refusal threshold of the model that scored it.
    public var threshold: Double = 0
    /// The question's terms that no retrieved chunk holds.
    public var missingTerms: [String] = []
    /// Whether each candidate's query likelihood was computed.
    public var hasLikelihood: [Bool] = []
    public var seconds: Double

    public var best: ScoredUnit? { ranked.first }
}

/// Select evidence: cut the retrieved chunks into units, compute each unit's features, rank them with the fitted
/// model, and compute P(answerable) over the result.
public struct EvidenceSelector {
    public let embedder: TextEmbedder
    public let corpus: RetrievalCorpus
    public let likelihood: LikelihoodScoring?
    public var model: EvidenceModel
    /// Retrieved chunks whose units are candidates.
    public var chunks = 5

    public init(embedder: TextEmbedder, corpus: RetrievalCorpus, likelihood: LikelihoodScoring?, model: EvidenceModel = .fitted) {
        self.embedder = embedder
        self.corpus = corpus
        self.likelihood = likelihood
        self.model = model
    }

    /// The prompt of query likelihood: the passage, then the question the model should find likely.
    static func likelihoodContext(_ passage: String) -> String {
        "Passage: \(passage)\nPlease write a question based on this passage.\nQuestion:"
    }

    public func select(question text: String, questionVector: [Float], retrieved: [RetrievedChunk], bestChunkCosine: Double,
                       unknownName: Bool, likelihoodFor forced: Int? = nil) throws -> EvidenceSelection {
        let start = DispatchTime.now()
        let statistics = try corpus.termStatistics(Terms.of(text))
        let question = QuestionAnalysis(text: text) { term in
            guard statistics.frequencies[term] != nil, statistics.chunks > 0 else { return 1 }
            return max(0.1, statistics.inverseDocumentFrequency(of: term))
        }
        let questionTerms = Set(question.terms)
        let pool = Array(retrieved.prefix(chunks))
        let units = pool.enumerated().flatMap { rank, hit in
            EvidenceUnits.split(hit.chunk, rank: rank, score: hit.score, dense: hit.dense)
        }
        let vectors = units.isEmpty ? [] : try embedder.embed(units.map(\.text))
        var candidates = zip(units, vectors).map { unit, vector in
            ScoredUnit(unit: unit, features: EvidenceFeatures(unit: unit, question: question, questionTerms: questionTerms,
                                                              cosine: Self.cosine(questionVector, vector)), score: 0)
        }
        // Stage 2's feature: the generator's query likelihood for the stage-1 best units.
        let likelihoodCount = forced ?? model.likelihoodCandidates
        var hasLikelihood = Array(repeating: false, count: candidates.count)
        if let likelihood, likelihoodCount > 0, !candidates.isEmpty {
            let order = EvidenceFit.topIndices(candidates.map(\.features.vector), weights: model.rankerWeights, count: likelihoodCount)
            let pairs = [(context: Self.likelihoodContext(""), continuation: " " + text)]
                + order.map { (context: Self.likelihoodContext(candidates[$0].unit.text), continuation: " " + text) }
            let scores = try likelihood.meanLogLikelihoods(pairs)
            for (offset, index) in order.enumerated() {
                candidates[index].features.queryLikelihood = scores[offset + 1] - scores[0]
                hasLikelihood[index] = true
            }
        }
        let ranking = model.rank(candidates.map(\.features.vector))
        for entry in ranking { candidates[entry.index].score = entry.score }
        let ranked = ranking.map { candidates[$0.index] }
        let retrievedTerms = Set(pool.flatMap { Terms.of($0.textWithHeading + " " + $0.chunk.path) })
        let missingRare = question.rarestMissingShare(given: retrievedTerms)
        let answerability = ranked.isEmpty
            ? AnswerabilityFeatures(topScore: -10, topShare: 0, topOverlap: 0, topCosine: 0, bestChunkCosine: bestChunkCosine,
                                    retrievedOverlap: question.idfShare(of: retrievedTerms), missingRare: missingRare,
                                    unknownName: unknownName ? 1 : 0)
            : AnswerabilityFeatures(ranked: ranking, units: candidates.map(\.features.vector), bestChunkCosine: bestChunkCosine,
                                    retrievedOverlap: question.idfShare(of: retrievedTerms), missingRare: missingRare,
                                    unknownName: unknownName ? 1 : 0)
        var selection = EvidenceSelection(question: question, ranked: ranked, candidates: candidates, answerability: answerability,
                                          answerableProbability: model.answerability(answerability), hasLikelihood: [], seconds: 0)
        selection.hasLikelihood = hasLikelihood
        selection.threshold = model.refusalThreshold
        selection.missingTerms = question.terms.filter { !retrievedTerms.contains($0) }
        selection.seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return selection
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var dot: Float = 0
        for i in 0..<a.count { dot += a[i] * b[i] }
        return Double(dot)   // both unit length
    }
}

extension AnswerabilityFeatures {
    /// From a ranking (`EvidenceModel.rank`) of unit feature vectors.
    public init(ranked: [(index: Int, score: Double)], units: [[Double]], bestChunkCosine: Double, retrievedOverlap: Double,
                missingRare: Double, unknownName: Double) {
        let best = ranked[0]
        let top = ranked.map(\.score).max()!
        let total = ranked.reduce(0) { $0 + exp($1.score - top) }
        let vector = units[best.index]
        self.init(topScore: best.score, topShare: exp(best.score - top) / total,
                  topOverlap: vector[EvidenceFeatures.names.firstIndex(of: "context_overlap")!],
                  topCosine: vector[EvidenceFeatures.names.firstIndex(of: "cosine")!],
                  bestChunkCosine: bestChunkCosine, retrievedOverlap: retrievedOverlap, missingRare: missingRare,
                  unknownName: unknownName)
    }

    /// No candidate at all.
    static func empty(_ example: EvidenceExample) -> AnswerabilityFeatures {
        AnswerabilityFeatures(topScore: -10, topShare: 0, topOverlap: 0, topCosine: 0, bestChunkCosine: example.bestChunkCosine,
                              retrievedOverlap: example.retrievedOverlap, missingRare: example.missingRare,
                              unknownName: example.unknownName)
    }
}
