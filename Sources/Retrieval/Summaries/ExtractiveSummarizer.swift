import Foundation
import Index
import ModelKit

/// A document summary made of the document's own sentences: the set of sentences that best covers the document,
/// within a word budget, in document order, each cited with its lines. Never generated text, so it cannot loop
/// or state what the document does not.
public struct ExtractiveSummarizer {
    /// The few numbers that shape a summary, each chosen on the dev split of `eval/summaries` (19 documents, 152 facts;
    /// the test split was not looked at while choosing). `docs/summaries.md` has the measurements.
    public struct Settings: Sendable {
        /// Weight of `1 / (1 + rank)`, the rank of a sentence within its section (0 for the first sentence): sections
        /// open with what they are about. Tried 0, 0.2, 0.3, 0.5, 0.7, 0.8; 0.5 covered the most facts.
        public var positionWeight = 0.5
        /// Weight of specificity, the share of a sentence's words that are numbers, names or identifiers: a summary
        /// that says what the document says carries its figures and names. Tried 0 to 1.5; 0.6 to 1.0 were best.
        public var specificityWeight = 0.6
        /// Weight of `1 − position in the document` (0 at the end): documents state their point early.
        /// Tried 0, 0.1, 0.2, 0.3, 0.4; 0.2 was best.
        public var earlyWeight = 0.2
        /// MMR penalty on the similarity to the closest sentence already chosen. Tried 0 to 1; 0.6 was best.
        public var redundancyWeight = 0.6
        /// Scores are divided by words^lengthExponent: 0 favours long sentences, 1 short ones. Tried 0, 0.25, 0.5,
        /// 0.75, 1; 0.5 was best.
        public var lengthExponent = 0.5
        /// Candidates shorter than this many words are skipped (navigation, labels, the terms of a definition list).
        public var minWords = 4
        /// Cost bound: at most this many sentences are embedded (the first ones of every section; see
        /// `boundedSelection`). 600 sentences embed in about 4 s on 2 cores.
        public var maxEmbeddedSentences = 600
        /// Above this many embedded sentences the summary is built in two levels: each run of sections with at least
        /// `groupSize` sentences is summarized to the word budget, then those key sentences are summarized again.
        /// On the dev split, two levels forced on every document covered 63.2% of the facts (groups of 40; 60.5% with
        /// groups of 20), against 63.8% with the default, which uses two levels only for the one dev document above 150.
        public var hierarchyThreshold = 150
        public var groupSize = 40

        public init() {}
    }

    public let embedder: TextEmbedder
    public var settings: Settings

    public init(embedder: TextEmbedder, settings: Settings = Settings()) {
        self.embedder = embedder
        self.settings = settings
    }

    /// The summary of one document from its chunks (all of them, any order), in at most `words` words.
    public func summarize(chunks: [ChunkRecord], words: Int = 200) throws -> DocumentSummary {
        let start = Date()
        let prepared = try prepare(chunks: chunks, words: words)
        var chosen = select(prepared, words: words).map { prepared.candidates[$0] }
        // Only when no sentence fits the budget: the first one, cut to it.
        if chosen.count == 1, chosen[0].words > words {
            chosen[0].text = chosen[0].text.split(whereSeparator: \.isWhitespace).prefix(words).joined(separator: " ") + "…"
            chosen[0].words = words
        }
        return Self.summary(of: chosen, seconds: Date().timeIntervalSince(start))
    }

    /// The candidates of a document and, when they do not all fit the budget, their embeddings.
    struct Prepared {
        var candidates: [DocumentSentence]
        /// Indices (into `candidates`) that were embedded, with their vectors (row-major, unit length).
        var embedded: [Int]
        var vectors: [Float]
        var dimension: Int
        /// True when the whole document fits the budget (nothing to choose).
        var fits: Bool
    }

    func prepare(chunks: [ChunkRecord], words: Int) throws -> Prepared {
        let candidates = Self.candidates(DocumentSentences.of(chunks), minWords: settings.minWords)
        let dimension = embedder.identity.dimension
        if candidates.map(\.words).reduce(0, +) <= words {
            return Prepared(candidates: candidates, embedded: [], vectors: [], dimension: dimension, fits: true)
        }
        let embedded = Self.boundedSelection(candidates, limit: settings.maxEmbeddedSentences)
        let rows = try embedder.embed(embedded.map { candidates[$0].text })
        return Prepared(candidates: candidates, embedded: embedded, vectors: rows.flatMap { $0 }, dimension: dimension, fits: false)
    }

