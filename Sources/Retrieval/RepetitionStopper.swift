import Foundation

/// Stops a streamed answer when it starts repeating itself, which greedy decoding of a small model
/// does ("The answer is: 8x\n\nThe answer is: 8x\n…"). Text is cut into units at line ends and sentence
/// ends; a unit equal to an earlier one ends the answer. Text that might be the start of such a repeat is
/// held back until it diverges, so a repeat is never shown.
public struct RepetitionStopper {
    /// Units shorter than this are never treated as repeats ("Yes.", list markers).
    public var minimumUnitLength = 8
    private var seen: [String] = []
    private var current = ""
    private var held = ""
    public private(set) var emitted = ""
    public private(set) var stopped = false

    public init() {}

    /// Feeds streamed text; returns the part that may be shown now (empty once stopped).
    public mutating func feed(_ piece: String) -> String {
        var out = ""
        for character in piece {
            guard !stopped else { break }
            current.append(character)
            held.append(character)
            let boundary = character == "\n" || ((character == " ") && current.dropLast().last.map { ".!?".contains($0) } == true)
            let unit = Self.normalize(current)
            if boundary {
                if unit.count >= minimumUnitLength, seen.contains(unit) {
                    stopped = true
                    held = ""
                    break
                }
                if !unit.isEmpty { seen.append(unit) }
                current = ""
                out += held
                held = ""
            } else if !seen.contains(where: { $0.hasPrefix(unit) }) {
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
        let unit = Self.normalize(current)
        if unit.count >= minimumUnitLength, seen.contains(unit) { stopped = true; return "" }
        emitted += held
        return held
    }

    static func normalize(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
