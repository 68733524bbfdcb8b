import Foundation

enum GenerateCommand {
    static let spec = CommandSpec(
        name: "generate",
        summary: "run the local language model on a prompt",
        usage: ["generate [options] PROMPT", "generate [options] --prompt-file PATH"],
        options: [
            OptionSpec("prompt-file", value: "PATH", help: "read the prompt from a file"),
            OptionSpec("chat", help: "wrap the prompt in the chat template"),
            OptionSpec("special", help: "let the prompt text contain special tokens"),
            OptionSpec("max-tokens", value: "N", help: "maximum tokens to generate (default 128)"),
            OptionSpec("temperature", value: "T", help: "sampling temperature, 0 = greedy (default 0)"),
            OptionSpec("top-k", value: "N", help: "keep the N most likely tokens"),
            OptionSpec("top-p", value: "P", help: "nucleus sampling threshold"),
            OptionSpec("seed", value: "N", help: "random seed"),
            OptionSpec("ids", help: "print the generated token ids as a JSON array"),
            OptionSpec("attention", value: "POLICY", help: "dense | window | topk"),
            OptionSpec("window", value: "W", help: "window size"),
            OptionSpec("budget", value: "B", help: "token budget for topk"),
        ],
        positionals: 0...1,
        details: "",
        run: { _ in throw notBuiltYet("generate", issue: 4) })
}