    /// Sentences a summary may quote: prose and table rows of at least `minWords` words; when a document has none,
    /// any prose or table row (a one-line document still gets its line).
    static func candidates(_ sentences: [DocumentSentence], minWords: Int) -> [DocumentSentence] {
        let quotable = sentences.filter { $0.kind == .prose || $0.kind == .tableRow }
        let long = quotable.filter { $0.words >= minWords }
        return long.isEmpty ? quotable : long
    }

    /// At most `limit` candidates to embed: the first k of every section, with k as large as the limit allows
    /// (sections are read from their start), and when even one per section is too many, the first sentence of
    /// evenly spaced sections.
    static func boundedSelection(_ candidates: [DocumentSentence], limit: Int) -> [Int] {
        guard candidates.count > limit else { return Array(candidates.indices) }
        var bySection: [Int: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() { bySection[candidate.section, default: []].append(index) }
        let sections = bySection.keys.sorted()
        if sections.count >= limit {
            let step = Double(sections.count) / Double(limit)
            return (0..<limit).map { bySection[sections[Int(Double($0) * step)]]![0] }
        }
        var perSection = 1
        while true {
            let next = sections.map { min(bySection[$0]!.count, perSection + 1) }.reduce(0, +)
            if next > limit || next == sections.map({ min(bySection[$0]!.count, perSection) }).reduce(0, +) { break }
            perSection += 1
        }
        return sections.flatMap { bySection[$0]!.prefix(perSection) }.sorted()
    }

    /// Indices into `prepared.candidates` of the chosen sentences, in document order.
    func select(_ prepared: Prepared, words: Int) -> [Int] {
        let candidates = prepared.candidates
        if prepared.fits {
            var grams = FourGrams()
            return candidates.indices.filter { index in
                guard grams.canAdd(candidates[index].text) else { return false }
                grams.add(candidates[index].text)
                return true
            }
        }
        let n = prepared.embedded.count
        guard n > 0 else { return [] }
        let sentences = prepared.embedded.map { candidates[$0] }
        let prior = Self.priors(sentences, settings: settings)
        var pool = Array(0..<n)
        if n > settings.hierarchyThreshold {
            // Level 1: key sentences of each run of sections; level 2 (below): the summary of the key sentences.
            pool = Self.groups(sentences, minimumSize: settings.groupSize).flatMap { group in
                mmr(group, prepared: prepared, prior: prior, sentences: sentences, words: words)
            }.sorted()
        }
        var chosen = mmr(pool, prepared: prepared, prior: prior, sentences: sentences, words: words)
        if chosen.isEmpty, let first = pool.first { chosen = [first] }
        return chosen.map { prepared.embedded[$0] }.sorted()
    }

    /// Position and specificity part of each sentence's relevance (centrality is added per level).
    static func priors(_ sentences: [DocumentSentence], settings: Settings) -> [Double] {
        var rankInSection: [Int: Int] = [:]
        let n = sentences.count
        return sentences.enumerated().map { index, sentence in
            let rank = rankInSection[sentence.section, default: 0]
            rankInSection[sentence.section] = rank + 1
            let position = n > 1 ? Double(index) / Double(n - 1) : 0
            return settings.positionWeight / Double(1 + rank) + settings.specificityWeight * specificity(sentence.text)
                + settings.earlyWeight * (1 - position)
        }
    }

    /// Consecutive sections merged until each group holds at least `minimumSize` sentences (indices into `sentences`).
    static func groups(_ sentences: [DocumentSentence], minimumSize: Int) -> [[Int]] {
        var groups: [[Int]] = []
        var current: [Int] = []
        for (index, sentence) in sentences.enumerated() {
            if let last = current.last, sentences[last].section != sentence.section, current.count >= minimumSize {
                groups.append(current)
                current = []
            }
            current.append(index)
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    /// MMR over `pool` (indices into the embedded sentences) within `words` words: repeatedly the sentence with the
    /// best (relevance − redundancyWeight × similarity to the closest chosen sentence) / words^lengthExponent, where
    /// relevance is the similarity to the pool's centroid plus the prior. Skips near-duplicates (cosine > 0.95) of a
    /// chosen sentence and any sentence that would make a 4-word sequence occur a third time in the summary.
    func mmr(_ pool: [Int], prepared: Prepared, prior: [Double], sentences: [DocumentSentence], words: Int) -> [Int] {
        let m = pool.count
        guard m > 0 else { return [] }
        let d = prepared.dimension
        var vectors = [Float](repeating: 0, count: m * d)
        for (row, index) in pool.enumerated() {
            for k in 0..<d { vectors[row * d + k] = prepared.vectors[index * d + k] }
        }
        var similarity = [Float](repeating: 0, count: m * m)
        vectors.withUnsafeBufferPointer { v in
            similarity.withUnsafeMutableBufferPointer { s in
                BLAS.matmulTransposedB(v.baseAddress!, v.baseAddress!, s.baseAddress!, m: m, n: m, k: d)
            }
        }
        var centroid = [Double](repeating: 0, count: d)
        for row in 0..<m { for k in 0..<d { centroid[k] += Double(vectors[row * d + k]) } }
        let norm = max(1e-9, sqrt(centroid.reduce(0) { $0 + $1 * $1 }))
        let relevance = (0..<m).map { row in
            (0..<d).reduce(0.0) { $0 + centroid[$1] * Double(vectors[row * d + $1]) } / norm + prior[pool[row]]
        }
        var chosen: [Int] = []
        var remaining = words
        var closest = [Double](repeating: 0, count: m)
        var available = Set(0..<m)
        var grams = FourGrams()
        while true {
            var best: (row: Int, score: Double)? = nil
            for row in available where sentences[pool[row]].words <= remaining {
                let penalty = chosen.isEmpty ? 0 : settings.redundancyWeight * closest[row]
                let score = (relevance[row] - penalty) / pow(Double(sentences[pool[row]].words), settings.lengthExponent)
                if best == nil || score > best!.score || (score == best!.score && row < best!.row) { best = (row, score) }
            }
            guard let pick = best else { break }
            available.remove(pick.row)
            let text = sentences[pool[pick.row]].text
            guard grams.canAdd(text) else { continue }
            grams.add(text)
            chosen.append(pick.row)
            remaining -= sentences[pool[pick.row]].words
            for row in 0..<m { closest[row] = max(closest[row], Double(similarity[row * m + pick.row])) }
            for row in available where similarity[row * m + pick.row] > 0.95 { available.remove(row) }
        }
        return chosen.map { pool[$0] }
    }

    /// Share of a sentence's words that are specific: with a digit, an underscore or parenthesis inside, a capital
    /// after the first letter, a capital initial (but the first word), or an inner dot (`list.sort`, `3.7.0`).
    static func specificity(_ text: String) -> Double {
        let tokens = text.split(whereSeparator: \.isWhitespace)
        guard tokens.count > 1 else { return 0 }
        let edges = CharacterSet(charactersIn: ".,;:!?()\"'“”‘’")
        var specific = 0
        for (index, token) in tokens.enumerated() {
            let core = String(token).trimmingCharacters(in: edges)
            guard let first = core.first else { continue }
            if core.contains(where: \.isNumber) || core.contains("_") || core.contains("(") || core.dropFirst().contains(where: \.isUppercase)
                || (index > 0 && first.isUppercase) || (core.contains(".") && core.count > 2) {
                specific += 1
            }
        }
        return Double(specific) / Double(tokens.count)
    }

    static func summary(of sentences: [DocumentSentence], seconds: Double) -> DocumentSummary {
        let shown = sentences.map { SummarySentence(text: $0.text, path: $0.path, startLine: $0.startLine, endLine: $0.endLine, heading: $0.heading) }
        return DocumentSummary(sentences: shown, words: sentences.map(\.words).reduce(0, +), seconds: seconds)
    }

    /// The baseline: the first sentence of each section, in order, while the budget holds (a sentence that would
    /// overflow it is skipped, as the summarizer skips it).
    public static func firstSentences(chunks: [ChunkRecord], words: Int = 200, minWords: Int = Settings().minWords) -> DocumentSummary {
        let start = Date()
        let candidates = Self.candidates(DocumentSentences.of(chunks), minWords: minWords)
        var seen = Set<Int>()
        var remaining = words
        var chosen: [DocumentSentence] = []
        for candidate in candidates where seen.insert(candidate.section).inserted && candidate.words <= remaining {
            chosen.append(candidate)
            remaining -= candidate.words
        }
        return summary(of: chosen, seconds: Date().timeIntervalSince(start))
    }
}

/// Counts of 4-word sequences in a summary, to refuse a sentence that would make one occur a third time (a loop).
struct FourGrams {
    private var counts: [String: Int] = [:]

    static func grams(_ text: String) -> [String] {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace)
        guard words.count >= 4 else { return [] }
        return (0...(words.count - 4)).map { words[$0..<($0 + 4)].joined(separator: " ") }
    }

    func canAdd(_ text: String) -> Bool {
        var added: [String: Int] = [:]
        for gram in Self.grams(text) {
            added[gram, default: 0] += 1
            if counts[gram, default: 0] + added[gram]! >= 3 { return false }
        }
        return true
    }

    mutating func add(_ text: String) {
        for gram in Self.grams(text) { counts[gram, default: 0] += 1 }
    }
}
