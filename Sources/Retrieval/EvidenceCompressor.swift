import Foundation
import Index

/// Extractive compression of the packed sources (RECOMP-style): keep only the sentences that bear on
/// the question. A 135M-parameter generator answers far better from five relevant sentences than from
/// 1,500 tokens of loosely related text, and prefill gets cheaper. Sources keep their numbers' order
/// and their line ranges (a citation still points at the passage that holds the sentence).
public struct EvidenceCompressor {
    public let embedder: TextEmbedder
    /// Sentences kept over all sources.
    public var maxSentences = 6
    /// Weight of the share of question words a sentence contains, next to its cosine similarity.
    public var lexicalWeight = 0.3
    /// Weight of the retrieval score of the sentence's source (min–max normalized over the sources), so that a
    /// sentence of the best passage wins a near tie against a sentence of a weaker one.
    public var sourceWeight = 0.2

    public init(embedder: TextEmbedder) {
        self.embedder = embedder
    }

    /// `questionVector`: the question's embedding when the caller already has it (retrieval computed it);
    /// empty to embed the question here.
    /// `phrasings`: further weighted embeddings of the same search (a chat follow-up with its context, `QueryFusion`);
    /// a sentence's similarity is then its best weighted cosine over the question and these.
    public func compress(_ context: PackedContext, question: String, questionVector: [Float] = [],
                         phrasings: [WeightedVector] = []) throws -> PackedContext {
        let total = context.sources.reduce(0) { $0 + Self.sentences(of: $1.text).count }
        guard total > maxSentences else { return context }
        let ranked = try rank(context, question: question, questionVector: questionVector, phrasings: phrasings)
        var kept = Array(ranked.prefix(maxSentences))
        // A question asking several things keeps, beyond the best sentences, the best one for each part they miss.
        let asked = AskedParts(question: question)
        if asked.isMultiPart { kept = asked.completed(kept, from: ranked, extra: asked.parts.count - 1) }
        let keptBySource = Dictionary(grouping: kept, by: \.source)

        var sources: [ContextSource] = []
        for source in context.sources {
            guard let chosen = keptBySource[source.number] else { continue }
            var compressed = source
            compressed.number = sources.count + 1
            compressed.text = chosen.sorted { $0.order < $1.order }.map(\.text).joined(separator: " … ")
            sources.append(compressed)
        }
        return PackedContext(sources: sources, tokenCount: context.tokenCount, droppedChunks: context.droppedChunks,
                             truncated: context.truncated)
    }

    /// Every sentence of the sources, best first: cosine similarity with the question, plus `lexicalWeight` × the
    /// share of question words it contains, plus `sourceWeight` × its source's normalized retrieval score. With
    /// `phrasings`, the similarity is the best weighted cosine over the question (weight 1) and the phrasings.
    public func rank(_ context: PackedContext, question: String, questionVector: [Float] = [],
                     phrasings: [WeightedVector] = []) throws -> [RankedSentence] {
        var candidates: [RankedSentence] = []
        for source in context.sources {
            for (order, sentence) in Self.sentences(of: source.text).enumerated() {
                candidates.append(RankedSentence(text: sentence, source: source.number, order: order, score: 0))
            }
        }
        guard !candidates.isEmpty else { return [] }
        let questionTerms = Set(LexicalQuery.terms(in: question))
        let sourceScore = MinMax(context.sources.map(\.score))
        let scoreBySource = Dictionary(context.sources.map { ($0.number, $0.score) }, uniquingKeysWith: { first, _ in first })
        let query = questionVector.isEmpty ? try embedder.embed([question])[0] : questionVector
        let queries = [WeightedVector(query, weight: 1)] + phrasings
        let vectors = try embedder.embed(candidates.map(\.text))
        for index in candidates.indices {
            let vector = vectors[index]
            let cosine = queries.map { $0.weight * Double(dot($0.vector, vector)) }.max() ?? 0
            let terms = Set(LexicalQuery.terms(in: candidates[index].text))
            let overlap = questionTerms.isEmpty ? 0 : Double(questionTerms.intersection(terms).count) / Double(questionTerms.count)
            let prior = context.sources.count > 1 ? sourceScore.normalize(scoreBySource[candidates[index].source] ?? 0) : 0
            candidates[index].cosine = cosine
            candidates[index].score = cosine + lexicalWeight * overlap + sourceWeight * prior
        }
        return candidates.sorted { $0.score > $1.score }
    }

    /// Sentences and list items of a passage; Markdown headings and fragments shorter than
    /// `minimumLength` characters are left out. A period between digits ("1.5") ends no sentence. A table row is one
    /// sentence naming its columns (`MarkdownTableRows`).
    static func sentences(of text: String, minimumLength: Int = 12) -> [String] {
        var result: [String] = []
        // Lines, and the pieces compressed evidence joined with " … " (each was a sentence of its own).
        let lines = MarkdownTableRows.linearized(text.components(separatedBy: "\n"))
        for line in lines.flatMap({ $0.components(separatedBy: " … ") }) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var current = ""
            let characters = Array(trimmed)
            for (index, character) in characters.enumerated() {
                current.append(character)
                let atEnd = index + 1 == characters.count
                let boundary = (character == "." || character == "?" || character == "!") &&
                    (atEnd || characters[index + 1] == " ") &&
                    !(index > 0 && characters[index - 1].isNumber && !atEnd && characters[index + 1].isNumber) &&
                    !SentenceSplitter.endsWithAbbreviation(current)
                if boundary || atEnd {
                    // Compressed evidence joins its sentences with " … ".
                    let sentence = current.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "…")))
                    if sentence.count >= minimumLength { result.append(sentence) }
                    current = ""
                }
            }
        }
        return result
    }
}

/// An embedding with the weight its similarities get.
public struct WeightedVector: Sendable, Equatable {
    public var vector: [Float]
    public var weight: Double

    public init(_ vector: [Float], weight: Double) {
        self.vector = vector
        self.weight = weight
    }
}

func dot(_ a: [Float], _ b: [Float]) -> Float {
    var sum: Float = 0
    for d in 0..<min(a.count, b.count) { sum += a[d] * b[d] }
    return sum
}

/// One sentence of a source, scored against the question by `EvidenceCompressor.rank`.
public struct RankedSentence: Sendable, Equatable {
    public var text: String
    /// The number of its source.
    public var source: Int
    /// Position among its source's sentences.
    public var order: Int
    public var score: Double
    /// Cosine similarity between the sentence and the question.
    public var cosine: Double = 0

    public init(text: String, source: Int, order: Int, score: Double) {
        self.text = text
        self.source = source
        self.order = order
        self.score = score
    }
}
