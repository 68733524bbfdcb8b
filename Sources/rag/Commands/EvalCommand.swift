import Foundation

enum EvalCommand {
    static let spec = CommandSpec(
        name: "eval",
        summary: "evaluate retrieval quality on a query set",
        usage: ["eval retrieval QUERIES.jsonl [--k 10] [--json]"],
        options: [
            OptionSpec("k", short: "k", value: "N", help: "cut-off (default 10)"),
            OptionSpec("json", help: "print JSON"),
        ],
        positionals: 2...2,
        details: "",
        run: { _ in throw notBuiltYet("eval", issue: 6) })
}
