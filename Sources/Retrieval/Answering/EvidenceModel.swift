import Foundation

/// The fitted weights of evidence selection and of the refusal decision: the one place they live.
///
/// Fitted on the dev split of `eval/answers/*.jsonl` only (the test split is never read by the fit):
///
///     scripts/fit-evidence
///
/// which dumps the dev features of each corpus (`rag eval answers … --split dev --features`) and runs
/// `rag eval fit-evidence` on them; that prints the values below. The fit is deterministic (full-batch gradient
/// descent from zero weights), so the same features give the same weights.
public struct EvidenceModel: Sendable, Codable, Equatable {
    /// Stage-1 ranker over `EvidenceFeatures.vector` (its query-likelihood weight is 0): score = w · f.
    public var rankerWeights: [Double]
    /// Stage-2 ranker over the same features, query likelihood included, for the `likelihoodCandidates` best units.
    public var rerankWeights: [Double]
    /// Logistic model over `AnswerabilityFeatures.vector` + a bias (last weight): P(answerable).
    public var answerabilityWeights: [Double]
    /// Below this P(answerable) the answer is "The documents don't say.".
    public var refusalThreshold: Double
    /// Units whose query likelihood the generator computes (0: no stage 2).
    public var likelihoodCandidates: Int

    public init(rankerWeights: [Double], rerankWeights: [Double], answerabilityWeights: [Double], refusalThreshold: Double,
                likelihoodCandidates: Int) {
        self.rankerWeights = rankerWeights
        self.rerankWeights = rerankWeights
        self.answerabilityWeights = answerabilityWeights
        self.refusalThreshold = refusalThreshold
        self.likelihoodCandidates = likelihoodCandidates
    }

    /// Units ranked best first: stage 1 over all, then the first `likelihoodCandidates` re-ordered by stage 2
    /// (when their features carry a query likelihood). `score` is the stage that placed the unit.
    public func rank(_ units: [[Double]]) -> [(index: Int, score: Double)] {
        let first = units.indices.map { ($0, dot(rankerWeights, units[$0])) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        guard likelihoodCandidates > 0 else { return first.map { (index: $0.0, score: $0.1) } }
        let head = first.prefix(likelihoodCandidates).map { ($0.0, dot(rerankWeights, units[$0.0])) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return (head + first.dropFirst(likelihoodCandidates)).map { (index: $0.0, score: $0.1) }
    }

    public func answerability(_ features: AnswerabilityFeatures) -> Double {
        1 / (1 + exp(-dot(answerabilityWeights, features.vector + [1])))
    }

    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Fitted by `scripts/fit-evidence` on the dev split (186 questions over four corpora):
    /// 186 dev questions: 148 answerable (138 with the answer among the candidates, 94 ranked first), 38 unanswerable; at the threshold: 89 answered right, 23 refused right, 14 false refusals.
    /// features: cosine, overlap, context_overlap, chunk_cosine, chunk_rank, number_answer, novelty, length, span, query_likelihood; answerability: top_score, top_share, top_overlap, top_cosine, best_chunk_cosine, retrieved_overlap, missing_rare, unknown_name, bias
    public static let fitted = EvidenceModel(
        rankerWeights: [2.0160, 2.5112, 2.6510, 0.3678, 1.3959, 0.5354, -0.8376, 0.6341, 1.1225, 0.0000],
        rerankWeights: [2.0160, 2.5112, 2.6510, 0.3678, 1.3959, 0.5354, -0.8376, 0.6341, 1.1225, 0.0000],
        answerabilityWeights: [0.9804, -0.1570, 0.3755, 0.4906, 0.5718, 0.3665, 0.5938, -0.8172, -8.0301],
        refusalThreshold: 0.5019,
        likelihoodCandidates: 0)
}
