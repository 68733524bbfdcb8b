import Foundation

/// Resolves "the second technique I mentioned", "explain the first one", "back to the third idea" to the item of a
/// list the user gave: an enumeration after a colon ("three ways to make it smaller: A, B, and C") or after
/// "such as"/"including", its items separated by commas or semicolons (the last pair may be joined by "and"/"or"
/// alone; a list without commas is split at "and"/"or").
///
/// Only a generic noun after the ordinal makes a reference ("the first one", "the third idea"); "the first tokens"
/// is not one. The list is looked for in the question itself (before the reference), then in earlier user
/// messages, newest first.
public enum OrdinalReference {
    public struct Resolution: Sendable, Equatable {
        /// The question with the reference replaced by the item, and without the sentence that gave the list when
        /// that sentence was part of the question.
        public var question: String
        /// The item referred to.
        public var item: String
        /// The other items of the list, in order.
        public var siblings: [String] = []

        /// What the question is about: the item, told apart from the rest of the list.
        public var focus: ReferentFocus { ReferentFocus(item: item, siblings: siblings) }
    }

    static let ordinals: [String: Int] = [
        "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5,
        "last": -1, "former": 1, "latter": -1,
    ]

    /// Nouns that name an item of a list rather than a thing of the subject.
    static let listNouns: Set<String> = [
        "one", "ones", "technique", "techniques", "idea", "ideas", "way", "ways", "method", "methods", "option", "options",
        "item", "items", "point", "points", "approach", "approaches", "thing", "things", "suggestion", "suggestions",
        "step", "steps", "trick", "tricks", "strategy", "strategies", "solution", "solutions", "alternative",
        "alternatives", "example", "examples", "choice", "choices", "possibility", "possibilities", "part", "parts",
    ]

    static let mentionVerbs: Set<String> = ["mentioned", "listed", "named", "gave", "said", "wrote", "described", "brought"]

    /// The resolution of the first ordinal reference of `question`, or nil when it has none or no list to point into.
    /// `earlierUserMessages` are oldest first.
    public static func resolve(_ question: String, earlierUserMessages: [String]) -> Resolution? {
        guard let reference = findReference(in: question) else { return nil }
        let before = String(question[..<reference.range.lowerBound])
        var listSentence: Range<String.Index>?
        var items: [String] = []
        if let found = lastEnumeration(in: before) {
            items = found.items
            listSentence = found.sentence
        } else {
            for message in earlierUserMessages.reversed() {
                if let found = lastEnumeration(in: message) { items = found.items; break }
            }
        }
        guard items.count >= 2 else { return nil }
        let index = reference.position < 0 ? items.count - 1 : reference.position - 1
        guard items.indices.contains(index) else { return nil }
        let item = items[index]
        var resolved = question.replacingCharacters(in: reference.range, with: item)
        if let listSentence {
            // The sentence is before the reference, so its range is unchanged by the replacement.
            resolved.removeSubrange(listSentence)
        }
        resolved = resolved.trimmingCharacters(in: .whitespacesAndNewlines)
        var siblings = items
        siblings.remove(at: index)
        return Resolution(question: resolved.isEmpty ? question : resolved, item: item, siblings: siblings)
    }

    /// The span "the second technique (that) I mentioned" / "the first one" and the 1-based position (−1: last).
    static func findReference(in text: String) -> (range: Range<String.Index>, position: Int)? {
        let words = wordRanges(in: text)
        for (index, word) in words.enumerated() {
            guard let position = ordinals[word.text], index + 1 < words.count else { continue }
            var end = index + 1
            guard listNouns.contains(words[end].text) else { continue }
            // "… (that|which) I/you/we mentioned"
            var look = end + 1
            if look < words.count, ["that", "which"].contains(words[look].text) { look += 1 }
            if look + 1 < words.count, ["i", "you", "we"].contains(words[look].text),
               mentionVerbs.contains(words[look + 1].text) {
                end = look + 1
            }
            var start = index
            if index > 0, ["the", "your", "my", "that"].contains(words[index - 1].text) { start = index - 1 }
            return (words[start].range.lowerBound..<words[end].range.upperBound, position)
        }
        return nil
    }

    /// The items of the last enumeration in `text` and the range of the sentence holding it.
    static func lastEnumeration(in text: String) -> (items: [String], sentence: Range<String.Index>)? {
        var result: (items: [String], sentence: Range<String.Index>)?
        for sentence in sentenceRanges(in: text) {
            if let items = enumeration(in: String(text[sentence])) { result = (items, sentence) }
        }
        return result
    }

    /// The items listed in one sentence, or nil when it lists fewer than two.
    public static func enumeration(in sentence: String) -> [String]? {
        let lower = sentence.lowercased()
        var listStart: String.Index?
        if let colon = sentence.lastIndex(of: ":") {
            listStart = sentence.index(after: colon)
        } else {
            for marker in [" such as ", " including "] {
                if let range = lower.range(of: marker) {
                    listStart = sentence.index(sentence.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: range.upperBound))
                    break
                }
            }
        }
        guard let listStart else { return nil }
        var list = String(sentence[listStart...]).trimmingCharacters(in: .whitespacesAndNewlines)
        list = list.trimmingCharacters(in: CharacterSet(charactersIn: ".?!"))
        let connectives = ["and ", "or "]
        var parts = list.components(separatedBy: CharacterSet(charactersIn: ",;"))
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        // "A, B and C" (no comma before the last item), or "A and B": the last part holds two items.
        if let last = parts.last, !connectives.contains(where: last.lowercased().hasPrefix) {
            for joint in [" and ", " or "] {
                if let range = last.range(of: joint) {
                    parts.removeLast()
                    parts += [String(last[..<range.lowerBound]), String(last[range.upperBound...])]
                    break
                }
            }
        }
        var items: [String] = []
        for part in parts {
            var item = part
            for connective in connectives where item.lowercased().hasPrefix(connective) {
                item = String(item.dropFirst(connective.count)).trimmingCharacters(in: .whitespaces)
            }
            if !item.isEmpty { items.append(item) }
        }
        return items.count >= 2 ? items : nil
    }

    static func wordRanges(in text: String) -> [(text: String, range: Range<String.Index>)] {
        var result: [(String, Range<String.Index>)] = []
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let isWord = text[index].isLetter || text[index].isNumber
            if isWord, start == nil { start = index }
            if !isWord, let s = start { result.append((text[s..<index].lowercased(), s..<index)); start = nil }
            index = text.index(after: index)
        }
        if let s = start { result.append((text[s...].lowercased(), s..<text.endIndex)) }
        return result
    }

    /// Sentences of `text`, each with its trailing whitespace: ends are `.`, `?`, `!` before whitespace or the end.
    static func sentenceRanges(in text: String) -> [Range<String.Index>] {
        var result: [Range<String.Index>] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if ".?!".contains(text[index]), next == text.endIndex || text[next].isWhitespace {
                var end = next
                while end < text.endIndex, text[end].isWhitespace { end = text.index(after: end) }
                result.append(start..<end)
                start = end
                index = end
                continue
            }
            index = next
        }
        if start < text.endIndex { result.append(start..<text.endIndex) }
        return result
    }
}
