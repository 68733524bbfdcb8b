import Foundation

/// What each number of a text counts: the words right after it, up to a stop word, "per", a number, punctuation or
/// three words ("16 bytes", "9 query heads", "3 key/value heads", "8x smaller"); nothing for a bare number ("W = 4,096.").
/// "How many seconds …" is not answered by 328 when the sources say "328 GB".
public struct NumberContexts: Sendable {
    /// Number (digits, as `SupportTerms` writes them) → the words after each of its occurrences (empty: bare).
    public let occurrences: [String: [[String]]]

    public init(_ text: String) {
        var occurrences: [String: [[String]]] = [:]
        for clause in Self.clauses(of: Self.withLabelsAfterValues(text)) {
            let tokens = SupportTerms.tokens(of: clause)
            let named = Self.namedNumbers(in: clause)
            for (index, token) in tokens.enumerated() where token.first!.isNumber {
                let digits = token.prefix { $0.isNumber || $0 == "." }
                let attached = token.dropFirst(digits.count)
                var words = attached.isEmpty ? [] : [String(attached)]
                for next in tokens[(index + 1)...] {
                    guard words.count < 3, !next.first!.isNumber, next != SupportTerms.rangeDash,
                          !LexicalQuery.stopWords.contains(next), !Self.rateWords.contains(next) else { break }
                    words.append(next)
                }
                // "GPT-3 had …": a bare number glued to a name by a hyphen is part of the name, not a count.
                if words.isEmpty, index > 0, named.contains(tokens[index - 1] + "-" + token) { words = [tokens[index - 1]] }
                occurrences[String(digits), default: []].append(words)
                if let grouped = Self.groupedNoun(before: index, in: tokens) { occurrences[String(digits), default: []].append([grouped]) }
            }
        }
        self.occurrences = occurrences
    }

    /// "store weights in fixed blocks of 32", "keys in pages of 16": the number after "<container> of" counts what is
    /// put in the containers (the word before "in", at most one adjective between "in" and the container).
    static func groupedNoun(before index: Int, in tokens: [String]) -> String? {
        guard index >= 4, tokens[index - 1] == "of", containers.contains(tokens[index - 2]) else { return nil }
        for inIndex in [index - 3, index - 4] where inIndex >= 1 && tokens[inIndex] == "in" {
            let noun = tokens[inIndex - 1]
            guard noun.first!.isLetter, !LexicalQuery.stopWords.contains(noun) else { return nil }
            return noun
        }
        return nil
    }

    /// "gpt-3", "llama-2", "gpt-4.1": a word of letters, a hyphen, a number (lowercased, as the tokens write them).
    static func namedNumbers(in clause: String) -> Set<String> {
        let lowered = clause.lowercased()
        guard lowered.contains("-") else { return [] }
        let range = NSRange(lowered.startIndex..., in: lowered)
        return Set(namedNumber.matches(in: lowered, range: range).compactMap { Range($0.range, in: lowered).map { String(lowered[$0]) } })
    }

    /// "bytes per weight: 2; 7B model: 14 GB" (a table row, `MarkdownTableRows`, or a "label: value" list) →
    /// "2 bytes per weight; 7B model: 14 GB": a bare number after a label counts what the label names (2 counts
    /// bytes, so it does not answer "how many bits"). Only a value ending its item (before ";", a line break or the
    /// end) is moved; one with its own unit ("14 GB") already says what it counts.
    public static func withLabelsAfterValues(_ text: String) -> String {
        guard text.contains(":") else { return text }
        let range = NSRange(text.startIndex..., in: text)
        return labelledValue.stringByReplacingMatches(in: text, range: range, withTemplate: "$2 $1")
    }

    /// Immutable after creation, so sharing it across threads is safe.
    nonisolated(unsafe) static let labelledValue = try! NSRegularExpression(
        pattern: "(\\p{L}[\\p{L} ]{0,40}?):[ \\t]+([0-9][0-9,]*(?:\\.[0-9]+)?)(?=[ \\t]*(?:[;\\n]|$))")

    /// Immutable after creation, so sharing it across threads is safe.
    nonisolated(unsafe) static let namedNumber = try! NSRegularExpression(
        pattern: "(?<![\\p{L}\\p{N}_])\\p{L}+-[0-9]+(?:\\.[0-9]+)?(?![\\p{L}\\p{N}_])")

    static let containers: Set<String> = ["block", "blocks", "group", "groups", "page", "pages", "chunk", "chunks",
                                          "batch", "batches", "tile", "tiles", "bucket", "buckets"]

    /// "5 bits per weight" counts bits, not weights.
    static let rateWords: Set<String> = ["per", "each", "every"]

    /// `number` counts `noun` somewhere in the text, or stands bare somewhere (it may count anything).
    public func mayCount(_ number: String, noun: String) -> Bool {
        guard let contexts = occurrences[number] else { return true }
        return contexts.contains { $0.isEmpty || $0.contains { Self.names($0, noun: noun) } }
    }

    /// `number` is followed by `noun` (or an adjective and `noun`) somewhere in the text.
    public func counts(_ number: String, noun: String) -> Bool {
        occurrences[number]?.contains { $0.contains { Self.names($0, noun: noun) } } ?? false
    }

    /// "dimensional" names "dimension" (same first five letters, plural aside); a unit names its measure
    /// ("320 KiB" answers "how many bytes", "28 hours" "how many seconds", "8x" "how many times").
    static func names(_ word: String, noun: String) -> Bool {
        let stem = SupportTerms.unitKey(word), nounStem = SupportTerms.unitKey(noun)
        return stem == nounStem || measures.contains { $0.contains(stem) && $0.contains(nounStem) }
    }

    /// Units of one measure, as `SupportTerms.unitKey` writes them.
    static let measures: [Set<String>] = [
        ["byte", "b", "kb", "kib", "mb", "mib", "gb", "gib", "tb", "tib", "kilob", "megab", "gigab", "terab"],
        ["secon", "s", "sec", "ms", "milli", "micro", "minut", "min", "hour", "h", "day"],
        ["time", "x"],
    ]

    /// Pieces of text between punctuation that ends what a number counts; hyphens and slashes join ("key/value",
    /// "384-dimensional"), and commas and periods between digits belong to the number.
    static func clauses(of text: String) -> [String] {
        let characters = Array(text)
        var clauses: [String] = []
        var current = ""
        for (index, character) in characters.enumerated() {
            let betweenDigits = index > 0 && index + 1 < characters.count && characters[index - 1].isNumber
                && characters[index + 1].isNumber
            let joins = character.isLetter || character.isNumber || character.isWhitespace || "-/_–".contains(character)
                || (betweenDigits && ",.".contains(character))
            if joins {
                current.append(character)
            } else {
                clauses.append(current)
                current = ""
            }
        }
        clauses.append(current)
        return clauses.filter { !$0.isEmpty }
    }
}
