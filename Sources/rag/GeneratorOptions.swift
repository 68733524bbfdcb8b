import Foundation
import Generator
import Retrieval

/// Options about generation shared by `generate`, `ask`, `chat` and the benchmarks.
enum GeneratorOptions {
    /// Attention policy options. (`ask` and `chat` use `--budget` for the sources, so the
    /// top-k attention budget is `--attention-budget` there.)
    static let attentionSpecs: [OptionSpec] = [
        OptionSpec("attention", value: "POLICY", help: "attention policy: dense | window | topk (default dense)"),
        OptionSpec("window", value: "W", help: "recent tokens attended by window/topk"),
        OptionSpec("attention-budget", value: "B", help: "tokens attended by topk besides sinks and window"),
        OptionSpec("kv-cache", value: "f32|f16", help: "KV cache element type (default f32; f16 halves the cache)"),
    ]

    /// `--temperature` for every command that samples: 0 (greedy) up to 5 (beyond, sampling is noise).
    static func temperature(_ arguments: ParsedArguments) throws -> Double {
        try arguments.double("temperature", default: 0, range: 0...5)!
    }

    /// `--seed` for every command that samples: any non-negative 64-bit integer (default 0; same seed, same output).
    static func seed(_ arguments: ParsedArguments) throws -> UInt64 {
        guard let text = arguments.string("seed") else { return 0 }
        guard let value = UInt64(text) else {
            throw UsageError(message: "invalid value for --seed: '\(text)' is not a non-negative integer", command: arguments.command)
        }
        return value
    }

    /// Sampling options of `ask` and `chat`. `--max-tokens` is 1...8192 here (an answer); `generate` has its own
    /// bound (0 = prefill only, up to a long-context run), the other flags are parsed by the same functions.
    static func sampling(_ arguments: ParsedArguments, defaultMaxTokens: Int) throws -> Retrieval.GenerationOptions {
        var options = Retrieval.GenerationOptions()
        options.maxTokens = try arguments.int("max-tokens", default: defaultMaxTokens, range: 1...8192)!
        options.temperature = try temperature(arguments)
        options.seed = try seed(arguments)
        return options
    }

    /// The attention policy chosen with `--attention`, `--window` and the budget option (`--attention-budget` for
    /// ask/chat, `--budget` for generate and the benchmarks). Call `makePolicy(config:)` once per sequence.
    static func attention(_ arguments: ParsedArguments, budgetOption: String = "attention-budget") throws -> AttentionSettings {
        let name = try arguments.choice("attention", from: AttentionSettings.Kind.allCases.map(\.rawValue), default: "dense")
        let kind = AttentionSettings.Kind(rawValue: name)!
        let window = try arguments.int("window", range: 1...1_000_000)
        let budget = try arguments.int(budgetOption, range: 0...10_000_000)
        if kind == .dense && (window != nil || budget != nil) {
            throw UsageError(message: "--window and --\(budgetOption) apply to --attention window or topk, not dense", command: arguments.command)
        }
        if kind == .window && budget != nil {
            throw UsageError(message: "--\(budgetOption) applies to --attention topk (window attends sinks + --window only)", command: arguments.command)
        }
        let kvCache = try arguments.choice("kv-cache", from: KVCachePrecision.allCases.map(\.rawValue), default: "f32")
        return AttentionSettings(kind: kind, window: window, budget: budget, kvCache: KVCachePrecision(rawValue: kvCache)!)
    }
}

/// An attention policy choice from the command line; a factory because a policy belongs to one sequence.
struct AttentionSettings: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case dense, window, topk
    }
    /// Defaults: window keeps 4 sinks + 2,048 recent tokens; topk reads 64 sinks + 512 recent tokens (1,024 for prompt
    /// tokens) + 1,536 tokens of pages (passkey and perplexity: benchmarks/attention.md).
    static let defaultSlidingWindow = 2048
    static let defaultTopKWindow = 512
    static let defaultTopKBudget = 1536

    var kind: Kind
    /// --window (nil: the policy's default).
    var window: Int?
    /// Top-k token budget (nil: the default).
    var budget: Int?
    /// --kv-cache: element type of the policy's KV cache.
    var kvCache: KVCachePrecision = .f32

    /// A fresh policy for one sequence of a model with `config`; fails when the window does not fit the trained context.
    func makePolicy(config: LlamaConfig) throws -> AttentionPolicy {
        switch kind {
        case .dense:
            return DenseAttention(cachePrecision: kvCache)
        case .window:
            let window = self.window ?? Self.defaultSlidingWindow
            try check(window: window, config: config)
            return SlidingWindowAttention(config: config, sinks: 4, window: window, cachePrecision: kvCache)
        case .topk:
            let window = self.window ?? Self.defaultTopKWindow
            try check(window: window, config: config)
            return TopKPageAttention(config: config, budget: budget ?? Self.defaultTopKBudget, window: window,
                                     cachePrecision: kvCache)
        }
    }

    private func check(window: Int, config: LlamaConfig) throws {
        let largest = config.contextLength / 2
        guard window <= largest else {
            throw CommandFailure(message: "--window \(window) is too large: the recent window must keep its true positions, at most \(largest) (half the model's \(config.contextLength)-token context)")
        }
    }
}
