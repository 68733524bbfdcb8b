import Foundation
import Index
import Retrieval

enum ChatCommand {
    static let spec = CommandSpec(
        name: "chat",
        summary: "a conversation about your documents, with summarized memory",
        usage: ["chat [options]", "chat --session NAME [options]", "chat --list", "chat --delete NAME"],
        options: [
            OptionSpec("session", value: "NAME", help: "resume (or create) the named session"),
            OptionSpec("list", help: "list sessions"),
            OptionSpec("delete", value: "NAME", help: "delete a session"),
            OptionSpec("json", help: "one JSON object per turn (--list: a JSON list)"),
            OptionSpec("k", short: "k", value: "N", help: "number of chunks to retrieve (default 8)"),
            OptionSpec.noRerank,
            OptionSpec("budget", value: "TOKENS", help: "token budget for the sources of an answer (default 1500)"),
            OptionSpec("memory", value: "TOKENS", help: "token budget for the summary and recent turns (default 1200)"),
            OptionSpec("max-tokens", value: "N", help: "maximum answer length in tokens (default 256)"),
            OptionSpec("temperature", value: "T", help: "sampling temperature 0...5, 0 = greedy (default 0)"),
            OptionSpec("seed", value: "N", help: "random seed for sampling"),
        ] + GeneratorOptions.attentionSpecs,
        positionals: 0...0,
        details: """
            On a terminal: type a question, read the streamed answer and its sources. Commands: /help, /sources,
            /history, /summary, /reset, /exit. Ctrl-C stops the current answer, Ctrl-D leaves.
            With piped input: one question per line; each answer is printed with its sources (or, with --json,
            one JSON object per turn); the chat ends at end of input.
            Each follow-up is rewritten into a standalone question before retrieval; older turns are folded into
            a running summary so that prompts stay within budget. Sessions are stored in the index database.
            """,
        run: { try run($0) })

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let console = invocation.console
        let path = DataPaths.databasePath(invocation.global)
        let session = try arguments.string("session").map(validName)
        let deleting = try arguments.string("delete").map(validName)

        if arguments.flag("list") {
            guard deleting == nil, session == nil else {
                throw UsageError(message: "--list cannot be combined with --delete or --session", command: "chat")
            }
            return try listSessions(databasePath: path, json: arguments.flag("json"), console: console)
        }
        if let deleting {
            guard session == nil else { throw UsageError(message: "--delete cannot be combined with --session", command: "chat") }
            return try deleteSession(deleting, databasePath: path, console: console)
        }

        let options = try askOptions(arguments)
        let budget = try chatBudget(arguments, answerTokens: options.generation.maxTokens)
        guard FileManager.default.fileExists(atPath: path) else { throw IndexError.missingIndex(path: path) }
        // The chat store first: its read-write connection brings an index made before chat up to the chat schema.
        let store = try SQLiteChatSessionStore(path: path)
        let answerEngine = try AnswerEngine(retriever: Services.openRetriever(invocation),
                                            generator: Services.makeGenerator(invocation, needed: true))
        let name = session ?? ChatSessionName.fresh()
        let engine = try ChatEngine(answerEngine: answerEngine, store: store, sessionName: name, budget: budget, options: options)
        if session != nil, !engine.resumed {
            console.info("no session named '\(name)' yet: starting it")
        } else if session == nil {
            console.info("new session '\(name)' (resume it with: rag chat --session \(name))")
        }
        let loop = ChatLoop(engine: engine, console: console, json: arguments.flag("json"),
                            interactive: console.stdinIsTerminal)
        try loop.run()
    }

    static func validName(_ raw: String) throws -> String {
        do {
            return try ChatSessionName.validated(raw)
        } catch {
            throw UsageError(message: error.description, command: "chat")
        }
    }

    static func chatBudget(_ arguments: ParsedArguments, answerTokens: Int) throws -> ChatBudget {
        var budget = ChatBudget()
        budget.sourcesTokens = try arguments.int("budget", default: budget.sourcesTokens, range: 64...6000)!
        budget.memoryTokens = try arguments.int("memory", default: budget.memoryTokens, range: 100...4000)!
        budget.summaryTokens = ChatBudget.summaryTokens(of: budget.memoryTokens)
        budget.answerTokens = answerTokens
        return budget
    }

    static func askOptions(_ arguments: ParsedArguments) throws -> AskOptions {
        var options = AskOptions()
        options.k = try arguments.int("k", default: options.k, range: 1...100)!
        options.generation = try GeneratorOptions.sampling(arguments, defaultMaxTokens: 256)
        return options
    }

    static func listSessions(databasePath: String, json: Bool, console: Console) throws {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            if json { console.result("[]") }
            console.info("no chat sessions (no index at \(databasePath) yet)")
            return
        }
        let sessions = try SQLiteChatSessionStore(path: databasePath).sessions()
        if json {
            let rows = sessions.map { SessionJSON(name: $0.name, turns: $0.turnCount, createdAt: iso($0.createdAt),
                                                  updatedAt: iso($0.updatedAt), lastQuestion: $0.lastQuestion) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            console.result(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        guard !sessions.isEmpty else {
            console.info("no chat sessions yet: start one with 'rag chat --session NAME'")
            return
        }
        let width = sessions.map(\.name.count).max() ?? 0
        for session in sessions {
            let turns = "\(session.turnCount) turn" + (session.turnCount == 1 ? " " : "s")
            console.result(session.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                           + turns.leftPadded(to: 9) + "  " + iso(session.updatedAt) + "  " + session.lastQuestion)
        }
    }

    static func deleteSession(_ name: String, databasePath: String, console: Console) throws {
        guard FileManager.default.fileExists(atPath: databasePath),
              try SQLiteChatSessionStore(path: databasePath).delete(name) else {
            throw CommandFailure(message: "no session named '\(name)' in \(databasePath) (see 'rag chat --list')")
        }
        console.info("deleted session '\(name)'")
    }

    static func iso(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    struct SessionJSON: Encodable {
        var name: String
        var turns: Int
        var createdAt: String
        var updatedAt: String
        var lastQuestion: String

        enum CodingKeys: String, CodingKey {
            case name, turns
            case createdAt = "created_at"
            case updatedAt = "updated_at"
            case lastQuestion = "last_question"
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
