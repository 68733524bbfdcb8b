import Foundation
import HTTPServer
import Retrieval

/// `POST /api/ask` and `POST /v1/chat/completions`: answers run on a generation worker; the connection's thread
/// waits for it. A streamed answer's events are written by the worker as the text comes; a write that fails (the
/// client left) stops the generation.
extension ServeAPI {
    struct AskRequest: Decodable {
        var question: String
        var k: Int?
        var budget: Int?
        var maxTokens: Int?
        var temperature: Double?
        var seed: UInt64?
        var route: String?

        enum CodingKeys: String, CodingKey {
            case question, k, budget, temperature, seed, route
            case maxTokens = "max_tokens"
        }
    }

    /// Same JSON as `rag ask --json`.
    func ask(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        let body = try decode(AskRequest.self, request)
        guard !body.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .badRequest("the question is empty") }
        var options = AskOptions()
        options.k = try bounded(body.k ?? settings.k, 1...100, "k")
        options.budget = try bounded(body.budget ?? settings.budget, 64...7000, "budget")
        options.generation = try generationOptions(maxTokens: body.maxTokens, temperature: body.temperature, seed: body.seed)
        if let name = body.route, name != "auto" {
            guard let route = Route(rawValue: name) else { throw .badRequest("route must be auto, \(Route.allCases.map(\.rawValue).joined(separator: ", "))") }
            options.route = route
        }
        let result: AskResult
        do {
            result = try backend.generation.run(isCancelled: { writer.clientHasGone }) { engine in
                try engine.ask(body.question, options: options, onText: { _ in !writer.clientHasGone })
            }
        } catch {
            throw Self.apiError(error)
        }
        try sendJSON(AnswerJSON.payload(result), writer)
    }

    /// OpenAI chat completions; model `rag` answers from the documents, the messages being the conversation.
    func chatCompletions(_ request: HTTPRequest, _ writer: ResponseWriter) throws(APIError) {
        let body = try decode(OpenAI.ChatRequest.self, request)
        guard body.model == settings.modelName else { throw .modelNotFound(body.model, available: [settings.modelName]) }
        let conversation = try Conversation(body.messages)
        var options = AskOptions()
        options.k = settings.k
        options.generation = try generationOptions(maxTokens: body.maxCompletionTokens ?? body.maxTokens,
                                                   temperature: body.temperature, seed: body.seed)
        var budget = ChatBudget()
        budget.sourcesTokens = settings.budget
        budget.answerTokens = options.generation.maxTokens
        let streaming = body.stream ?? false
        let id = "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let model = settings.modelName
        let chunk = { (delta: OpenAI.Delta, finish: String?) in
            OpenAI.ChatChunk(id: id, created: created, model: model, choices: [OpenAI.ChunkChoice(delta: delta, finishReason: finish)])
        }

        let result: ChatTurnResult
        do {
            result = try backend.generation.run(isCancelled: { writer.clientHasGone }) { engine in
                if streaming {
                    writer.beginStream(headers: HTTPHeaders([("Content-Type", "text/event-stream; charset=utf-8")]))
                    guard writer.write(try Self.event(chunk(OpenAI.Delta(role: "assistant", content: ""), nil))) else {
                        throw QueueError.cancelled
                    }
                }
                let chat = try ChatEngine(answerEngine: engine, store: conversation.store(), sessionName: Conversation.sessionName,
                                          budget: budget, options: options)
                return try chat.ask(conversation.question, onText: { piece in
                    guard streaming else { return !writer.clientHasGone }
                    guard let event = try? Self.event(chunk(OpenAI.Delta(content: piece), nil)) else { return false }
                    return writer.write(event)
                })
            }
        } catch {
            throw Self.apiError(error)
        }

        let answer = AnswerJSON.payload(result.answer)
        let usage = OpenAI.Usage(promptTokens: result.answer.promptTokens, completionTokens: result.answer.generatedTokens)
        let finish = result.turn.interrupted ? "length" : "stop"
        if streaming {
            var last = chunk(OpenAI.Delta(), finish)
            last.usage = usage
            last.sources = answer.sources
            writer.write(try Self.event(last))
            writer.write("data: [DONE]\n\n")
            writer.endStream()
            return
        }
        try sendJSON(OpenAI.ChatCompletion(id: id, created: created, model: model,
                                           choices: [OpenAI.Choice(message: OpenAI.ReplyMessage(content: answer.answer), finishReason: finish)],
                                           usage: usage, sources: answer.sources), writer)
    }

    static func event<T: Encodable>(_ value: T) throws(APIError) -> String {
        "data: " + String(decoding: try encode(value), as: UTF8.self) + "\n\n"
    }

    func generationOptions(maxTokens: Int?, temperature: Double?, seed: UInt64?) throws(APIError) -> GenerationOptions {
        var options = GenerationOptions()
        options.maxTokens = try bounded(maxTokens ?? settings.maxTokens, 1...settings.maxTokensLimit, "max_tokens")
        if let temperature {
            guard temperature.isFinite, (0...5).contains(temperature) else { throw .badRequest("temperature must be 0...5") }
            options.temperature = temperature
        }
        options.seed = seed ?? 0
        return options
    }

    func bounded(_ value: Int, _ range: ClosedRange<Int>, _ name: String) throws(APIError) -> Int {
        guard range.contains(value) else { throw .badRequest("\(name) must be \(range.lowerBound)...\(range.upperBound)") }
        return value
    }
}

/// The messages of a chat request as a conversation: earlier user/assistant pairs become remembered turns, the
/// last user message is the question. System messages are ignored (answers follow rag's grounded prompt).
struct Conversation {
    static let sessionName = "api"
    var turns: [ChatTurn]
    var question: String

    init(_ messages: [OpenAI.Message]) throws(APIError) {
        let spoken = messages.filter { $0.role != "system" && $0.role != "developer" }
        guard let last = spoken.last else { throw .badRequest("messages must end with a user message") }
        guard last.role == "user" else { throw .badRequest("the last message must be from the user") }
        let question = last.content?.text ?? ""
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .badRequest("the last user message is empty") }
        self.question = question
        var turns: [ChatTurn] = []
        for message in spoken.dropLast() {
            let text = message.content?.text ?? ""
            switch message.role {
            case "user":
                turns.append(ChatTurn(number: turns.count + 1, question: text, standaloneQuestion: text, answer: ""))
            case "assistant":
                if turns.isEmpty || !turns[turns.count - 1].answer.isEmpty {
                    turns.append(ChatTurn(number: turns.count + 1, question: "", standaloneQuestion: "", answer: text))
                } else {
                    turns[turns.count - 1].answer = text
                }
            default:
                throw .badRequest("unknown message role '\(message.role)' (expected system, user or assistant)")
            }
        }
        self.turns = turns
    }

    /// A store holding the conversation so far, for a `ChatEngine` to resume.
    func store() throws -> ChatSessionStore {
        let store = InMemoryChatSessionStore()
        try store.apply(turns.map(ChatChange.turn), to: Self.sessionName)
        return store
    }
}
