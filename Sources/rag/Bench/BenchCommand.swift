import Foundation

/// `rag bench SUBCOMMAND`: each benchmark lives in its own file (Bench*.swift) and prints JSON on stdout.
enum BenchCommand {
    static let subcommands: [(name: String, run: @Sendable (Invocation) throws -> Void)] = [
        ("embed", BenchEmbed.run),
        ("generate", BenchGenerate.run),
        ("perplexity", BenchPerplexity.run),
        ("ask", BenchAsk.run),
        ("passkey", BenchPasskey.run),
        ("attention", BenchAttention.run),
        ("serve", BenchServe.run),
    ]

    static let spec = CommandSpec(
        name: "bench",
        summary: "run a benchmark and print JSON",
        usage: ["bench embed [options]", "bench generate [options]", "bench perplexity FILE --context N",
                "bench ask [options]", "bench passkey [options]", "bench attention [options]",
                "bench serve [--clients N] [--seconds S] [--workers N] [--queue N]"],
        options: [
            OptionSpec("context", value: "N", help: "context length in tokens (perplexity)"),
            OptionSpec("file", value: "PATH", help: "input file (embed: chunks.jsonl)"),
            OptionSpec("int8", help: "use the INT8 embedder"),
            OptionSpec("threads", value: "N", help: "threads to use (default: all cores)"),
            OptionSpec("attention", value: "POLICY", help: "dense | window | topk"),
            OptionSpec("window", value: "W", help: "window size"),
            OptionSpec("budget", value: "B", help: "token budget for topk"),
            OptionSpec("kv-cache", value: "f32|f16", help: "KV cache element type (default f32; f16 halves the cache)"),
            OptionSpec("lengths", value: "LIST", help: "passkey prompt lengths in tokens (default 2048,4096,8192,16384,32768)"),
            OptionSpec("depths", value: "N", help: "passkey depths per length (default 10)"),
            OptionSpec("contexts", value: "LIST", help: "attention: context lengths in tokens (default 1024,4096,8192,16384,32768)"),
            OptionSpec("decode", value: "N", help: "attention: tokens decoded per context (default 32)"),
            OptionSpec("clients", value: "N", help: "serve: concurrent clients (default 16)"),
            OptionSpec("seconds", value: "S", help: "serve: how long the clients ask (default 60)"),
            OptionSpec("workers", value: "N", help: "serve: generation workers (default: cores / 4, at least 1)"),
            OptionSpec("queue", value: "N", help: "serve: answers that may wait for a worker (default 8)"),
        ],
        positionals: 1...2,
        details: "Benchmarks print JSON on stdout; progress goes to stderr.",
        run: { invocation in
            let name = invocation.arguments.positionals[0]
            guard let sub = subcommands.first(where: { $0.name == name }) else {
                throw UsageError(message: "unknown benchmark '\(name)' (expected one of: \(subcommands.map(\.name).joined(separator: ", ")))", command: "bench")
            }
            try sub.run(invocation)
        })
}

