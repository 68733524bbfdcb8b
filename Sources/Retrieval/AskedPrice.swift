import Foundation

/// Questions about money and the amounts that answer them.
///
/// "What does Gemini 1.5 Pro cost per million input tokens?" shares most of its words with a note that gives Gemini
/// 1.5 Pro's context length, so similarity and word coverage let it through and the model invents a price. A price
/// is answered only by a stated amount of money ("$7", "€0.50", "3 dollars"); when no retrieved passage states one,
/// the documents don't say. Only clear money questions count: "cost" alone is usually compute or memory in technical
/// notes ("what does attention cost at 1M tokens?"), so it needs a billing unit ("per month", "per million input
/// tokens") or a money word beside it. Text in quotes is a mention, not the question ("a user asks 'and how much
/// does that cost?'").
public enum AskedPrice {
    /// The question asks for an amount of money.
    public static func asksForMoney(_ question: String) -> Bool {
        let unquoted = withoutQuotes(question)
        if unquoted.contains(where: { currencySymbols.contains($0) }) { return true }
        let words = unquoted.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        if words.contains(where: moneyWords.contains) { return true }
        if zip(words, words.dropFirst()).contains(where: { $0 == "how" && $1 == "much" }),
           words.contains("money") { return true }
        // "cost(s) … per month", "charge … per million input tokens": a cost verb, then "per" and a billing unit.
        for (index, word) in words.enumerated() where costWords.contains(word) {
            let after = words[(index + 1)...].prefix(8)
            guard let per = after.firstIndex(of: "per"), per + 1 < words.count else { continue }
            let unit = words[per + 1]
            if billingPeriods.contains(unit) { return true }
            if countUnits.contains(unit), words.contains(where: ["input", "output", "api"].contains) { return true }
        }
        return false
    }

    /// `text` states an amount of money: a currency symbol or code next to a number, or a number and a currency
    /// word ("$0.50", "7 €", "USD 20", "3 dollars", "50 cents").
    public static func statesAmount(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        return amountPattern.firstMatch(in: text, range: range) != nil
    }

    static let currencySymbols: Set<Character> = ["$", "€", "£", "¥", "₹"]
    static let moneyWords: Set<String> = ["price", "prices", "priced", "pricing", "fee", "fees", "dollar", "dollars",
                                          "euro", "euros", "usd", "eur", "gbp", "subscription", "tariff"]
    static let costWords: Set<String> = ["cost", "costs", "charge", "charges", "charged", "bill", "billed"]
    static let billingPeriods: Set<String> = ["month", "year", "hour", "day", "week", "seat", "user", "license"]
    static let countUnits: Set<String> = ["million", "thousand", "billion", "1m", "1k", "1000", "1000000"]

    // nonisolated(unsafe): NSRegularExpression is immutable after creation and documented as thread-safe.
    nonisolated(unsafe) static let amountPattern = try! NSRegularExpression(
        pattern: #"[$€£¥₹]\s?\d|\d\s?[€£¥₹]|\b(?:usd|eur|gbp|us\$)\s?\d|\d[\d,.]*\s?(?:dollars?|euros?|cents?|usd|eur|gbp|pounds? sterling)\b"#,
        options: [.caseInsensitive])

    /// `text` without the parts between matching quotes ("…", “…”, '…' that opens after a space).
    static func withoutQuotes(_ text: String) -> String {
        var result = ""
        var closing: Character?
        var previous: Character = " "
        for character in text {
            if let open = closing {
                if character == open { closing = nil }
            } else if character == "\"" {
                closing = "\""
            } else if character == "“" {
                closing = "”"
            } else if character == "'", previous.isWhitespace {
                closing = "'"
            } else {
                result.append(character)
            }
            previous = character
        }
        return closing == nil ? result : text   // an unclosed quote was an apostrophe or a typo: keep everything
    }
}
