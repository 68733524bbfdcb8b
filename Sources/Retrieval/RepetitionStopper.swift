import Foundation

/// Stops a streamed answer when it starts repeating itself, which greedy decoding of a small model
/// does ("The answer is: 8x\n\nThe answer is: 8x\n…"). Text is cut into units at line ends and sentence
/// ends; a unit equal to an earlier one ends the answer. The same holds inside a sentence for clauses (cut at
/// ", "): "The cache is 128K-token context, which is 128K-token context, and it is 128K-token context, which is …"
/// ends after its third clause, with a period in place of the comma. Text that might be the start of such a repeat
/// is held back until it diverges, so a repeat is never shown.
public struct RepetitionStopper {
    /// Units shorter than this are never treated as repeats ("Yes.", list markers).
    public var minimumUnitLength = 8
    /// Clauses shorter than this may repeat ("yes, yes", list items such as "keys, values").
    public var minimumClauseLength = 16
    private var seen: [Substring] = []
    private var seenClauses: [Substring] = []
    /// The current unit, lowercased, without leading whitespace (built as characters arrive: linear time).
    private var unit = ""
    /// The current clause of the unit, the same way.
    private var clause = ""
    private var previous: Character?
    private var held = ""
    public private(set) var emitted = ""
    public private(set) var stopped = false

    public init() {}

    /// Feeds streamed text; returns the part that may be shown now (empty once stopped).
    public mutating func feed(_ piece: String) -> String {
        var out = ""
        for character in piece {
            guard !stopped else { break }
            held.append(character)
            if !(unit.isEmpty && character.isWhitespace) { unit += character.lowercased() }
            if !(clause.isEmpty && character.isWhitespace) { clause += character.lowercased() }
            let boundary = character == "\n" || (character == " " && previous.map { ".!?".contains($0) } == true)
            let clauseBoundary = !boundary && character == " " && previous == ","
            previous = character
            let trimmed = Self.trimTrailingWhitespace(unit)
            let clauseKey = Self.clauseKey(clause)
            if boundary {
                if trimmed.count >= minimumUnitLength, seen.contains(trimmed) {
                    stopped = true
                    held = ""
                    break
                }
                if !trimmed.isEmpty { seen.append(trimmed) }
                if !clauseKey.isEmpty { seenClauses.append(clauseKey) }
                unit = ""
                clause = ""
                out += held
                held = ""
            } else if clauseBoundary {
                if clauseKey.count >= minimumClauseLength, seenClauses.contains(clauseKey) {
                    // `held` ends with the repeated clause and its ", ": the answer ends with what was shown before
                    // it, closed with a period when that stopped mid-sentence.
                    stopped = true
                    held = ""
                    let shown = Self.trimTrailingWhitespace(emitted + out)
                    if let last = shown.last, !".!?".contains(last) { out += "." }
                    break
                }
                if !clauseKey.isEmpty { seenClauses.append(clauseKey) }
                clause = ""
                // The clause is shown, its ", " held until the next clause turns out not to repeat; unless the
                // sentence so far could still be a repeat of an earlier one, which keeps all of it held.
                if !seen.contains(where: { $0.hasPrefix(trimmed) }) {
                    out += held.dropLast(2)
                    held = ", "
                }
            } else if character != ",", !seen.contains(where: { $0.hasPrefix(trimmed) }),
                      !seenClauses.contains(where: { $0.hasPrefix(clauseKey) }) {
                out += held
                held = ""
            }
        }
        emitted += out
        return out
    }

    /// Ends the stream: returns any held text that turned out not to be a repeat.
    public mutating func finish() -> String {
        defer { held = "" }
        guard !stopped else { return "" }
        let trimmed = Self.trimTrailingWhitespace(unit)
        if trimmed.count >= minimumUnitLength, seen.contains(trimmed) { stopped = true; return "" }
        emitted += held
        return held
    }

    /// A clause without the whitespace and punctuation after it: "which is 128k-token context, " → "which is 128k-token context".
    static func clauseKey(_ clause: String) -> Substring {
        trimTrailing(clause) { $0.isWhitespace || ",.!?;:".contains($0) }
    }

    static func trimTrailingWhitespace(_ text: String) -> Substring {
        trimTrailing(text) { $0.isWhitespace }
    }

    static func trimTrailing(_ text: String, while drop: (Character) -> Bool) -> Substring {
        var end = text.endIndex
        while end > text.startIndex, drop(text[text.index(before: end)]) { end = text.index(before: end) }
        return text[..<end]
    }
}
