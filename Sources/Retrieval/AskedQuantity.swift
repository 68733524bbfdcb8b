import Foundation

/// What a counting question counts: "how many parameters does GPT-4 have?" → "parameter"; "which year …" → a year.
/// A quoted evidence sentence that states no such thing does not answer the question, whatever words it shares
/// with it ("GPT-3 had a context of only 2,048 tokens" counts tokens, not parameters).
public enum AskedQuantity {
    /// The nouns counted by the question's "how many <noun>" clauses (singular, lowercase).
    public static func countedNouns(in question: String) -> [String] {
        let words = question.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        var nouns: [String] = []
        for index in words.indices.dropLast(2) where words[index] == "how" && words[index + 1] == "many" {
            nouns.append(singular(words[index + 2]))
        }
        return nouns
    }

    /// The question asks for a year ("which year", "what year", "in which year").
    public static func asksForYear(_ question: String) -> Bool {
        let lower = question.lowercased()
        return lower.contains("which year") || lower.contains("what year")
    }

    /// False when the quote cannot answer the question: it names none of the counted nouns (a shared five-letter
    /// stem counts: "dimensions" ~ "dimensional"), no word of the asked attribute of a number question
    /// (`AskedAttribute`, two words or more), or states no year for a year question. True otherwise.
    public static func quoteCanAnswer(_ quote: String, question: String) -> Bool {
        let quoteWords = Set(quote.lowercased().split { !$0.isLetter && !$0.isNumber }.map { singular(String($0)) })
        for noun in countedNouns(in: question) {
            let named = quoteWords.contains(noun) || quoteWords.contains { Answerability.sameStem(noun, $0) }
            if !named { return false }
        }
        // "How large is the tokenizer vocabulary …?": a number about something else ("327,680 bytes" of a cache) does
        // not answer it; the quote must name the attribute (a word of it), as for a counted noun.
        if QuestionKind.expectsNumber(question) {
            for phrase in AskedAttribute.phrases(in: question) where phrase.count >= 2 {
                let named = phrase.map(singular).contains { word in
                    quoteWords.contains(word) || quoteWords.contains { closeForms(word, $0) }
                }
                if !named { return false }
            }
        }
        if asksForYear(question), !YearMentions.containsYear(quote) { return false }
        return true
    }

    /// Forms of one word: a common prefix of five letters or more that leaves at most three letters of either
    /// ("dimension" ~ "dimensional", but not "tokenizer" ~ "token").
    static func closeForms(_ a: String, _ b: String) -> Bool {
        let common = zip(a, b).prefix { $0 == $1 }.count
        return common >= 5 && common >= max(a.count, b.count) - 3
    }

    static func singular(_ word: String) -> String {
        word.count > 3 && word.hasSuffix("s") && !word.hasSuffix("ss") ? String(word.dropLast()) : word
    }
}
