import Foundation
import Retrieval

/// Options about generation shared by `generate`, `ask`, `chat` and the benchmarks.
enum GeneratorOptions {
    /// Attention policy options. (`ask` and `chat` use `--budget` for the sources, so the
    /// top-k attention budget is `--attention-budget` there.)
    static let attentionSpecs: [OptionSpec] = [
        OptionSpec("attention", value: "POLICY", help: "attention policy: dense | window | topk (default dense)"),
        OptionSpec("window", value: "W", help: "recent tokens attended by window/topk"),
        OptionSpec("attention-budget", value: "B", help: "tokens attended by topk besides sinks and window"),
    ]

    static func sampling(_ arguments: ParsedArguments, defaultMaxTokens: Int) throws -> Retrieval.GenerationOptions {
        var options = Retrieval.GenerationOptions()
        options.maxTokens = try arguments.int("max-tokens", default: defaultMaxTokens, range: 1...8192)!
        options.temperature = try arguments.double("temperature", default: 0, range: 0...5)!
        if let seed = arguments.string("seed") {
            guard let value = UInt64(seed) else {
                throw UsageError(message: "invalid value for --seed: '\(seed)' is not a non-negative integer", command: arguments.command)
            }
            options.seed = value
        }
        return options
    }
}
