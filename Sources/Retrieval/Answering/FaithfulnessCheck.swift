import Foundation

/// Whether a generated sentence says what its evidence unit says, at the span level: not the same words
/// somewhere in a passage, but the unit's own words in the unit's own relations.
///
/// A claim passes when
/// 1. every content term of the claim is a term of the unit or of the question (restating the question is
///    allowed; anything new must come from the unit), and at least one term comes from the unit alone;
/// 2. every number of the claim is a number of the unit, next to the same words: a term beside the number in
///    the claim (before or after it) stands within `numberWindow` terms of that number in the unit, and no
///    other number of the unit stands closer to it (a number from a neighbouring clause fails);
/// 3. the claim's terms from the unit form a chain in it: each stands within `chainWindow` terms of the one before
///    (terms of the question alone are skipped), so words from two clauses of the unit are not joined into a
///    relation the unit does not state;
/// 4. the claim negates exactly when the unit does ("not", "no", "never", "n't", "cannot", "without").
public struct FaithfulnessCheck: Sendable {
    public var numberWindow = 3
    public var chainWindow = 5

    public init() {}

    public enum Failure: Equatable, Sendable, CustomStringConvertible {
        case empty
        case newTerm(String)
        case nothingFromTheUnit
        case number(String)
        case chain(String, String)
        case negation

        public var description: String {
            switch self {
            case .empty: return "the claim is empty"
            case .newTerm(let term): return "\"\(term)\" is not in the evidence"
            case .nothingFromTheUnit: return "the claim only restates the question"
            case .number(let number): return "\(number) is not in the evidence in the same place"
            case .chain(let a, let b): return "\"\(a)\" and \"\(b)\" are not near each other in the evidence"
            case .negation: return "the claim and the evidence differ in negation"
            }
        }
    }

    /// nil when `claim` is faithful to `unit`; otherwise the first failure.
    public func failure(claim: String, unit: String, question: String) -> Failure? {
        let claimTerms = Terms.of(claim)
        guard !claimTerms.isEmpty else { return .empty }
        let unitTerms = Terms.of(unit)
        let unitSet = Set(unitTerms)
        let questionSet = Set(Terms.of(question))
        if let new = claimTerms.first(where: { !unitSet.contains($0) && !questionSet.contains($0) }) { return .newTerm(new) }
        if !claimTerms.contains(where: { unitSet.contains($0) && !questionSet.contains($0) }) { return .nothingFromTheUnit }
        for (index, term) in claimTerms.enumerated() where Terms.isNumber(term) {
            let neighbours = [index > 0 ? claimTerms[index - 1] : nil, index + 1 < claimTerms.count ? claimTerms[index + 1] : nil]
                .compactMap { $0 }.filter { !Terms.isNumber($0) }
            if neighbours.isEmpty { continue }   // a bare number ("4096.") is checked by rule 1 alone
            let anchored = unitTerms.indices.filter { unitTerms[$0] == term }.contains { position in
                neighbours.contains { neighbour in
                    unitTerms.indices.contains { other in
                        guard unitTerms[other] == neighbour, abs(other - position) <= numberWindow else { return false }
                        // No other number of the unit between the neighbour and this number.
                        let between = unitTerms[min(other, position)...max(other, position)].dropFirst().dropLast()
                        return !between.contains { Terms.isNumber($0) && $0 != term }
                    }
                }
            }
            if !anchored { return .number(term) }
        }
        let chained = claimTerms.filter { unitSet.contains($0) && !questionSet.contains($0) || Terms.isNumber($0) }
        for (a, b) in zip(chained, chained.dropFirst()) where a != b {
            let near = unitTerms.indices.contains { i in
                unitTerms[i] == a && unitTerms.indices.contains { j in unitTerms[j] == b && abs(i - j) <= chainWindow }
            }
            if !near { return .chain(a, b) }
        }
        if Self.negates(claim) != Self.negates(unit) { return .negation }
        return nil
    }

    static func negates(_ text: String) -> Bool {
        let words = Terms.words(text.replacingOccurrences(of: "’", with: "'"))
        let lowered = text.lowercased()
        return words.contains { ["not", "no", "never", "cannot", "without", "neither", "nor"].contains($0) }
            || lowered.contains("n't")
    }
}
