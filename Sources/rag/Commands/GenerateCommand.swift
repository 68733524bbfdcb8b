import Foundation
import Generator
import ModelKit

/// `rag generate`: run the local language model on a prompt and stream the answer to stdout.
enum GenerateCommand {
    static let spec = CommandSpec(
        name: "generate",
        summary: "run the local language model on a prompt",
        usage: ["generate [options] PROMPT", "generate [options] --prompt-file PATH"],
        options: [
            OptionSpec("prompt-file", value: "PATH", help: "read the prompt from a file ('-' for stdin)"),
            OptionSpec("chat", help: "wrap the prompt in the chat template (as a user message, default system prompt)"),
            OptionSpec("system", value: "TEXT", help: "system message for --chat (default: the model's)"),
            OptionSpec("special", help: "let the prompt text contain special tokens (without --chat)"),
            OptionSpec("max-tokens", value: "N", help: "maximum tokens to generate (default 128)"),
            OptionSpec("temperature", value: "T", help: "sampling temperature 0...5, 0 = greedy (default 0)"),
            OptionSpec("top-k", value: "N", help: "keep the N most likely tokens"),
            OptionSpec("top-p", value: "P", help: "nucleus sampling threshold"),
            OptionSpec("min-p", value: "P", help: "drop tokens below P × the top probability"),
            OptionSpec("repeat-penalty", value: "R", help: "penalize recently seen tokens (1 = off, default)"),
            OptionSpec("seed", value: "N", help: "random seed (default 0; same seed, same output)"),
            OptionSpec("context", value: "N", help: "context length in tokens (default: the model's, 8192)"),
            OptionSpec("truncate", help: "drop the start of a too-long prompt instead of failing (with a notice)"),
            OptionSpec("threads", value: "N", help: "threads to use (default: all cores)"),
            OptionSpec("ids", help: "print the generated token ids as a JSON array"),
            OptionSpec("attention", value: "POLICY", help: "dense | window | topk"),
            OptionSpec("window", value: "W", help: "window size"),
            OptionSpec("budget", value: "B", help: "token budget for topk"),
            OptionSpec("kv-cache", value: "f32|f16", help: "KV cache element type (default f32; f16 halves the cache)"),
        ],
        positionals: 0...1,
        details: """
        Without --chat the prompt is raw text continued by the model; with --chat it becomes a user turn and the
        answer ends at the end-of-turn token. Text streams to stdout as it is generated; timings go to stderr (-v).
        """,
        run: run)

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let prompt = try promptText(arguments)
        let chat = arguments.flag("chat")
        if chat && arguments.flag("special") {
            throw UsageError(message: "--special applies to raw prompts; with --chat only the template's own markers are special", command: "generate")
        }
        if !chat && arguments.string("system") != nil {
            throw UsageError(message: "--system needs --chat", command: "generate")
        }
        let maxTokens = try arguments.int("max-tokens", default: 128, range: 0...1_000_000)!
        let sampler = SamplerSettings(
            temperature: Float(try GeneratorOptions.temperature(arguments)),
            topK: try arguments.int("top-k", default: 0, range: 0...1_000_000)!,
            topP: Float(try arguments.double("top-p", default: 1, range: 0...1)!),
            minP: Float(try arguments.double("min-p", default: 0, range: 0...1)!),
            repetitionPenalty: Float(try arguments.double("repeat-penalty", default: 1, range: 0.01...100)!),
            seed: try GeneratorOptions.seed(arguments))
        let threads = try arguments.int("threads", default: ComputeThreads.defaultCount, range: 1...256)!
        let contextLength = try arguments.int("context", range: 1...1_000_000)
        let attentionSettings = try GeneratorOptions.attention(arguments, budgetOption: "budget")

        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let generator = try LoadedGenerator(path: path, threads: threads)
        let attention = try attentionSettings.makePolicy(config: generator.model.config)
        let promptIds: [Int32]
        if chat {
            var messages: [ChatMessage] = []
            if let system = arguments.string("system") { messages.append(.system(system)) }
            messages.append(.user(prompt))
            promptIds = generator.chatTemplate.render(messages, addGenerationPrompt: true).ids
        } else {
            promptIds = generator.tokenizer.encode(prompt, allowSpecial: arguments.flag("special"))
        }
        guard !promptIds.isEmpty else { throw CommandFailure(message: "the prompt is empty") }

        let options = GenerationOptions(maxTokens: maxTokens, sampler: sampler, stopTokens: generator.tokenizer.stopTokenIds,
                                        contextLength: contextLength,
                                        overflow: arguments.flag("truncate") ? .truncatePromptStart : .error)
        let printIds = arguments.flag("ids")
        var detokenizer = StreamingDetokenizer(tokenizer: generator.tokenizer, skipSpecialTokens: true)
        let result = try TextGeneration(model: generator.model, attention: attention).generate(prompt: promptIds, options: options) { id in
            if !printIds { invocation.console.stream(detokenizer.feed(id)) }
            return true
        }
        if printIds {
            invocation.console.result("[" + result.tokens.map(String.init).joined(separator: ",") + "]")
        } else {
            invocation.console.stream(detokenizer.finish() + "\n")
        }
        if result.droppedPromptTokens > 0 {
            invocation.console.info("rag: notice: dropped the first \(result.droppedPromptTokens) prompt tokens to fit the context")
        }
        let decoded = max(1, result.tokens.count - 1)
        invocation.console.debug(String(format: "prompt %d tokens in %.3fs (%.1f tok/s); generated %d tokens in %.3fs (%.1f tok/s); stop: %@",
                                        result.promptTokenCount, result.prefillSeconds, Double(result.promptTokenCount) / result.prefillSeconds,
                                        result.tokens.count, result.decodeSeconds, Double(decoded) / max(result.decodeSeconds, 1e-9),
                                        result.stopReason.rawValue))
    }

    /// The positional PROMPT or the contents of --prompt-file (exactly one of them).
    private static func promptText(_ arguments: ParsedArguments) throws -> String {
        let file = arguments.string("prompt-file")
        switch (arguments.positionals.first, file) {
        case (nil, nil):
            throw UsageError(message: "missing PROMPT (or --prompt-file PATH)", command: "generate")
        case (.some, .some):
            throw UsageError(message: "give either PROMPT or --prompt-file, not both", command: "generate")
        case (let text?, nil):
            return text
        case (nil, let path?):
            if path == "-" {
                return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandFailure(message: "cannot read prompt file \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CommandFailure(message: "prompt file \(path) is not UTF-8 text")
            }
            return text
        }
    }
}
