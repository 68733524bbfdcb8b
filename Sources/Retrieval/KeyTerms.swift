import Foundation

/// Acronyms the passages define, "grouped-query attention (GQA)" → "gqa": ["grouped", "query", "attention"], so that
/// a text naming either form is taken to name both.
public struct Acronyms: Sendable, Equatable {
    /// Lowercased acronym → the words of its phrase (as `SupportTerms` normalizes them).
    public let phrases: [String: Set<String>]

    public init(definedIn texts: [String]) {
        var phrases: [String: Set<String>] = [:]
        for text in texts {
            for (acronym, phrase) in Self.definitions(in: text) { phrases[acronym] = phrase }
        }
        self.phrases = phrases
    }

    /// `terms` with the acronyms of the phrases they hold and the phrases of the acronyms they hold.
    public func expanding(_ terms: Set<String>) -> Set<String> {
        var expanded = terms
        for (acronym, phrase) in phrases {
            if terms.contains(acronym) { expanded.formUnion(phrase) }
            if phrase.isSubset(of: terms) { expanded.insert(acronym) }
        }
        return expanded
    }

    /// "Grouped-query attention (GQA)", "Rotary Position Embedding (RoPE)": a parenthesized word of two to six
    /// letters whose capitals (or, when it has fewer than two, letters) are the initials of the words before it.
    static func definitions(in text: String) -> [(String, Set<String>)] {
        var found: [(String, Set<String>)] = []
        var searchStart = text.startIndex
        while let open = text[searchStart...].firstIndex(of: "("),
              let close = text[open...].firstIndex(of: ")") {
            searchStart = text.index(after: open)
            let candidate = String(text[text.index(after: open)..<close])
            guard (2...6).contains(candidate.count), candidate.allSatisfy(\.isLetter),
                  candidate.first!.isUppercase else { continue }
            let capitals = candidate.filter(\.isUppercase)
            let initials = (capitals.count >= 2 ? capitals : candidate).lowercased()
            let before = text[..<open].split { !$0.isLetter && !$0.isNumber }.suffix(initials.count)
            guard before.count == initials.count,
                  zip(before, initials).allSatisfy({ $0.first!.lowercased() == String($1) }) else { continue }
            let phrase = SupportTerms(before.joined(separator: " ")).words
            if !phrase.isEmpty { found.append((candidate.lowercased(), phrase)) }
        }
        return found
    }
}

/// The question's words and numbers, each weighted by how rare it is among the retrieved passages (inverse document
/// frequency): a quote should hold the terms that single out the question's topic ("grouped-query") more than those
/// every passage shares ("cache", "attention"). Terms no passage holds are left out: no quote can hold them.
/// Terms are compared by their first five letters (`roots`).
public struct KeyTerms: Sendable {
    /// Question term → weight.
    public let weights: [String: Double]
    public let acronyms: Acronyms

    public init(question: String, passages: [String]) {
        let acronyms = Acronyms(definedIn: passages)
        let passageTerms = passages.map { Self.roots(acronyms.expanding(SupportTerms($0).all)) }
        var weights: [String: Double] = [:]
        for term in Self.roots(acronyms.expanding(SupportTerms(question).all)) {
            let holding = passageTerms.filter { $0.contains(term) }.count
            guard holding > 0 else { continue }
            let count = Double(passageTerms.count)
            weights[term] = log(1 + (count - Double(holding) + 0.5) / (Double(holding) + 0.5))
        }
        self.weights = weights
        self.acronyms = acronyms
    }

    /// Words cut to their first five letters, so that "stored" meets "stores" and "cached" meets "cache" (the
    /// stem rule of `Answerability`, made symmetric); numbers stay whole.
    static func roots(_ terms: Set<String>) -> Set<String> {
        Set(terms.map { $0.first?.isNumber == true ? $0 : String($0.prefix(5)) })
    }

    /// The weighted share (0…1) of the key terms that `text` holds.
    public func share(of text: String) -> Double {
        let total = weights.values.reduce(0, +)
        guard total > 0 else { return 0 }
        let held = Self.roots(acronyms.expanding(SupportTerms(text).all))
        return weights.filter { held.contains($0.key) }.values.reduce(0, +) / total
    }
}

/// Orders evidence sentences for the extractive answer. The compressor's order is good enough to pick what the
/// model reads, but a quote is the whole answer: it should come from the passage about the question's topic and
/// hold its distinctive terms. Score: the sentence's cosine similarity with the question, plus `sentenceWeight` ×
/// the key-term share of the sentence with its source's heading, plus `sourceWeight` × that of the whole source.
public struct QuoteRanking: Sendable {
    public var sentenceWeight = 0.3
    public var sourceWeight = 0.2
    public let keyTerms: KeyTerms

    public init(keyTerms: KeyTerms) {
        self.keyTerms = keyTerms
    }

    /// `headings` and `sourceTexts` by source number (a missing one counts as empty).
    public func ordered(_ ranked: [RankedSentence], headings: [Int: String], sourceTexts: [Int: String]) -> [RankedSentence] {
        let sourceShares = sourceTexts.mapValues { keyTerms.share(of: $0) }
        let scored = ranked.map { sentence -> (RankedSentence, Double) in
            let own = keyTerms.share(of: (headings[sentence.source] ?? "") + "\n" + sentence.text)
            return (sentence, sentence.cosine + sentenceWeight * own + sourceWeight * (sourceShares[sentence.source] ?? 0))
        }
        // Stable for ties: the compressor's order decides.
        return scored.enumerated().sorted { ($0.element.1, -$0.offset) > ($1.element.1, -$1.offset) }.map(\.element.0)
    }
}
