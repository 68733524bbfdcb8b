import Foundation
import HTTPServer
import Index
import Retrieval
import Serve

enum ServeCommand {
    static let defaultPort = 8642

    static let spec = CommandSpec(
        name: "serve",
        summary: "answer over HTTP: an OpenAI-compatible API and a web page",
        usage: ["serve [--host ADDRESS] [--port N] [--token TOKEN] [options]"],
        options: [
            OptionSpec("host", value: "ADDRESS", help: "address to listen on (default 127.0.0.1; any other needs --token)"),
            OptionSpec("port", value: "N", help: "port (default \(defaultPort); 0 = any free port)"),
            OptionSpec("token", value: "TOKEN", help: "require 'Authorization: Bearer TOKEN' on every request (default: $RAG_TOKEN)"),
            OptionSpec("workers", value: "N", help: "generation workers, each with its own model (default: cores / 4, at least 1)"),
            OptionSpec("queue", value: "N", help: "answers that may wait for a worker; beyond, 503 (default 8)"),
            OptionSpec("max-body-kb", value: "N", help: "largest request body in KiB (default 1024)"),
        ],
        positionals: 0...0,
        details: """
            Endpoints: POST /v1/chat/completions (model "rag"; stream: true for server-sent events), POST /v1/embeddings,
            GET /v1/models, POST /api/search, POST /api/ask (the JSON of 'rag search --json' / 'rag ask --json'),
            GET /api/status, GET /api/source?path=…&start=…&end=…, and GET / (a web page). See docs/serve.md.
            Listening on anything but a loopback address requires a token.
            """,
        run: run)

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let host = arguments.string("host") ?? "127.0.0.1"
        let port = try arguments.int("port", default: defaultPort, range: 0...65535)!
        let token = arguments.string("token") ?? ProcessInfo.processInfo.environment["RAG_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let token, token.count < 8 {
            throw UsageError(message: "--token must be at least 8 characters", command: "serve")
        }
        guard token != nil || HTTPServer.isLoopback(host: host) else {
            throw UsageError(message: "refusing to listen on \(host) without --token (only loopback addresses may go without one)",
                             command: "serve", showsHint: false)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let workers = try arguments.int("workers", default: max(1, cores / 4), range: 1...16)!
        let queue = try arguments.int("queue", default: 8, range: 0...1000)!
        var limits = ServerLimits()
        limits.maxBodyBytes = try arguments.int("max-body-kb", default: 1024, range: 1...65536)! * 1024

        let console = invocation.console
        console.info("loading the index and \(workers) generation worker\(workers == 1 ? "" : "s")…")
        var settings = ServeSettings()
        settings.token = token
        let api = try makeAPI(invocation, workers: workers, queue: queue, settings: settings)
        let verbose = invocation.global.verbose && !invocation.global.quiet
        let server = try HTTPServer(host: host, port: port, limits: limits) { request, writer in
            let start = DispatchTime.now()
            api.handle(request, writer)
            if verbose {
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
                Console.writeStderr("\(request.method) \(request.path) \(writer.status) \(String(format: "%.0f", ms)) ms\n")
            }
        }
        server.start()
        let shown = host.contains(":") ? "[\(host)]" : host
        console.info("listening on http://\(shown):\(server.port)/ (\(workers) worker\(workers == 1 ? "" : "s"), queue \(queue)"
                     + (token == nil ? "" : ", token required") + ")")
        server.wait()
    }

    /// The API over the index and models of `invocation`: `workers` answer engines (each its own generator and
    /// retriever) behind a queue of `queue`, and one more retriever for search, embeddings and sources.
    static func makeAPI(_ invocation: Invocation, workers: Int, queue: Int, settings: ServeSettings) throws -> ServeAPI {
        let engines = try (0..<workers).map { _ in
            AnswerEngine(retriever: try Services.openRetriever(invocation), generator: try Services.makeGenerator(invocation, needed: true))
        }
        let databasePath = DataPaths.databasePath(invocation.global)
        let backend = ServeBackend(retriever: try Services.openRetriever(invocation), engines: engines, queueCapacity: queue,
                                   status: { (try? IndexStore(path: databasePath, mode: .readOnly).statistics()).map { StatusReport($0) } })
        return ServeAPI(backend: backend, settings: settings)
    }
}
