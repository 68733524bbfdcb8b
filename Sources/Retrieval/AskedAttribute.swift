import Foundation

/// The attribute a question asks about: the words after "what"/"which" up to a stop word ("What learning rate and
/// batch size were used …" → "learning rate", "batch size"), or after "how large/long/big is the" ("How large is the
/// tokenizer vocabulary of …" → "tokenizer vocabulary"). Passages that never name such an attribute cannot say what
/// it is, however many other words of the question they hold ("Mistral 7B" and "pre-train" are in the notes; a
/// learning rate is not).
public enum AskedAttribute {
    /// The attribute phrases of the question, lowercased words.
    public static func phrases(in question: String) -> [[String]] {
        let words = question.lowercased().replacingOccurrences(of: "'s", with: " is")
            .split { !$0.isLetter && !$0.isNumber && $0 != "_" }.map(String.init)
        var phrases: [[String]] = []
        var index = 0
        while index < words.count {
            guard var position = start(of: words, at: index) else {
                index += 1
                continue
            }
            var phrase: [String] = []
            while position < words.count {
                let word = words[position]
                if ["and", "or"].contains(word), !phrase.isEmpty {
                    phrases.append(phrase)
                    phrase = []
                } else if SupportTerms.isStopWord(word) {
                    break
                } else {
                    phrase.append(word)
                }
                position += 1
            }
            if !phrase.isEmpty { phrases.append(phrase) }
            index = max(position, index + 1)
        }
        return phrases
    }

    /// The first attribute of two or more words none of which the passages hold (all among `missingTerms`,
    /// `Answerability.missing`), as text; nil otherwise. A passage saying "a window of 4,096 tokens" answers
    /// "what window size", so one word named is enough; a one-word attribute ("Which techniques …") is too generic
    /// to judge.
    public static func unnamed(in question: String, missingTerms: [String]) -> String? {
        let missing = Set(missingTerms)
        let unnamed = phrases(in: question).first { phrase in
            phrase.count >= 2 && phrase.allSatisfy { missing.contains(SupportTerms.stem($0)) }
        }
        return unnamed?.joined(separator: " ")
    }

    /// Where an attribute phrase starts after `index`, if a question word opens one there.
    static func start(of words: [String], at index: Int) -> Int? {
        let word = words[index]
        if ["what", "which"].contains(word) { return index + 1 }
        let measures = ["large", "big", "long", "many", "much"]
        guard word == "how", index + 2 < words.count, measures.contains(words[index + 1]),
              ["is", "are", "was", "were"].contains(words[index + 2]) else { return nil }
        var position = index + 3
        while position < words.count, ["the", "a", "an"].contains(words[position]) { position += 1 }
        return position
    }
}
