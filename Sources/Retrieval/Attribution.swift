import Foundation

/// Finds which sources support an answer that cites none: small models often answer correctly
/// but forget the `[n]` markers. Each answer sentence is matched to the source sharing the most of its
/// content words and numbers; a source counts as supporting when a sentence shares a number with it,
/// or at least `minimumSharedWords` content words.
public enum Attribution {
    public static let minimumSharedWords = 3

    public static func supportingSources(of answer: String, among sources: [ContextSource]) -> [Int] {
        let sourceTerms = sources.map { (number: $0.number, terms: Set(LexicalQuery.terms(in: $0.text))) }
        var supporting: [Int] = []
        for sentence in EvidenceCompressor.sentences(of: answer, minimumLength: 1) {
            let terms = Set(LexicalQuery.terms(in: sentence))
            guard !terms.isEmpty else { continue }
            var best: (number: Int, score: Int)?
            for source in sourceTerms {
                let shared = terms.intersection(source.terms)
                let numbers = shared.filter { $0.unicodeScalars.contains { CharacterSet.decimalDigits.contains($0) } }.count
                let supported = numbers > 0 || shared.count >= minimumSharedWords
                let score = shared.count + 2 * numbers
                if supported, score > (best?.score ?? 0) { best = (source.number, score) }
            }
            if let best, !supporting.contains(best.number) { supporting.append(best.number) }
        }
        return supporting
    }
}
