import Foundation
import Retrieval

/// How chat turns are printed: plain text (answer, then its sources) or one JSON object per turn.
struct ChatOutput {
    let console: Console
    let json: Bool
    /// ANSI colours (interactive terminal, `NO_COLOR` unset).
    let colour: Bool

    func dim(_ text: String) -> String { colour ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
    func bold(_ text: String) -> String { colour ? "\u{1B}[1m\(text)\u{1B}[0m" : text }

    /// `[n] path:start-end — heading`
    static func sourceLine(_ source: ChatSourceReference) -> String {
        var line = "[\(source.number)] \(source.path):\(source.startLine)-\(source.endLine)"
        if !source.heading.isEmpty { line += " — \(source.heading)" }
        return line
    }

    /// The sources printed under an answer: the cited ones, or all of them when the answer cites none.
    static func shownSources(of turn: ChatTurn) -> [ChatSourceReference] {
        let cited = turn.sources.filter { turn.cited.contains($0.number) }
        return cited.isEmpty ? turn.sources : cited
    }

    /// After a streamed answer: end the line, then the sources.
    func finishText(_ result: ChatTurnResult) {
        console.stream("\n")
        if result.turn.interrupted { console.result(dim("[stopped]")) }
        let sources = Self.shownSources(of: result.turn)
        guard !sources.isEmpty, result.turn.answer != GroundedPrompt.noAnswer else {
            console.stream("\n")
            return
        }
        console.result(dim("Sources:"))
        for source in sources { console.result(dim("  " + Self.sourceLine(source))) }
        console.stream("\n")
    }

    func printJSON(_ result: ChatTurnResult) throws {
        try printJSONLine(ChatTurnJSON(result))
    }

    /// A turn that failed still gets a line in `--json` mode, so that answers stay aligned with questions.
    func printJSONError(question: String, message: String) throws {
        try printJSONLine(["question": question, "error": message])
    }

    private func printJSONLine<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        console.result(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// One turn in `rag chat --json`: the fields of `rag ask --json` plus the turn number and prompt size,
/// and what the chat memory did (condensed question, summary and memory sizes).
struct ChatTurnJSON: Encodable {
    struct Source: Encodable {
        var n: Int
        var path: String
        var startLine: Int
        var endLine: Int
        var heading: String
        var score: Double

        enum CodingKeys: String, CodingKey {
            case n, path, heading, score
            case startLine = "start_line"
            case endLine = "end_line"
        }
    }

    struct Timings: Encodable {
        var condense: Double
        var retrieval: Double
        var prefill: Double
        var decode: Double
        var summarize: Double
    }

    var turn: Int
    var question: String
    var standaloneQuestion: String
    var answer: String
    var sources: [Source]
    var cited: [Int]
    var route: String
    var timings: Timings
    var tokens: Int
    var promptTokens: Int
    var summaryTokens: Int
    var memoryTokens: Int
    var interrupted: Bool
    var notices: [String]

    enum CodingKeys: String, CodingKey {
        case turn, question, answer, sources, cited, route, timings, tokens, interrupted, notices
        case standaloneQuestion = "standalone_question"
        case promptTokens = "prompt_tokens"
        case summaryTokens = "summary_tokens"
        case memoryTokens = "memory_tokens"
    }

    init(_ result: ChatTurnResult) {
        let answer = result.answer
        turn = result.turn.number
        question = result.turn.question
        standaloneQuestion = result.turn.standaloneQuestion
        self.answer = result.turn.answer
        sources = result.turn.sources.map {
            Source(n: $0.number, path: $0.path, startLine: $0.startLine, endLine: $0.endLine, heading: $0.heading,
                   score: ($0.score * 10_000).rounded() / 10_000)
        }
        cited = result.turn.cited
        route = answer.route
        let ms = { (value: Double) in (value * 10).rounded() / 10 }
        timings = Timings(condense: ms(result.condensing.seconds * 1000),
                          retrieval: ms(answer.timings.embedMs + answer.timings.retrievalMs),
                          prefill: ms(answer.timings.prefillMs), decode: ms(answer.timings.decodeMs),
                          summarize: ms((result.summarizing?.seconds ?? 0) * 1000))
        tokens = answer.generatedTokens
        promptTokens = answer.promptTokens
        summaryTokens = result.summaryTokens
        memoryTokens = result.memoryTokens
        interrupted = result.turn.interrupted
        notices = result.notices
    }
}
