import Foundation
import Retrieval
import Serve

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
        var line = "[\(source.number)] " + AnswerJSON.citation(path: source.path, startLine: source.startLine, endLine: source.endLine,
                                                            pageStart: source.pageStart, pageEnd: source.pageEnd)
        if !source.heading.isEmpty { line += " — \(source.heading)" }
        return line
    }

    /// After a streamed answer: end the line, then its sources as `rag ask` lists them.
    func finishText(_ result: ChatTurnResult) {
        console.stream("\n")
        if result.turn.interrupted { console.result(dim("[stopped]")) }
        if result.turn.answer != GroundedPrompt.noAnswer {
            console.result(dim(AnswerJSON.sourcesBlock(result.answer)))
        }
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

/// One turn in `rag chat --json`: the fields of `rag ask --json` (the same types, from `AnswerJSON`) with the
/// question as the user typed it, plus the turn number, the prompt size and what the chat memory did.
struct ChatTurnJSON: Encodable {
    var turn: Int
    var question: String
    var standaloneQuestion: String
    var answer: String
    var sources: [AnswerJSON.Source]
    var route: String
    var routeReason: String
    var timings: AnswerJSON.Timings
    var tokens: AnswerJSON.Tokens
    var promptTokens: Int
    var notices: [String]
    var interrupted: Bool
    var condenseMs: Double
    var summarizeMs: Double
    var summaryTokens: Int
    var memoryTokens: Int

    enum CodingKeys: String, CodingKey {
        case turn, question, answer, sources, route, timings, tokens, notices, interrupted
        case standaloneQuestion = "standalone_question"
        case routeReason = "route_reason"
        case promptTokens = "prompt_tokens"
        case condenseMs = "condense_ms"
        case summarizeMs = "summarize_ms"
        case summaryTokens = "summary_tokens"
        case memoryTokens = "memory_tokens"
    }

    init(_ result: ChatTurnResult) {
        let answer = AnswerJSON.payload(result.answer)
        turn = result.turn.number
        question = result.turn.question
        standaloneQuestion = result.turn.standaloneQuestion
        self.answer = answer.answer
        sources = answer.sources
        route = answer.route
        routeReason = answer.routeReason
        timings = answer.timings
        tokens = answer.tokens
        promptTokens = result.answer.promptTokens
        notices = result.notices
        interrupted = result.turn.interrupted
        condenseMs = result.condensing.seconds * 1000
        summarizeMs = (result.summarizing?.seconds ?? 0) * 1000
        summaryTokens = result.summaryTokens
        memoryTokens = result.memoryTokens
    }
}
