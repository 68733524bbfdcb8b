import Foundation

enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "show what the index holds",
        usage: ["status [options]"],
        options: [OptionSpec("json", help: "print JSON")],
        positionals: 0...0,
        details: "",
        run: { _ in throw notBuiltYet("status", issue: 5) })
}
