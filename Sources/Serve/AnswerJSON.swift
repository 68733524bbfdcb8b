import Foundation
import Retrieval

/// The JSON and text renderings of an answer, shared by `ask`, `chat` and `serve`.
public enum AnswerJSON {
    public struct Source: Encodable, Sendable {
        public let n: Int
        public let path: String
        public let startLine: Int
        public let endLine: Int
        public let heading: String
        public let score: Double
        public let cited: Bool
        /// PDF pages (absent for other formats).
        public let pageStart: Int?
        public let pageEnd: Int?
        enum CodingKeys: String, CodingKey {
            case n, path, heading, score, cited
            case startLine = "start_line"
            case endLine = "end_line"
            case pageStart = "page_start"
            case pageEnd = "page_end"
        }
    }

    /// How a citation reads: `manual.pdf p. 12–13` (or `p. 12`) for a PDF, `notes.md:4-9` otherwise.
    public static func citation(path: String, startLine: Int, endLine: Int, pageStart: Int?, pageEnd: Int?) -> String {
        guard let pageStart else { return "\(path):\(startLine)-\(endLine)" }
        let last = max(pageStart, pageEnd ?? pageStart)
        return last == pageStart ? "\(path) p. \(pageStart)" : "\(path) p. \(pageStart)–\(last)"
    }

    public struct Timings: Encodable, Sendable {
        public let embedding: Double
        public let retrieval: Double
        public let prefill: Double
        public let decode: Double
        public let firstToken: Double?
        enum CodingKeys: String, CodingKey {
            case embedding = "embedding_ms"
            case retrieval = "retrieval_ms"
            case prefill = "prefill_ms"
            case decode = "decode_ms"
            case firstToken = "first_token_ms"
        }
    }

    public struct Tokens: Encodable, Sendable {
        public let prompt: Int
        public let generated: Int
    }

    /// The no-answer gate's signals.
    public struct Evidence: Encodable, Sendable {
        public let similarity: Double
        public let coverage: Double
        public let missing: [String]
        /// When the answer was replaced by quoted evidence: the share of the question's words that evidence holds.
        public let quoteCoverage: Double?
        enum CodingKeys: String, CodingKey {
            case similarity, coverage, missing
            case quoteCoverage = "quote_coverage"
        }
    }

    /// The refusal decision of the rag route: P(answerable), the threshold, and the unit it came from.
    public struct Answerability: Encodable, Sendable {
        public let score: Double
        public let threshold: Double
        public let refused: Bool
        public let path: String?
        public let startLine: Int?
        public let endLine: Int?
        public let unit: String?
        enum CodingKeys: String, CodingKey {
            case score, threshold, refused, path, unit
            case startLine = "start_line"
            case endLine = "end_line"
        }
    }

    public struct Answer: Encodable, Sendable {
        public let question: String
        public let answer: String
        /// model | model-cut | extractive | refusal
        public let origin: String
        public let unsupportedSentence: String?
        public let sources: [Source]
        public let route: String
        public let routeReason: String
        public let evidence: Evidence?
        public let answerability: Answerability?
        public let timings: Timings
        public let tokens: Tokens
        public let notices: [String]
        enum CodingKeys: String, CodingKey {
            case question, answer, origin, sources, route, evidence, answerability, timings, tokens, notices
            case routeReason = "route_reason"
            case unsupportedSentence = "unsupported_sentence"
        }
    }

    public static func payload(_ result: AskResult) -> Answer {
        let shown = listedSources(result)
        let sources = shown.map { source in
            Source(n: source.number, path: source.path, startLine: source.startLine, endLine: source.endLine,
                   heading: source.heading, score: source.score, cited: result.cited.contains(source.number),
                   pageStart: source.pageStart, pageEnd: source.pageEnd)
        }
        let t = result.timings
        let evidence = result.evidence.map { selection in
            Evidence(similarity: selection.answerability.bestChunkCosine, coverage: selection.answerability.retrievedOverlap,
                     missing: selection.missingTerms, quoteCoverage: selection.best?.features.overlap)
        }
        let answerability = result.evidence.map { selection in
            Answerability(score: selection.answerableProbability, threshold: selection.threshold,
                          refused: result.verdict?.isRefusal ?? false, path: selection.best?.unit.path,
                          startLine: selection.best?.unit.startLine, endLine: selection.best?.unit.endLine,
                          unit: selection.best?.unit.text)
        }
        return Answer(question: result.question, answer: result.answer, origin: result.origin.rawValue,
                      unsupportedSentence: result.unsupportedSentence, sources: sources, route: result.route,
                      routeReason: result.routeReason, evidence: evidence, answerability: answerability,
                      timings: Timings(embedding: t.embedMs, retrieval: t.retrievalMs, prefill: t.prefillMs, decode: t.decodeMs,
                                       firstToken: t.firstTokenMs),
                      tokens: Tokens(prompt: result.promptTokens, generated: result.generatedTokens), notices: result.notices)
    }

    public static func encode(_ result: AskResult) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(payload(result)), as: UTF8.self)
    }

    /// The cited sources, else every source used.
    public static func listedSources(_ result: AskResult) -> [ContextSource] {
        result.cited.isEmpty ? result.sources : result.cited.compactMap { n in result.sources.first { $0.number == n } }
    }

    /// `Sources:` then `[n] path:start-end — heading`, one per line.
    public static func sourcesBlock(_ result: AskResult) -> String {
        if result.sources.isEmpty || result.answer.hasPrefix(GroundedPrompt.noAnswer) { return "Sources: none" }
        var lines = [result.cited.isEmpty ? "Sources (not cited; used as context):" : "Sources:"]
        for source in listedSources(result) {
            var line = "[\(source.number)] " + citation(path: source.path, startLine: source.startLine, endLine: source.endLine,
                                                      pageStart: source.pageStart, pageEnd: source.pageEnd)
            if !source.heading.isEmpty { line += " — \(source.heading)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
