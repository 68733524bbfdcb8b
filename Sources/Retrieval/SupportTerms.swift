import Foundation

/// The words and numbers of a text, normalized so that an answer and the passage it paraphrases share them:
/// lowercase, stop words dropped, a plural `s` removed ("heads" = "head"), thousands separators removed
/// ("4,096" = "4096"), a unit glued to a number split off ("192KB" = "192 KB" = "192", "kb").
public struct SupportTerms: Equatable, Sendable {
    /// Content words (no numbers).
    public var words: Set<String>
    /// Numbers as digits ("4096", "1.5").
    public var numbers: Set<String>
    /// A number with (the first five letters of) the word after it, "14 gb", "9 query", "384 dimen": what a number
    /// counts ("384-dimensional" and "384 dimensions" count the same thing).
    public var quantities: Set<String>
    /// The words that follow numbers ("gb", "query").
    public var units: Set<String> { Set(quantities.compactMap { $0.split(separator: " ").last.map(String.init) }) }

    public var all: Set<String> { words.union(numbers) }
    public var isEmpty: Bool { words.isEmpty && numbers.isEmpty }

    public init(_ text: String) {
        var words = Set<String>(), numbers = Set<String>(), quantities = Set<String>()
        var pendingNumbers: [String] = []   // a number, or a range "1.5–2.0", waiting for its unit
        var afterRange = false
        for token in Self.tokens(of: text) {
            if token == Self.rangeDash {
                afterRange = true
                continue
            }
            defer { afterRange = false }
            if token.first!.isNumber {
                if !afterRange { pendingNumbers = [] }
                let digits = token.prefix { $0.isNumber || $0 == "." }
                let number = String(digits.hasSuffix(".") ? digits.dropLast() : digits)
                numbers.insert(number)
                let unit = String(token.dropFirst(digits.count))
                if !unit.isEmpty, unit.allSatisfy(\.isLetter) {
                    Self.addWord(unit, to: &words)
                    for pending in pendingNumbers + [number] { quantities.insert(pending + " " + Self.unitKey(unit)) }
                    pendingNumbers = []
                } else {
                    pendingNumbers.append(number)
                }
                continue
            } else {
                Self.addWord(token, to: &words)
                for pending in pendingNumbers { quantities.insert(pending + " " + Self.unitKey(token)) }
                pendingNumbers = []
            }
        }
        self.words = words
        self.numbers = numbers
        self.quantities = quantities
    }

    private static func addWord(_ word: String, to words: inout Set<String>) {
        guard !isStopWord(word) else { return }
        words.insert(stem(word))
    }

    /// A word that carries no content: the lexical stop words and `extraStopWords`.
    static func isStopWord(_ word: String) -> Bool {
        LexicalQuery.stopWords.contains(word) || extraStopWords.contains(word)
    }

    /// Words that carry no content in a question or an answer sentence.
    static let extraStopWords: Set<String> = [
        "many", "much", "also", "some", "any", "all", "each", "one", "been", "being", "were", "very", "just",
        "only", "its", "their", "theirs", "his", "her", "here", "such", "other", "same", "more", "most", "but",
        "answer", "question", "based", "following", "mean", "means", "say", "says", "said", "does", "did",
        "given", "let", "called", "known", "us",
    ]

    static func unitKey(_ word: String) -> String { String(stem(word).prefix(5)) }

    /// "heads" → "head", "entries" → "entry"; short words and "ss" endings are kept.
    static func stem(_ word: String) -> String {
        guard word.count > 3, word.last == "s", !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is") else {
            return word
        }
        if word.hasSuffix("ies"), word.count > 4 { return String(word.dropLast(3)) + "y" }
        return String(word.dropLast())
    }

    static let rangeDash = "–"

    /// Lowercased runs of letters, digits and underscores; "4,096" and "1.5" stay one token.
    static func tokens(of text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        let characters = Array(text.lowercased())
        func flush() {
            if !current.isEmpty { tokens.append(current) }
            current = ""
        }
        for (index, character) in characters.enumerated() {
            if character.isLetter || character.isNumber || character == "_" {
                current.append(character)
                continue
            }
            // A comma or period between digits belongs to the number ("4,096", "1.5"); commas are dropped.
            let between = index > 0 && index + 1 < characters.count && characters[index - 1].isNumber
                && characters[index + 1].isNumber && current.first?.isNumber == true
            if between, character == "," { continue }
            if between, character == "." { current.append(character); continue }
            flush()
            // "1.5–2.0 TB": the unit belongs to both ends of the range.
            if "-–—".contains(character), index > 0, index + 1 < characters.count, characters[index - 1].isNumber,
               characters[index + 1].isNumber {
                tokens.append(rangeDash)
            }
        }
        flush()
        return tokens
    }
}
