import Foundation

/// Ends generated text that starts to loop: stops at the first word n-gram (default 4 words) that the text
/// already holds ("key-value-key-value-…", a sentence said twice). Words as `Terms.words` cuts them, so
/// hyphenated runs count word by word.
public struct LoopGuard: Sendable {
    public let n: Int
    private var words: [String] = []
    private var seen = Set<[String]>()
    public private(set) var looped = false

    public init(n: Int = 4) { self.n = n }

    /// Reads `text`; true once some n-gram has occurred twice.
    public mutating func read(_ text: String) -> Bool {
        for word in Terms.words(text) {
            words.append(word)
            guard words.count >= n else { continue }
            let gram = Array(words.suffix(n))
            if !seen.insert(gram).inserted { looped = true }
        }
        return looped
    }
}

/// The generated answer of the reading routes, shown sentence by sentence only while each sentence passes
/// `FaithfulnessCheck` against some evidence unit of the sources it was written from; the sentence gets that
/// unit's source as its `[n]`. The first sentence that no unit supports, or that repeats earlier text, ends it.
public struct VerifiedStream {
    public let units: [(unit: EvidenceUnit, source: Int)]
    public let question: String
    private var splitter = SentenceSplitter()
    private var loopGuard = LoopGuard()
    public private(set) var shown = ""
    /// The first sentence that was not shown because no unit supports it.
    public private(set) var unsupported: String?
    public private(set) var stopped = false

    public init(sources: [ContextSource], question: String) {
        self.question = question
        units = sources.flatMap { source in
            let record = ChunkRecord(id: source.chunkIds.first ?? 0, documentId: source.documentId, path: source.path,
                                     rootPath: source.rootPath, ordinal: 0, heading: source.heading, text: source.text,
                                     startLine: source.startLine, endLine: source.endLine, charStart: 0, charEnd: 0)
            return EvidenceUnits.split(record, rank: 0, score: 0, dense: 0).map { (unit: $0, source: source.number) }
        }
    }

    /// The verified text `piece` completes.
    public mutating func feed(_ piece: String) -> String {
        guard !stopped else { return "" }
        return splitter.feed(piece).map { verify($0) }.joined()
    }

    /// The verified rest, at the end of generation.
    public mutating func finish() -> String {
        guard !stopped, let rest = splitter.finish() else { return "" }
        return verify(rest)
    }

    private mutating func verify(_ raw: String) -> String {
        guard !stopped else { return "" }
        let sentence = CitationMarkers.removingAll(from: raw).trimmingCharacters(in: .whitespacesAndNewlines)
        if sentence.isEmpty { return "" }
        if loopGuard.read(sentence) {
            stopped = true
            return ""
        }
        let check = FaithfulnessCheck()
        guard let support = units.first(where: { check.failure(claim: sentence, unit: $0.unit.text, question: question) == nil }) else {
            unsupported = sentence
            stopped = true
            return ""
        }
        let text = (shown.isEmpty ? "" : " ") + CitationMarkers.appending([support.source], to: sentence)
        shown += text
        return text
    }
}
