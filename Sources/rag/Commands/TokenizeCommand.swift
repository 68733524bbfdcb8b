import Foundation

enum TokenizeCommand {
    static let spec = CommandSpec(
        name: "tokenize",
        summary: "print token ids of a text as a JSON array",
        usage: ["tokenize [options] TEXT"],
        options: [
            OptionSpec("special", help: "parse special tokens in the text (generator tokenizer)"),
            OptionSpec("embedder", help: "use the embedder's WordPiece tokenizer (with [CLS]/[SEP])"),
        ],
        positionals: 1...1,
        details: "",
        run: { _ in throw notBuiltYet("tokenize", issue: 4) })
}
