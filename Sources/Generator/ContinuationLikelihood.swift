import Foundation

/// Log-likelihood of a continuation after a context: the score of query-likelihood re-ranking
/// (how likely the model finds the question after a passage). Each pair runs as one prefill with logits at
/// every position; the cache is reset between pairs.
public final class ContinuationLikelihood {
    public let model: LlamaModel
    public let attention: AttentionPolicy
    private let cache: KVCache
    private let scratch: ForwardScratch

    /// `maxTokens`: the longest context + continuation scored (longer contexts lose their beginning).
    public init(model: LlamaModel, attention: AttentionPolicy = DenseAttention(), maxTokens: Int = 256) {
        self.model = model
        self.attention = attention
        cache = KVCache(config: model.config, capacity: maxTokens, precision: attention.cachePrecision)
        scratch = model.makeScratch(maxTokens: maxTokens)
    }

    /// Mean log-probability per continuation token of `continuation` after `context` (token ids).
    public func meanLogLikelihood(context: [Int32], continuation: [Int32]) throws(GeneratorError) -> Double {
        guard !continuation.isEmpty else { return 0 }
        let room = scratch.maxTokens - continuation.count
        guard room >= 1 else { throw .contextOverflow(needed: continuation.count + 1, contextLength: scratch.maxTokens) }
        let kept = context.isEmpty ? [continuation[0]] : Array(context.suffix(room))
        let tokens = kept + (context.isEmpty ? Array(continuation.dropFirst()) : continuation)
        let scoredFrom = context.isEmpty ? 1 : kept.count   // first continuation position that has a prediction
        guard tokens.count > scoredFrom else { return 0 }
        cache.reset()
        attention.cacheDidShrink(to: 0)
        try model.forward(tokens, cache: cache, scratch: scratch, attention: attention, logits: .all)
        var total = 0.0
        // Row r predicts token r + 1.
        for position in scoredFrom..<tokens.count {
            total -= PerplexityEvaluator.negativeLogLikelihood(scratch.logits(row: position - 1), target: Int(tokens[position]))
        }
        return total / Double(tokens.count - scoredFrom)
    }
}
