import Foundation

/// How well the sources support one answer sentence.
public struct SentenceSupport: Sendable, Equatable {
    /// Numbers of the sources that support the sentence, best first (empty when none does).
    public var sources: [Int]
    /// Share of the sentence's words and numbers found in its best source (0…1).
    public var bestShare: Double
    /// Numbers the sentence states that neither the sources nor the question contain.
    public var strayNumbers: [String]
    /// The sentence says something beyond the question's own words.
    public var informative: Bool
    /// The sentence has no word or number to check ("1.", "Sure!").
    public var isEmpty: Bool
    /// The sentence states a number the question does not, and not only a year unless the question asks for a date
    /// (`AnsweringNumbers`): "Quest (Tang et al., 2024) …" does not say how much memory something saves.
    public var statesNumber = false

    /// Supported by a source and stating no number the sources lack.
    public var grounded: Bool { !sources.isEmpty && strayNumbers.isEmpty }
}

/// Measures how well each source supports an answer sentence, by the words and numbers they share
/// (`SupportTerms`). Only what the sentence adds to the question is checked: the question's own words are given,
/// not claimed. A source supports a sentence when it holds at least `threshold` of those added terms (numbers
/// count twice: they are what a small model gets wrong), at least `minimumShared` of them, and — when the
/// sentence states numbers — at least one of those numbers.
public struct SupportScorer: Sendable {
    /// Chosen by measurement on the answer sets (benchmarks/retrieval.md, "Answers").
    public static let defaultThreshold = 0.5
    public var threshold: Double
    public var minimumShared = 2
    let sources: [(number: Int, terms: SupportTerms)]
    let question: SupportTerms
    let sourceNumbers: Set<String>
    let sourceQuantities: Set<String>
    let sourceUnits: Set<String>
    let answering: AnsweringNumbers

    public init(sources: [ContextSource], question: String, threshold: Double = SupportScorer.defaultThreshold) {
        self.sources = sources.map { ($0.number, SupportTerms($0.heading + "\n" + $0.text)) }
        self.question = SupportTerms(question)
        answering = AnsweringNumbers(question: question, sources: sources.map(\.text).joined(separator: "\n"))
        self.threshold = threshold
        let all = self.sources.map(\.terms)
        sourceNumbers = all.reduce(into: Set<String>()) { $0.formUnion($1.numbers) }
        sourceQuantities = all.reduce(into: Set<String>()) { $0.formUnion($1.quantities) }
        sourceUnits = all.reduce(into: Set<String>()) { $0.formUnion($1.units) }
    }

    public func support(of sentence: String) -> SentenceSupport {
        let unmarked = CitationMarkers.removingAll(from: sentence)
        let terms = SupportTerms(unmarked)
        guard !terms.isEmpty else {
            return SentenceSupport(sources: [], bestShare: 0, strayNumbers: [], informative: false, isEmpty: true)
        }
        // A number no source states, or a quantity the sources state with another number ("2 GB" where they say "14 GB").
        let strayNumbers = terms.numbers.subtracting(sourceNumbers).subtracting(question.numbers)
        let strayQuantities = terms.quantities.subtracting(sourceQuantities).subtracting(question.quantities).filter { quantity in
            quantity.split(separator: " ").last.map { sourceUnits.contains(String($0)) } ?? false
        }
        let stray = strayNumbers.union(strayQuantities).sorted()
        let addedWords = terms.words.subtracting(question.words)
        let addedNumbers = terms.numbers.subtracting(question.numbers)
        let added = addedWords.count + addedNumbers.count
        guard added > 0 else {
            return SentenceSupport(sources: [], bestShare: 0, strayNumbers: stray, informative: false, isEmpty: false)
        }
        let total = Double(addedWords.count + 2 * addedNumbers.count)
        var scored: [(number: Int, share: Double)] = []
        var bestShare = 0.0
        for source in sources {
            let sharedWords = addedWords.intersection(source.terms.words).count
            let sharedNumbers = addedNumbers.intersection(source.terms.numbers).count
            let share = Double(sharedWords + 2 * sharedNumbers) / total
            bestShare = max(bestShare, share)
            let enough = sharedWords + sharedNumbers >= min(minimumShared, added)
            let numbersBacked = addedNumbers.isEmpty || sharedNumbers > 0
            if share >= threshold, enough, numbersBacked { scored.append((source.number, share)) }
        }
        let best = scored.map(\.share).max() ?? 0
        // Several sources are cited only when they support the sentence equally well.
        let citing = scored.filter { $0.share >= best - 1e-9 }.map(\.number)
        return SentenceSupport(sources: citing, bestShare: bestShare, strayNumbers: stray, informative: true, isEmpty: false,
                               statesNumber: !answering.numbers(in: unmarked).isEmpty)
    }
}
