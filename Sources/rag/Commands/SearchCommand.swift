import Foundation

enum SearchCommand {
    static let spec = CommandSpec(
        name: "search",
        summary: "show the chunks that best match a query",
        usage: ["search [options] QUERY"],
        options: [
            OptionSpec("k", short: "k", value: "N", help: "number of results (default 10)"),
            OptionSpec("mode", value: "MODE", help: "dense | lexical | hybrid (default hybrid)"),
            OptionSpec("json", help: "print a JSON list of {path, start_line, end_line, score, text}"),
        ],
        positionals: 1...1,
        details: "",
        run: { _ in throw notBuiltYet("search", issue: 5) })
}
