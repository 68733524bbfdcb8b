import Foundation

/// Cuts a text stream into sentences as it arrives. A sentence ends at `.`, `?` or `!` followed by
/// whitespace, or at a line break; "1.5", list markers ("1. "), "e.g." and "et al." end none.
/// Each sentence is returned with the whitespace that preceded it, so joining them restores the stream.
public struct SentenceSplitter: Sendable {
    private var buffer = ""

    public init() {}

    /// The sentences completed by `piece`.
    public mutating func feed(_ piece: String) -> [String] {
        var completed: [String] = []
        for character in piece {
            if character.isWhitespace, endsSentence(before: character) {
                completed.append(buffer)
                buffer = ""
            }
            buffer.append(character)
        }
        return completed
    }

    /// The last, unfinished sentence (nil when only whitespace is left).
    public mutating func finish() -> String? {
        defer { buffer = "" }
        return buffer.allSatisfy(\.isWhitespace) ? nil : buffer
    }

    static let abbreviations: Set<String> = ["e.g.", "i.e.", "al.", "etc.", "vs.", "cf.", "approx.", "fig.", "eq.", "no."]

    private func endsSentence(before whitespace: Character) -> Bool {
        let content = buffer.drop(while: \.isWhitespace)
        guard !content.isEmpty else { return false }
        if whitespace.isNewline { return true }
        guard let last = content.last, ".?!".contains(last) else { return false }
        let line = content.split(separator: "\n").last.map(String.init) ?? ""
        let trimmedLine = line.trimmingCharacters(in: .whitespaces)
        // A list marker ("1.", "12.") at the start of a line.
        if trimmedLine.dropLast().allSatisfy(\.isNumber) { return false }
        return !Self.endsWithAbbreviation(trimmedLine)
    }

    /// True when `text` ends with "e.g.", "et al." and the like (a period that ends no sentence).
    static func endsWithAbbreviation(_ text: some StringProtocol) -> Bool {
        let lastWord = text.split(separator: " ").last.map { $0.lowercased() } ?? ""
        return abbreviations.contains(lastWord.trimmingCharacters(in: CharacterSet(charactersIn: "(")))
    }
}
