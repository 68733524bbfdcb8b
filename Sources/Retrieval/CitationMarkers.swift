import Foundation

/// Edits the `[n]` markers of an answer sentence: drops markers that name no source, removes them all,
/// or appends new ones before the sentence's closing punctuation ("… is 4096 [1].").
/// A marker is what `Citations` recognizes: `[1]`, `[1, 3]`, `[1 and 2]`, `[source 2]`.
public enum CitationMarkers {
    /// `text` with every number above `sourceCount` (or below 1) removed from its markers, and markers left
    /// with no number removed (with the space before them).
    public static func keepingValid(in text: String, sourceCount: Int) -> String {
        rewrite(text) { numbers in
            let valid = numbers.filter { (1...max(1, sourceCount)).contains($0) }
            return valid.isEmpty ? nil : format(valid)
        }
    }

    /// `text` without any marker (and the space before each).
    public static func removingAll(from text: String) -> String {
        rewrite(text) { _ in nil }
    }

    /// `[1]` or `[1, 3]`.
    public static func format(_ numbers: [Int]) -> String {
        "[" + numbers.map(String.init).joined(separator: ", ") + "]"
    }

    /// `sentence` with `numbers` as one marker before its closing punctuation and after any trailing space:
    /// "The window is 4096." → "The window is 4096 [1]."
    public static func appending(_ numbers: [Int], to sentence: String) -> String {
        guard !numbers.isEmpty else { return sentence }
        let body = sentence.reversed().drop(while: \.isWhitespace).reversed()
        let trailingSpace = String(sentence.dropFirst(body.count))
        let closing = body.reversed().prefix { ".!?;:".contains($0) }.reversed()
        let text = String(body.dropLast(closing.count)).trimmingCharacters(in: .whitespaces)
        let leadingSpace = String(sentence.prefix { $0.isWhitespace })
        return leadingSpace + text + " " + format(numbers) + String(closing) + trailingSpace
    }

    /// Replaces each marker by `transform(its numbers)`; nil removes it and the spaces before it.
    static func rewrite(_ text: String, transform: ([Int]) -> String?) -> String {
        guard text.contains("[") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "[", let close = text[index...].firstIndex(of: "]"),
               let numbers = markerNumbers(text[text.index(after: index)..<close]) {
                if let replacement = transform(numbers) {
                    output += replacement
                } else {
                    while output.last == " " { output.removeLast() }
                }
                index = text.index(after: close)
                continue
            }
            output.append(text[index])
            index = text.index(after: index)
        }
        return output
    }

    /// The numbers inside a marker's brackets, or nil when the brackets hold anything else.
    static func markerNumbers(_ inside: Substring) -> [Int]? {
        let words = inside.lowercased().split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" })
        let allowed: Set<Substring> = ["and", "source", "sources", "&"]
        let numbers = words.compactMap { Int($0) }
        guard !numbers.isEmpty, words.allSatisfy({ Int($0) != nil || allowed.contains($0) }) else { return nil }
        return numbers
    }
}
