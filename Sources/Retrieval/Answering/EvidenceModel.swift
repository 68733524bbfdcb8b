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

    /// Fitted by `scripts/fit-evidence` on the dev split (four corpora; indexes with heading-path INT8 vectors and
    /// the reranked hybrid retrieval):
    /// 185 dev questions: 147 answerable (140 with the answer among the candidates, 97 ranked first), 38 unanswerable; at the threshold: 93 answered right, 25 refused right, 10 false refusals.
    /// features: cosine, overlap, context_overlap, chunk_cosine, chunk_rank, number_answer, novelty, length, span, query_likelihood; answerability: top_score, top_share, top_overlap, top_cosine, best_chunk_cosine, retrieved_overlap, missing_rare, unknown_name, bias
    public static let fitted = EvidenceModel(
        rankerWeights: [2.1222, 2.0556, 2.1009, 0.7636, 2.2153, 0.6325, -0.8770, 0.5794, 1.1120, 0.0000],
        rerankWeights: [2.1222, 2.0556, 2.1009, 0.7636, 2.2153, 0.6325, -0.8770, 0.5794, 1.1120, 0.0000],
        answerabilityWeights: [1.0847, -0.0896, 0.4736, 0.5213, 0.5091, 0.5794, -0.3573, -0.9697, -10.5881],
        refusalThreshold: 0.1288,
        likelihoodCandidates: 0)
}
