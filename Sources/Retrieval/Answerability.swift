import Foundation

/// How much of the question the retrieved passages cover: the signals of the no-answer gate.
public struct Answerability: Sendable, Equatable {
    /// Best cosine similarity between the question and any chunk of the index.
    public var similarity: Double
    /// Share of the question's content words and numbers that occur in the retrieved passages (0…1).
    public var coverage: Double
    /// The question's words and numbers that occur in none of the retrieved passages.
    public var missing: [String]
    /// The attribute the question asks about ("learning rate") when the passages never name it (`AskedAttribute`).
    public var unnamedAttribute: String?
    /// The question asks for an amount of money and no retrieved passage states one (`AskedPrice`).
    public var unstatedPrice: Bool

    public init(similarity: Double, coverage: Double, missing: [String], unnamedAttribute: String? = nil,
                unstatedPrice: Bool = false) {
        self.similarity = similarity
        self.coverage = coverage
        self.missing = missing
        self.unnamedAttribute = unnamedAttribute
        self.unstatedPrice = unstatedPrice
    }

    /// Measures `question` against the texts (and headings) of the retrieved passages. A question word counts as
    /// present when a passage has it, or a word sharing its stem ("dimensions" ~ "dimensional": a common prefix of
    /// at least five letters that leaves at most three letters of the shorter word).
    public init(question: String, passages: [String], similarity: Double) {
        let asked = SupportTerms(question).all
        let present = passages.reduce(into: Set<String>()) { $0.formUnion(SupportTerms($1).all) }
        let byPrefix = Dictionary(grouping: present.filter { $0.count >= 5 }, by: { String($0.prefix(5)) })
        let missing = asked.filter { term in
            if present.contains(term) { return false }
            guard term.count >= 5, !term.first!.isNumber else { return true }
            return !(byPrefix[String(term.prefix(5))] ?? []).contains { Self.sameStem(term, $0) }
        }.sorted()
        self.init(similarity: similarity,
                  coverage: asked.isEmpty ? 1 : Double(asked.count - missing.count) / Double(asked.count),
                  missing: missing, unnamedAttribute: AskedAttribute.unnamed(in: question, missingTerms: missing),
                  unstatedPrice: AskedPrice.asksForMoney(question) && !passages.contains(where: AskedPrice.statesAmount))
    }

    static func sameStem(_ a: String, _ b: String) -> Bool {
        let common = zip(a, b).prefix { $0 == $1 }.count
        return common >= 5 && common >= min(a.count, b.count) - 3
    }
}

/// When the documents are taken not to cover a question (answer "The documents don't say.", nothing generated).
/// Defaults chosen by measurement on the answerable and unanswerable sets (benchmarks/retrieval.md, "Refusals"):
/// similarity alone is noisy for short technical questions ("all-MiniLM-L6-v2 …" scores 0.32 against the passage
/// that answers it), so a weakly similar question is still answered when the retrieved passages hold every one
/// of its words.
public struct RefusalRule: Sendable {
    /// Below this best similarity the question is refused whatever the words say.
    public var minimumSimilarity = 0.25
    /// Below this best similarity the question is refused unless the passages cover `fullCoverage` of its words.
    public var weakSimilarity = 0.35
    public var fullCoverage = 1.0
    /// Refuse when the passages never name the attribute the question asks about (`AskedAttribute`).
    public var refuseUnnamedAttribute = true
    /// Refuse a question about money when no passage states an amount of money (`AskedPrice`).
    public var refuseUnstatedPrice = true

    public init() {}

    /// The reason to refuse, or nil to answer.
    public func refusal(_ signals: Answerability) -> String? {
        if signals.similarity < minimumSimilarity {
            return "no passage is similar enough to the question (best similarity \(format(signals.similarity)) < \(format(minimumSimilarity)))"
        }
        if signals.similarity < weakSimilarity, signals.coverage < fullCoverage {
            return "passages are only weakly similar (best similarity \(format(signals.similarity)) < \(format(weakSimilarity))) and miss \(signals.missing.joined(separator: ", "))"
        }
        if refuseUnnamedAttribute, let attribute = signals.unnamedAttribute {
            return "the passages never name the asked \"\(attribute)\""
        }
        if refuseUnstatedPrice, signals.unstatedPrice {
            return "the question asks for a price and no passage states an amount of money"
        }
        return nil
    }
}
