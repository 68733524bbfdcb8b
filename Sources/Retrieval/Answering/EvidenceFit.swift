import Foundation

/// One question's evidence as the fit sees it: every candidate unit's features and whether it holds an accepted
/// answer (in a gold file), plus the question-level signals.
public struct EvidenceExample: Sendable, Codable {
    public var id: String
    public var answerable: Bool
    public var units: [[Double]]
    public var labels: [Bool]
    /// Whether the generator's query likelihood was computed for each unit.
    public var hasLikelihood: [Bool]
    public var bestChunkCosine: Double
    public var retrievedOverlap: Double
    public var missingRare: Double
    public var unknownName: Double

    enum CodingKeys: String, CodingKey {
        case id, answerable, units, labels
        case hasLikelihood = "has_likelihood"
        case bestChunkCosine = "best_chunk_cosine"
        case retrievedOverlap = "retrieved_overlap"
        case unknownName = "unknown_name"
        case missingRare = "missing_rare"
    }

    public init(id: String, answerable: Bool, units: [[Double]], labels: [Bool], hasLikelihood: [Bool],
                bestChunkCosine: Double, retrievedOverlap: Double, missingRare: Double, unknownName: Double) {
        self.id = id
        self.answerable = answerable
        self.units = units
        self.labels = labels
        self.hasLikelihood = hasLikelihood
        self.bestChunkCosine = bestChunkCosine
        self.retrievedOverlap = retrievedOverlap
        self.missingRare = missingRare
        self.unknownName = unknownName
    }
}

/// Fits `EvidenceModel` from examples: a listwise softmax ranker (the probability mass on the units that hold
/// the answer is maximized, L2-regularized), then a logistic P(answerable) over the ranked evidence, then the
/// refusal threshold that maximizes balanced dev accuracy (answerable questions answered right, unanswerable
/// refused) while refusing at most 10 % of the answerable questions (a wrong quote still shows its source, which
/// the user can check; a false refusal hides an answer the documents hold).
/// Deterministic: full-batch gradient descent from zero weights.
public enum EvidenceFit {
    public struct Report: Sendable {
        public var model: EvidenceModel
        /// Answerable questions with a positive unit among the candidates / whose top unit is positive.
        public var reachable: Int
        public var topCorrect: Int
        public var answerable: Int
        public var unanswerable: Int
        /// At the chosen threshold: answerable answered right, unanswerable refused, answerable refused.
        public var answeredRight: Int
        public var refusedRight: Int
        public var falseRefusals: Int
    }

    public static func fit(_ examples: [EvidenceExample], likelihoodIndex: Int, likelihoodCandidates: Int,
                           maximumFalseRefusals: Double = 0.10, regularization: Double = 0.01,
                           iterations: Int = 3000) -> Report {
        let dimension = examples.first(where: { !$0.units.isEmpty })?.units[0].count ?? EvidenceFeatures.names.count
        // Stage 1: every unit, without the generator's likelihood.
        let mask1 = (0..<dimension).map { $0 != likelihoodIndex }
        let stage1 = fitRanker(examples.map { ($0.units, $0.labels) }, mask: mask1, regularization: regularization,
                               iterations: iterations)
        // Stage 2: the stage-1 best units that carry a likelihood, with it.
        var rerank = stage1
        if likelihoodCandidates > 0 {
            let lists = examples.map { example -> ([[Double]], [Bool]) in
                let top = topIndices(example.units, weights: stage1, count: likelihoodCandidates).filter { example.hasLikelihood[$0] }
                return (top.map { example.units[$0] }, top.map { example.labels[$0] })
            }
            rerank = fitRanker(lists, mask: Array(repeating: true, count: dimension), regularization: regularization,
                               iterations: iterations)
        }
        var model = EvidenceModel(rankerWeights: stage1, rerankWeights: rerank, answerabilityWeights: [],
                                  refusalThreshold: 0.5, likelihoodCandidates: likelihoodCandidates)
        // Answerability over the ranked evidence.
        var rows: [[Double]] = []
        var targets: [Bool] = []
        var topPositive: [Bool] = []
        var reachable = 0
        for example in examples {
            let ranked = model.rank(example.units)
            guard let best = ranked.first else {
                rows.append(AnswerabilityFeatures.empty(example).vector + [1])
                targets.append(example.answerable)
                topPositive.append(false)
                continue
            }
            if example.labels.contains(true) { reachable += 1 }
            let features = AnswerabilityFeatures(ranked: ranked, units: example.units, bestChunkCosine: example.bestChunkCosine,
                                                 retrievedOverlap: example.retrievedOverlap, missingRare: example.missingRare,
                                                 unknownName: example.unknownName)
            rows.append(features.vector + [1])
            targets.append(example.answerable)
            topPositive.append(example.labels[best.index])
        }
        model.answerabilityWeights = fitLogistic(rows, targets, regularization: regularization, iterations: iterations)
        let probabilities = rows.map { row in 1 / (1 + exp(-zip(model.answerabilityWeights, row).reduce(0) { $0 + $1.0 * $1.1 })) }
        // Threshold: the best balanced accuracy (share of answerable questions answered right + share of
        // unanswerable ones refused) over the observed probabilities, among thresholds that refuse at most
        // `maximumFalseRefusals` of the answerable questions; ties keep the lower threshold (fewer refusals).
        let answerableCount = max(1, examples.filter(\.answerable).count)
        let unanswerableCount = max(1, examples.filter { !$0.answerable }.count)
        var best = (threshold: 0.0, right: -1.0, answered: 0, refused: 0, falseRefusals: 0)
        for threshold in ([0.0] + probabilities.sorted()) {
            var answered = 0, refused = 0, falseRefusals = 0
            for (index, p) in probabilities.enumerated() {
                let refuses = p < threshold
                if examples[index].answerable {
                    if refuses { falseRefusals += 1 } else if topPositive[index] { answered += 1 }
                } else if refuses {
                    refused += 1
                }
            }
            if Double(falseRefusals) > maximumFalseRefusals * Double(answerableCount) { continue }
            let balanced = Double(answered) / Double(answerableCount) + Double(refused) / Double(unanswerableCount)
            if balanced > best.right + 1e-12 {
                best = (threshold, balanced, answered, refused, falseRefusals)
            }
        }
        model.refusalThreshold = best.threshold
        return Report(model: model, reachable: reachable, topCorrect: topPositive.filter { $0 }.count,
                      answerable: examples.filter(\.answerable).count, unanswerable: examples.filter { !$0.answerable }.count,
                      answeredRight: best.answered, refusedRight: best.refused, falseRefusals: best.falseRefusals)
    }

