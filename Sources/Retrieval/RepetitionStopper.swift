import Foundation

/// Stops a streamed answer when it starts repeating itself, which greedy decoding of a small model
/// does ("The answer is: 8x\n\nThe answer is: 8x\n…"). Text is cut into units at line ends and sentence
/// ends; a unit equal to an earlier one ends the answer. Text that might be the start of such a repeat is
/// held back until it diverges, so a repeat is never shown.
public struct RepetitionStopper {
    /// Units shorter than this are never treated as repeats ("Yes.", list markers).
    public var minimumUnitLength = 8
    private var seen: [Substring] = []
    /// The current unit, lowercased, without leading whitespace (built as characters arrive: linear time).
    private var unit = ""
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
            let boundary = character == "\n" || (character == " " && previous.map { ".!?".contains($0) } == true)
            previous = character
            let trimmed = Self.trimTrailingWhitespace(unit)
            if boundary {
                if trimmed.count >= minimumUnitLength, seen.contains(trimmed) {
                    stopped = true
                    held = ""
                    break
                }
                if !trimmed.isEmpty { seen.append(trimmed) }
                unit = ""
                out += held
                held = ""
            } else if !seen.contains(where: { $0.hasPrefix(trimmed) }) {
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

    static func trimTrailingWhitespace(_ text: String) -> Substring {
        var end = text.endIndex
        while end > text.startIndex, text[text.index(before: end)].isWhitespace { end = text.index(before: end) }
        return text[..<end]
    }
}
