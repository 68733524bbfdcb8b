import Foundation

enum ChatCommand {
    static let spec = CommandSpec(
        name: "chat",
        summary: "a conversation about your documents, with summarized memory",
        usage: ["chat [options]", "chat --list", "chat --delete NAME"],
        options: [
            OptionSpec("session", value: "NAME", help: "resume (or create) the named session"),
            OptionSpec("list", help: "list sessions"),
            OptionSpec("delete", value: "NAME", help: "delete a session"),
            OptionSpec("json", help: "one JSON object per turn"),
            OptionSpec("attention", value: "POLICY", help: "dense | window | topk"),
        ],
        positionals: 0...0,
        details: "",
        run: { _ in throw notBuiltYet("chat", issue: 8) })
}
