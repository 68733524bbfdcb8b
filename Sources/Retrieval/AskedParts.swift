import Foundation

/// The checkable things a question asks for: a year ("in which year", "when"), a person ("who"), and a count for each
/// "how many <noun>". "In which year was FlashAttention introduced, and who was its first author?" asks for two; an
/// answer that gives only a year answers half of it, and a quote that gives both is the better answer.
public struct AskedParts: Sendable {
    public enum Part: Sendable, Equatable {
        case year
        case person
        case count(String)
    }

    public let parts: [Part]
    let question: String

    public init(question: String) {
        var parts: [Part] = []
        if QuestionKind.asksForDate(question) { parts.append(.year) }
        let words = question.lowercased().split { !$0.isLetter }
        if words.contains("who") || words.contains("whom") { parts.append(.person) }
        parts += AskedQuantity.countedNouns(in: question).map { .count($0) }
        self.parts = parts
        self.question = question
    }

    /// Asks for more than one checkable thing.
    public var isMultiPart: Bool { parts.count > 1 }

    /// How many of the parts `text` gives: a year for `.year`, a name (a capitalized word the question does not
    /// use, not opening a sentence) for `.person`, a number counting the noun for `.count` (`NumberContexts`).
    public func answered(by text: String) -> Int {
        let numbers = NumberContexts(text)
        return parts.filter { part in
            switch part {
            case .year:
                return YearMentions.containsYear(text)
            case .person:
                return !names(in: text).isEmpty
            case .count(let noun):
                return numbers.occurrences.keys.contains { numbers.counts($0, noun: noun) }
            }
        }.count
    }

    /// `chosen`, then, while the sentences so far leave a part unanswered, the first of `candidates` (best first) that
    /// gives one more part; at most `extra` sentences are added, none twice.
    public func completed(_ chosen: [RankedSentence], from candidates: [RankedSentence], extra: Int) -> [RankedSentence] {
        var result = chosen
        var text = chosen.map(\.text).joined(separator: " ")
        var given = answered(by: text)
        var added = 0
        while given < parts.count, added < extra {
            guard let next = candidates.first(where: { candidate in
                !result.contains { $0.text == candidate.text } && answered(by: text + " " + candidate.text) > given
            }) else { break }
            result.append(next)
            text += " " + next.text
            given = answered(by: text)
            added += 1
        }
        return result
    }

    /// Capitalized words of `text` that the question does not use ("Tri Dao", "Lewis et al."). A word opening a
    /// sentence or quote counts only before another name or "et al." ("Noam Shazeer proposed …", not "Going from …");
    /// words with inner capitals or digits ("FlashAttention", "H100") name things rather than people.
    func names(in text: String) -> [String] {
        let asked = Set(question.split { !$0.isLetter }.map { $0.lowercased() })
        let raws = text.split(whereSeparator: \.isWhitespace)
        let words = raws.map { $0.trimmingCharacters(in: CharacterSet.letters.inverted) }
        func capitalized(_ index: Int) -> Bool {
            guard index < words.count else { return false }
            let word = words[index]
            return word.count > 1 && word.first!.isUppercase && word.dropFirst().allSatisfy(\.isLowercase)
                && !asked.contains(word.lowercased())
        }
        var names: [String] = []
        for index in words.indices where capitalized(index) {
            let opensSentence = index == 0 || ".?!:".contains(raws[index - 1].last!) || "\"“(".contains(raws[index].first!)
            let beforeName = capitalized(index + 1) || (index + 1 < words.count && words[index + 1] == "et")
            if !opensSentence || beforeName { names.append(words[index]) }
        }
        return names
    }
}
