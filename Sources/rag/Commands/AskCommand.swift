import Foundation

enum AskCommand {
    static let spec = CommandSpec(
        name: "ask",
        summary: "answer a question from the indexed documents, with citations",
        usage: ["ask [options] QUESTION"],
        options: [
            OptionSpec("k", short: "k", value: "N", help: "number of chunks to retrieve (default 8)"),
            OptionSpec("budget", value: "TOKENS", help: "token budget for the retrieved context (default 1500)"),
            OptionSpec("temperature", value: "T", help: "sampling temperature, 0 = greedy (default 0)"),
            OptionSpec("seed", value: "N", help: "random seed for sampling"),
            OptionSpec("max-tokens", value: "N", help: "maximum answer length in tokens (default 256)"),
            OptionSpec("no-generate", help: "print the retrieved context only"),
            OptionSpec("json", help: "print one JSON object: answer, sources, route, timings, tokens"),
            OptionSpec("route", value: "ROUTE", help: "rag | document | long | auto (default auto)"),
            OptionSpec("doc", value: "PATH", help: "answer from this whole document"),
            OptionSpec("explain", help: "print the route taken and why"),
            OptionSpec("attention", value: "POLICY", help: "dense | window | topk"),
            OptionSpec("window", value: "W", help: "window size for --attention window/topk"),
        ],
        positionals: 1...1,
        details: "",
        run: { _ in throw notBuiltYet("ask", issue: 6) })
}
