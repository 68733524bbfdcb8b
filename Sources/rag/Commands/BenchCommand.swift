import Foundation

enum BenchCommand {
    static let spec = CommandSpec(
        name: "bench",
        summary: "run a benchmark and print JSON",
        usage: ["bench embed [options]", "bench generate [options]", "bench perplexity FILE --context N",
                "bench ask [options]", "bench passkey [options]", "bench attention [options]"],
        options: [
            OptionSpec("context", value: "N", help: "context length in tokens (perplexity)"),
            OptionSpec("file", value: "PATH", help: "input file (embed: chunks.jsonl)"),
            OptionSpec("int8", help: "use the INT8 embedder"),
            OptionSpec("threads", value: "N", help: "threads to use (default: all cores)"),
            OptionSpec("attention", value: "POLICY", help: "dense | window | topk"),
            OptionSpec("window", value: "W", help: "window size"),
            OptionSpec("budget", value: "B", help: "token budget for topk"),
        ],
        positionals: 1...2,
        details: "",
        run: { invocation in
            throw notBuiltYet("bench \(invocation.arguments.positionals[0])", issue: 4)
        })
}
