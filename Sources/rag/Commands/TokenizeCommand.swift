import Embedder
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
        details: "Without --embedder: the generator's byte-level BPE ids. With --embedder: WordPiece ids with [CLS]/[SEP].",
        run: { invocation in
            if invocation.arguments.flag("embedder") {
                if invocation.arguments.flag("special") {
                    throw UsageError(message: "--special applies to the generator tokenizer, not --embedder", command: "tokenize")
                }
                try TokenizeEmbedder.run(invocation)
            } else {
                try TokenizeGenerator.run(invocation)
            }
        })
}
