import Foundation
import Retrieval
import Serve

enum AskCommand {
    static let spec = CommandSpec(
        name: "ask",
        summary: "answer a question from the indexed documents, with citations",
        usage: ["ask [options] QUESTION"],
        options: [
            OptionSpec("k", short: "k", value: "N", help: "chunks to retrieve (default 8)"),
            OptionSpec.noRerank,
            OptionSpec("budget", value: "TOKENS", help: "token budget of the sources in the prompt (default 1500)"),
            OptionSpec("temperature", value: "T", help: "sampling temperature 0...5, 0 = greedy (default 0)"),
            OptionSpec("seed", value: "N", help: "random seed for sampling"),
            OptionSpec("max-tokens", value: "N", help: "maximum answer length in tokens (default 256)"),
            OptionSpec("no-generate", help: "print the retrieved context only"),
            OptionSpec("json", help: "print one JSON object: answer, sources, route, timings, tokens"),
            OptionSpec("route", value: "ROUTE", help: "rag | document | long | auto (default auto)"),
            OptionSpec("doc", value: "PATH", help: "answer from this whole document (path as 'rag status' lists it)"),
            OptionSpec("explain", help: "print the route taken and why (stderr)"),
            OptionSpec("short-answer", help: "let the model restate the evidence in one sentence (shown only when faithful to it)"),
        ] + GeneratorOptions.attentionSpecs,
        positionals: 1...1,
        details: """
            Routes: 'rag' retrieves passages (default); 'document' reads one document whole (a question that asks
            for a summary or overview of a named document, or --doc); 'long' reads the best-matching documents
            whole when retrieval evidence is weak. The answer streams to stdout, then the sources it cites.
            """,
        run: run)

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let question = arguments.positionals[0]
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw UsageError(message: "the question is empty", command: "ask")
        }
        var options = AskOptions()
        options.k = try arguments.int("k", default: 8, range: 1...100)!
        options.budget = try arguments.int("budget", default: 1500, range: 64...7000)!
        options.generation = try GeneratorOptions.sampling(arguments, defaultMaxTokens: 256)
        options.generate = !arguments.flag("no-generate")
        let routeName = try arguments.choice("route", from: ["auto"] + Route.allCases.map(\.rawValue), default: "auto")
        options.route = Route(rawValue: routeName)
        let json = arguments.flag("json")

        let retriever = try Services.openRetriever(invocation)
        if let path = arguments.string("doc") {
            options.document = try resolveDocument(path, in: try retriever.corpus.documents())
        }
        let generator = try Services.makeGenerator(invocation, needed: options.generate)
        let engine = AnswerEngine(retriever: retriever, generator: generator, settings: try answerSettings(arguments))

        let streaming = !json && options.generate
        var trimmer = StreamTrimmer()
        let result = try engine.ask(question, options: options,
                                    progress: { invocation.console.info($0) },
                                    onText: { text in
                                        if streaming { invocation.console.stream(trimmer.feed(text)) }
                                        return true
                                    })
        if streaming { invocation.console.stream("\n") }
        for notice in result.notices { invocation.console.info("note: \(notice)") }
        if arguments.flag("explain") {
            Console.writeStderr("route: \(result.route) — \(result.routeReason)\n")
        }
        if json {
            invocation.console.result(try AnswerJSON.encode(result))
            return
        }
        if !options.generate {
            invocation.console.result("route: \(result.route)")
            for source in result.sources { invocation.console.result(ContextPacker.render(source)) }
            return
        }
        invocation.console.result(AnswerJSON.sourcesBlock(result))
    }

    static func answerSettings(_ arguments: ParsedArguments) throws -> AnswerSettings {
        var settings = AnswerSettings()
        if arguments.flag("short-answer") { settings.shortAnswers = true }
        return settings
    }

    /// `--doc PATH`: an indexed document by its relative path, its absolute path, or a unique file name.
    static func resolveDocument(_ path: String, in documents: [DocumentRef]) throws -> DocumentRef {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        if let exact = documents.first(where: { $0.path == path || ($0.rootPath as NSString).appendingPathComponent($0.path) == absolute }) {
            return exact
        }
        let byName = documents.filter { ($0.path as NSString).lastPathComponent == (path as NSString).lastPathComponent }
        if byName.count == 1 { return byName[0] }
        if byName.count > 1 {
            throw CommandFailure(message: "--doc \(path) matches \(byName.count) documents: give the path as 'rag status' shows the root, e.g. \(byName[0].path)")
        }
        throw CommandFailure(message: "--doc \(path) is not in the index: ingest it first with 'rag ingest DIR'")
    }
}

/// Drops leading whitespace of a stream and holds whitespace back until more text follows,
/// so a streamed answer starts and ends without blank lines (the trimmed answer of `--json` does the same).
struct StreamTrimmer {
    private var started = false
    private var pendingWhitespace = ""

    mutating func feed(_ piece: String) -> String {
        var out = ""
        for character in piece {
            if character.isWhitespace {
                if started { pendingWhitespace.append(character) }
            } else {
                out += pendingWhitespace
                out.append(character)
                pendingWhitespace = ""
                started = true
            }
        }
        return out
    }
}
