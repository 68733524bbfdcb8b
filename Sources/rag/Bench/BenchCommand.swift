import Foundation

/// `rag bench SUBCOMMAND`: each benchmark lives in its own file (Bench*.swift) and prints JSON on stdout.
enum BenchCommand {
    /// Each benchmark with the options it reads; any other bench option is a usage error for it (an option of
    /// another benchmark used to be accepted and ignored).
    static let subcommands: [(name: String, options: Set<String>, run: @Sendable (Invocation) throws -> Void)] = [
        ("embed", ["file", "int8", "threads"], BenchEmbed.run),
        ("generate", Set(["context", "threads"]).union(attentionOptions), BenchGenerate.run),
        ("perplexity", Set(["context", "threads"]).union(attentionOptions), BenchPerplexity.run),
        ("ask", ["file"], BenchAsk.run),
        ("passkey", Set(["lengths", "depths", "threads"]).union(attentionOptions), BenchPasskey.run),
        ("attention", Set(["contexts", "decode", "threads"]).union(attentionOptions), BenchAttention.run),
        ("serve", ["clients", "seconds", "workers", "queue"], BenchServe.run),
    ]

    /// Read by `GeneratorOptions.attention(_:budgetOption: "budget")`.
    static let attentionOptions: Set<String> = ["attention", "window", "budget", "kv-cache"]

    /// Every option of every benchmark (each benchmark accepts its own, `subcommands`).
    static let options: [OptionSpec] = [
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
    ]

    static let spec = CommandSpec(
        name: "bench",
        summary: "run a benchmark and print JSON",
        usage: ["bench embed [options]", "bench generate [options]", "bench perplexity FILE --context N",
                "bench ask [options]", "bench passkey [options]", "bench attention [options]",
                "bench serve [--clients N] [--seconds S] [--workers N] [--queue N]"],
        options: options,
        positionals: 1...2,
        details: "Benchmarks print JSON on stdout; progress goes to stderr.",
        run: { invocation in
            let name = invocation.arguments.positionals[0]
            guard let sub = subcommands.first(where: { $0.name == name }) else {
                throw UsageError(message: "unknown benchmark '\(name)' (expected one of: \(subcommands.map(\.name).joined(separator: ", ")))", command: "bench")
            }
            let given = invocation.arguments.flags.union(invocation.arguments.values.keys)
            let benchOptions = Set(options.map { $0.long })
            if let foreign = given.filter({ benchOptions.contains($0) && !sub.options.contains($0) }).sorted().first {
                let owners = subcommands.filter { $0.options.contains(foreign) }.map { "bench " + $0.name }
                throw UsageError(message: "--\(foreign) is not an option of 'bench \(name)' (it belongs to \(owners.joined(separator: ", ")))",
                                 command: "bench")
            }
            try sub.run(invocation)
        })
}

