import Foundation

/// Four-digit years (1900–2099) that date something rather than measure it: a citation ("Quest (Tang et al., 2024)",
/// "Ainslie et al. (2023)", "[2019]") or a year after a word of time ("proposed in 2019", "since 2020").
/// The year a paper appeared does not answer "how much memory …", however well its sentence matches the question.
public enum YearMentions {
    /// The years of `text`, as digits ("2024").
    public static func years(in text: String) -> Set<String> {
        let characters = Array(text)
        var years = Set<String>()
        var openBrackets = 0
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "(" || character == "[" { openBrackets += 1 }
            if character == ")" || character == "]" { openBrackets = max(0, openBrackets - 1) }
            guard character.isNumber else {
                index += 1
                continue
            }
            let run = numberRun(in: characters, from: index)
            let before = index > 0 ? characters[index - 1] : " "
            if isYearLike(run.text), !before.isLetter, !before.isNumber {
                var after = run.end
                // "2024a": a letter that tells apart two papers of one year.
                if after < characters.count, characters[after].isLowercase,
                   after + 1 == characters.count || !characters[after + 1].isLetter {
                    after += 1
                }
                let citation = openBrackets > 0 && ")];,".contains(nextNonSpace(in: characters, from: after) ?? " ")
                let dated = timeWords.contains(word(in: characters, endingBefore: index))
                    && !startsCountedNoun(characters, from: after)
                if citation || dated { years.insert(run.text) }
            }
            index = run.end
        }
        return years
    }

    /// Words after which a year is a date: "in 2019", "since 2020", "May 2023".
    static let timeWords: Set<String> = [
        "in", "since", "until", "till", "before", "after", "during", "circa", "year",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    ]

    /// `text` holds a year-like number anywhere (dating or not): what a year question needs of an answer.
    static func containsYear(_ text: String) -> Bool {
        text.split { !$0.isNumber }.contains { isYearLike(String($0)) }
    }

    static func isYearLike(_ digits: String) -> Bool {
        digits.count == 4 && digits.allSatisfy(\.isNumber) && (1900...2099).contains(Int(digits) ?? 0)
    }

    /// Digits with the commas and periods between them ("4,096", "1.5").
    static func numberRun(in characters: [Character], from start: Int) -> (text: String, end: Int) {
        var end = start
        while end < characters.count {
            let character = characters[end]
            let separator = (character == "," || character == ".") && end + 1 < characters.count && characters[end + 1].isNumber
            guard character.isNumber || separator else { break }
            end += 1
        }
        return (String(characters[start..<end]), end)
    }

    static func nextNonSpace(in characters: [Character], from start: Int) -> Character? {
        characters[min(start, characters.count)...].first { !$0.isWhitespace }
    }

    /// The lowercased word that ends (before spaces) right before `end`: "in" for "in 2019".
    static func word(in characters: [Character], endingBefore end: Int) -> String {
        var last = end
        while last > 0, characters[last - 1].isWhitespace { last -= 1 }
        var first = last
        while first > 0, characters[first - 1].isLetter { first -= 1 }
        return String(characters[first..<last]).lowercased()
    }

    /// "in 2048 tokens": a content word after the number makes it a count, not a date ("in 2019 the paper …" stays one).
    static func startsCountedNoun(_ characters: [Character], from start: Int) -> Bool {
        var first = start
        while first < characters.count, characters[first] == " " { first += 1 }
        var last = first
        while last < characters.count, characters[last].isLetter { last += 1 }
        guard last > first, characters[first].isLowercase else { return false }
        return !LexicalQuery.stopWords.contains(String(characters[first..<last]))
    }
}

/// The numbers of a sentence that can answer a question asking for one: numbers the question does not state itself;
/// no year (`YearMentions`) unless the question asks for a date; and for "how many <noun>", no number that counts
/// something else — in the sentence ("328 GB"), or, when the sentence states it bare, in every place the sources
/// state it (`NumberContexts`).
public struct AnsweringNumbers: Sendable {
    let asked: Set<String>
    let acceptsYears: Bool
    let countedNouns: [String]
    let sources: NumberContexts

    /// `sources`: the text of the sources the sentence is checked against (empty when it is one of them).
    public init(question: String, sources: String = "") {
        asked = SupportTerms(question).numbers
        acceptsYears = QuestionKind.asksForDate(question)
        countedNouns = AskedQuantity.countedNouns(in: question)
        self.sources = NumberContexts(sources)
    }

    public func numbers(in sentence: String) -> Set<String> {
        var stated = SupportTerms(sentence).numbers.subtracting(asked)
        if !acceptsYears { stated.subtract(YearMentions.years(in: sentence)) }
        guard !countedNouns.isEmpty else { return stated }
        let own = NumberContexts(sentence)
        return stated.filter { number in
            countedNouns.contains { noun in
                own.counts(number, noun: noun) || (own.mayCount(number, noun: noun) && sources.mayCount(number, noun: noun))
            }
        }
    }
}
