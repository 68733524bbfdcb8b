import Foundation

/// What the rag route does with the selected evidence: the one place an answer is refused.
public enum AnswerVerdict: Sendable {
    /// "The documents don't say.", with the reason.
    case refuse(reason: String)
    /// The best unit, quoted with its citation.
    case quote(ScoredUnit)
    /// The generator's short answer, shown because `FaithfulnessCheck` found it in the unit it cites.
    case state(claim: String, unit: ScoredUnit)

    /// Refuse when there is no candidate or P(answerable) is below the fitted threshold; otherwise quote the best unit.
    public static func decide(_ selection: EvidenceSelection, model: EvidenceModel) -> AnswerVerdict {
        guard let best = selection.best else { return .refuse(reason: "no retrieved passage holds a sentence to answer from") }
        let p = selection.answerableProbability
        if p < model.refusalThreshold {
            return .refuse(reason: String(format: "P(answerable) %.2f < %.2f", p, model.refusalThreshold))
        }
        return .quote(best)
    }

    /// The unit the answer rests on (nil for a refusal).
    public var unit: ScoredUnit? {
        switch self {
        case .refuse: return nil
        case .quote(let unit), .state(_, let unit): return unit
        }
    }

    public var isRefusal: Bool {
        if case .refuse = self { return true }
        return false
    }
}
