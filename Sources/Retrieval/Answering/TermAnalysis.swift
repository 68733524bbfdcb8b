import Foundation

/// Words as the evidence features compare them: lowercased letters and digits (an identifier such as
/// `journal_mode` also yields its parts), a light plural stemmer (Harman's S-stemmer), and a standard English
/// stop-word list removed. One tokenizer for the question and the evidence, so that overlap means the same
/// thing on both sides.
public enum Terms {
    /// Content terms of `text`, in order, with repeats.
    public static func of(_ text: String) -> [String] {
        var result: [String] = []
        for word in words(text) {
            for part in parts(of: word) {
                let term = stem(part)
                if term.count < 2 && !term.allSatisfy(\.isNumber) { continue }
                if stopWords.contains(part) || stopWords.contains(term) { continue }
                result.append(term)
            }
        }
        return result
    }

    /// Lowercased runs of letters, digits, `_` (and inner `.`/`,` between digits: "4,096", "1.5").
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        let characters = Array(text.lowercased())
        for (index, character) in characters.enumerated() {
            if character.isLetter || character.isNumber || character == "_" {
                current.append(character)
            } else if (character == "." || character == ","), let last = current.last, last.isNumber,
                      index + 1 < characters.count, characters[index + 1].isNumber {
                if character == "." { current.append(character) }   // "1.5" stays; "4,096" becomes "4096"
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// A word and, for `a_b` identifiers, its parts.
    static func parts(of word: String) -> [String] {
        guard word.contains("_") else { return [word] }
        return [word] + word.split(separator: "_").map(String.init)
    }

    /// Harman's S-stemmer: "queries" → "query", "caches" → "cache", "heads" → "head"; numbers untouched.
    public static func stem(_ word: String) -> String {
        guard word.count > 3, word.last == "s", !word.contains(where: \.isNumber) else { return word }
        if word.hasSuffix("ies"), !word.hasSuffix("eies"), !word.hasSuffix("aies") { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("es"), !word.hasSuffix("aes"), !word.hasSuffix("ees"), !word.hasSuffix("oes") { return String(word.dropLast(1)) }
        if word.hasSuffix("s"), !word.hasSuffix("us"), !word.hasSuffix("ss") { return String(word.dropLast(1)) }
        return word
    }

    /// True for a term that holds a digit.
    public static func isNumber(_ term: String) -> Bool { term.contains(where: \.isNumber) }

    /// A standard English stop-word list (function words and question words); not tuned on any question.
    public static let stopWords: Set<String> = [
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did",
        "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
        "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
        "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of",
        "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she",
        "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then",
        "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was",
        "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
        "you", "your", "yours", "yourself", "yourselves", "s", "t", "don", "doesn", "isn", "aren", "wasn", "get",
        "gets", "use", "used", "using", "way", "want", "need", "know", "tell", "much", "many", "one", "thing",
        "there's", "what's", "it's", "does", "make", "let", "say", "says", "mean", "means", "happen", "happens",
    ]
}

/// The question, analysed once: its content terms with their inverse document frequencies, and what kind of
/// answer it expects.
public struct QuestionAnalysis: Sendable {
    public let text: String
    /// Distinct content terms, in question order.
    public let terms: [String]
    /// log((N + 1) / (df + 0.5)) over the index's chunks, at least 0.1; 1 for every term when unknown.
    public let idf: [String: Double]
    /// The question asks for a quantity, a year or a size ("how many", "how much", "what year" …).
    public let expectsNumber: Bool

    public init(text: String, idf: (String) -> Double) {
        self.text = text
        var seen = Set<String>()
        terms = Terms.of(text).filter { seen.insert($0).inserted }
        var weights: [String: Double] = [:]
        for term in terms { weights[term] = idf(term) }
        self.idf = weights
        expectsNumber = Self.asksForNumber(text)
    }

    /// Sum of the IDF of the question's terms that `termSet` holds, over the sum of all (0 when the question has none).
    public func idfShare(of termSet: Set<String>) -> Double {
        let total = terms.reduce(0) { $0 + (idf[$1] ?? 1) }
        guard total > 0 else { return 0 }
        return terms.filter { termSet.contains($0) }.reduce(0) { $0 + (idf[$1] ?? 1) } / total
    }

    /// The IDF of the rarest term not in `termSet`, over the IDF of the rarest term (0 when all are there).
    public func rarestMissingShare(given termSet: Set<String>) -> Double {
        let rarest = terms.map { idf[$0] ?? 1 }.max() ?? 0
        let missing = terms.filter { !termSet.contains($0) }.map { idf[$0] ?? 1 }.max() ?? 0
        return rarest > 0 ? missing / rarest : 0
    }

    /// Answer-type cue of the classic question taxonomies (Li & Roth): a numeric wh-phrase.
    static func asksForNumber(_ text: String) -> Bool {
        let lower = " " + Terms.words(text).joined(separator: " ") + " "
        let cues = [" how many ", " how much ", " how long ", " how large ", " how big ", " how often ", " how old ",
                    " how fast ", " what year ", " which year ", " what percentage ", " what size ", " how far "]
        return cues.contains { lower.contains($0) }
    }
}