    static func topIndices(_ units: [[Double]], weights: [Double], count: Int) -> [Int] {
        let scores = units.map { zip(weights, $0).reduce(0) { $0 + $1.0 * $1.1 } }
        return Array(scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(count))
    }

    /// Listwise softmax ranker: minimizes −log Σ_pos softmax(w·f) per list with a positive, + λ‖w‖².
    static func fitRanker(_ lists: [([[Double]], [Bool])], mask: [Bool], regularization: Double, iterations: Int) -> [Double] {
        let usable = lists.filter { $0.1.contains(true) && $0.1.contains(false) }
        let dimension = mask.count
        var weights = Array(repeating: 0.0, count: dimension)
        guard !usable.isEmpty else { return weights }
        let rate = 0.5
        for _ in 0..<iterations {
            var gradient = Array(repeating: 0.0, count: dimension)
            for (units, labels) in usable {
                let scores = units.map { zip(weights, $0).reduce(0) { $0 + $1.0 * $1.1 } }
                let top = scores.max()!
                let exps = scores.map { exp($0 - top) }
                let total = exps.reduce(0, +)
                let positive = zip(exps, labels).filter(\.1).reduce(0) { $0 + $1.0 }
                for (index, unit) in units.enumerated() {
                    // d(−log P_pos)/ds_i = p_i − q_i (q: the softmax restricted to positives).
                    let coefficient = exps[index] / total - (labels[index] ? exps[index] / positive : 0)
                    for d in 0..<dimension where mask[d] { gradient[d] += coefficient * unit[d] }
                }
            }
            for d in 0..<dimension where mask[d] {
                weights[d] -= rate * (gradient[d] / Double(usable.count) + 2 * regularization * weights[d])
            }
        }
        return weights
    }

    /// Logistic regression (last column the bias, not regularized).
    static func fitLogistic(_ rows: [[Double]], _ targets: [Bool], regularization: Double, iterations: Int) -> [Double] {
        guard let dimension = rows.first?.count else { return [] }
        var weights = Array(repeating: 0.0, count: dimension)
        let rate = 0.5
        for _ in 0..<iterations {
            var gradient = Array(repeating: 0.0, count: dimension)
            for (row, target) in zip(rows, targets) {
                let p = 1 / (1 + exp(-zip(weights, row).reduce(0) { $0 + $1.0 * $1.1 }))
                let error = p - (target ? 1 : 0)
                for d in 0..<dimension { gradient[d] += error * row[d] }
            }
            for d in 0..<dimension {
                let penalty = d == dimension - 1 ? 0 : 2 * regularization * weights[d]
                weights[d] -= rate * (gradient[d] / Double(rows.count) + penalty)
            }
        }
        return weights
    }
}
