import Foundation

enum EmbedCommand {
    static let spec = CommandSpec(
        name: "embed",
        summary: "print the 384-d embedding of a text as a JSON array",
        usage: ["embed [options] TEXT"],
        options: [],
        positionals: 1...1,
        details: "",
        run: { _ in throw notBuiltYet("embed", issue: 5) })
}
