import Foundation

/// Builds an FTS5 MATCH expression from free text that no user input can break.
///
/// Every term is emitted as a double-quoted FTS5 string (inner quotes doubled), so operators
/// (`AND`, `OR`, `NOT`, `NEAR`), `*`, `-`, `^`, `:`, parentheses and column filters in the user's text
/// are only ever words. Terms are joined with `OR` so that bm25 ranks by how many (and how rare)
/// of them a chunk contains; common English stop words are dropped when other terms remain.
public enum LexicalQuery {
    /// At most this many terms (FTS5 cost grows with the number of OR branches).
    public static let maxTerms = 32

    /// Returns nil when the text has no searchable term.
    public static func matchExpression(for text: String) -> String? {
        let words = terms(in: text)
        guard !words.isEmpty else { return nil }
        return words.map(quote).joined(separator: " OR ")
    }

    /// The words of `text`: runs of letters, digits, marks and underscores (any script), lowercased,
    /// de-duplicated in order of appearance, stop words removed unless nothing else is left.
    public static func terms(in text: String) -> [String] {
        let words = words(in: text)
        var seen = Set<String>()
        let unique = words.filter { seen.insert($0).inserted }
        let content = unique.filter { !stopWords.contains($0) }
        return Array((content.isEmpty ? unique : content).prefix(maxTerms))
    }

    /// Every word of `text` in order, lowercased: runs of letters, digits, marks and underscores (any script).
    public static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current).lowercased()) }
            current = String.UnicodeScalarView()
        }
        for scalar in text.unicodeScalars {
            if isWordScalar(scalar) { current.append(scalar) } else { flush() }
        }
        flush()
        return words
    }

    /// `term` as one FTS5 string: double-quoted, inner quotes doubled.
    public static func quote(_ term: String) -> String {
        "\"" + term.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "_" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }

    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "in",
        "is", "it", "its", "me", "my", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when",
        "where", "which", "who", "why", "will", "with", "you", "your", "there", "these", "those", "into",
        "about", "should", "would", "could", "has", "have", "had", "than", "then", "them", "they", "we",
        "our", "if", "so", "not", "no", "yes", "get", "use", "using", "used", "tell", "explain",
    ]
}
