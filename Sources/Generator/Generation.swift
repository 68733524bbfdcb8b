import Foundation

/// What to do when the prompt plus the answer do not fit in the context.
public enum ContextOverflowHandling: Sendable, Equatable {
    /// Throw `GeneratorError.contextOverflow`.
    case error
    /// Drop the oldest prompt tokens so that prompt + maxTokens fit (reported in the result).
    case truncatePromptStart
}

public struct GenerationOptions: Sendable {
    public var maxTokens: Int
    public var sampler: SamplerSettings
    /// Generation ends after emitting one of these (it is not included in the text): the model's own, read from its
    /// tokenizer metadata (`ByteLevelBPETokenizer.stopTokenIds`), or none (benchmarks, tests).
    public var stopTokens: Set<Int32>
    /// Context length to respect (default: the model's).
    public var contextLength: Int?
    public var overflow: ContextOverflowHandling
    /// Tokens per prefill batch.
    public var batchSize: Int

    public init(maxTokens: Int = 128, sampler: SamplerSettings = .greedy, stopTokens: Set<Int32>,
                contextLength: Int? = nil, overflow: ContextOverflowHandling = .error, batchSize: Int = 512) {
        self.maxTokens = maxTokens
        self.sampler = sampler
        self.stopTokens = stopTokens
        self.contextLength = contextLength
        self.overflow = overflow
        self.batchSize = batchSize
    }
}

public enum StopReason: String, Sendable, Equatable {
    case stopToken = "stop_token"
    case maxTokens = "max_tokens"
    case cancelled
}

public struct GenerationResult: Sendable {
    /// Generated ids, without the stop token.
    public var tokens: [Int32]
    public var stopReason: StopReason
    /// The stop token that ended generation, if any.
    public var stopToken: Int32?
    public var promptTokenCount: Int
    /// Prompt tokens dropped from the start to fit the context (0 unless `.truncatePromptStart`).
    public var droppedPromptTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
}

/// Runs prompt ids through the model and samples a continuation, streaming each token to a callback.
/// Owns the per-sequence state (KV cache, scratch, attention policy); reuse it for several prompts.
public final class TextGeneration {
    public let model: LlamaModel
    public let attention: AttentionPolicy
    private var cache: KVCache?
    /// The batch size `cache` was made for (a ring cache is sized by it).
    private var cacheBatchSize = 0
    private var scratch: ForwardScratch?

    public init(model: LlamaModel, attention: AttentionPolicy = DenseAttention()) {
        self.model = model
        self.attention = attention
    }

    /// Generates from `prompt`. `onToken(id)` is called for each generated token (not the stop token);
    /// return false from it to stop early.
    @discardableResult
    public func generate(prompt: [Int32], options: GenerationOptions,
                         onToken: (Int32) -> Bool = { _ in true }) throws(GeneratorError) -> GenerationResult {
        guard !prompt.isEmpty else { throw .emptyPrompt }
        // Policies that keep RoPE in range (window, topk) may run past the model's trained context.
        let contextLength = attention.extendsContext
            ? (options.contextLength ?? Int.max)
            : min(options.contextLength ?? model.config.contextLength, model.config.contextLength)
        let maxTokens = max(0, options.maxTokens)
        var prompt = prompt
        var dropped = 0
        if prompt.count + maxTokens > contextLength {
            switch options.overflow {
            case .error:
                throw .contextOverflow(needed: prompt.count + maxTokens, contextLength: contextLength)
            case .truncatePromptStart:
                let keep = contextLength - maxTokens
                guard keep >= 1 else { throw .contextOverflow(needed: 1 + maxTokens, contextLength: contextLength) }
                dropped = prompt.count - keep
                prompt = Array(prompt.suffix(keep))
            }
        }
        let capacity = prompt.count + maxTokens
        let cache = reusableCache(positions: capacity, batchSize: options.batchSize)
        let scratch = reusableScratch(batchSize: options.batchSize)
        cache.reset()
        attention.cacheDidShrink(to: 0)

        let prefillStart = DispatchTime.now()
        try model.forward(prompt, cache: cache, scratch: scratch, attention: attention)
        let decodeStart = DispatchTime.now()

        var sampler = Sampler(options.sampler)
        var history = prompt
        history.reserveCapacity(capacity)
        var generated: [Int32] = []
        generated.reserveCapacity(maxTokens)
        var reason = StopReason.maxTokens
        var stopToken: Int32?
        while generated.count < maxTokens {
            guard !scratch.lastLogits.contains(where: \.isNaN) else { throw .nonFiniteLogits(path: model.weights.file.path) }
            let next = sampler.sample(scratch.lastLogits, history: history[...], generated: generated[...])
            if options.stopTokens.contains(next) {
                reason = .stopToken
                stopToken = next
                break
            }
            generated.append(next)
            history.append(next)
            if !onToken(next) { reason = .cancelled; break }
            if generated.count == maxTokens { break }
            try model.forward([next], cache: cache, scratch: scratch, attention: attention)
        }
        let end = DispatchTime.now()
        return GenerationResult(
            tokens: generated, stopReason: reason, stopToken: stopToken, promptTokenCount: prompt.count,
            droppedPromptTokens: dropped,
            prefillSeconds: Double(decodeStart.uptimeNanoseconds - prefillStart.uptimeNanoseconds) / 1e9,
            decodeSeconds: Double(end.uptimeNanoseconds - decodeStart.uptimeNanoseconds) / 1e9)
    }

    private func reusableCache(positions: Int, batchSize: Int) -> KVCache {
        if let cache, cache.positionLimit >= positions, cacheBatchSize == batchSize { return cache }
        let made = attention.makeCache(config: model.config, positions: positions, batchSize: batchSize)
        cache = made
        cacheBatchSize = batchSize
        return made
    }

    private func reusableScratch(batchSize: Int) -> ForwardScratch {
        if let scratch, scratch.maxTokens == max(1, batchSize) { return scratch }
        let made = model.makeScratch(maxTokens: batchSize)
        scratch = made
        return made
    }
}
