import CKernels
import Foundation

/// Perplexity over consecutive non-overlapping windows: in each window of `window` tokens,
/// tokens 1..window−1 are scored given their prefix in the window; the final partial window is dropped.
public struct PerplexityEvaluator {
    public let model: LlamaModel
    public let attention: AttentionPolicy
    public let window: Int
    /// Tokens per forward batch (logits are needed at every position).
    public let batchSize: Int

    public struct Result: Sendable {
        public let perplexity: Double
        public let meanNegativeLogLikelihood: Double
        public let scoredTokens: Int
    }

    public init(model: LlamaModel, attention: AttentionPolicy = DenseAttention(), window: Int, batchSize: Int = 512) {
        self.model = model
        self.attention = attention
        self.window = window
        self.batchSize = batchSize
    }

    public func evaluate(_ ids: [Int32], progress: (Int) -> Void = { _ in }) throws(GeneratorError) -> Result {
        let windows = ids.count / window
        let cache = KVCache(config: model.config, capacity: window, precision: attention.cachePrecision)
        let scratch = model.makeScratch(maxTokens: min(batchSize, window))
        var totalNLL: Double = 0
        var scored = 0
        for w in 0..<windows {
            cache.reset()
            attention.cacheDidShrink(to: 0)
            let tokens = Array(ids[(w * window)..<((w + 1) * window)])
            var start = 0
            while start < tokens.count {
                let end = min(tokens.count, start + scratch.maxTokens)
                try model.forward(Array(tokens[start..<end]), cache: cache, scratch: scratch, attention: attention, logits: .all)
                // Row r predicts token start + r + 1.
                for r in 0..<(end - start) where start + r + 1 < tokens.count {
                    totalNLL += Self.negativeLogLikelihood(scratch.logits(row: r), target: Int(tokens[start + r + 1]))
                    scored += 1
                }
                start = end
            }
            progress(w + 1)
        }
        let mean = scored > 0 ? totalNLL / Double(scored) : 0
        return Result(perplexity: exp(mean), meanNegativeLogLikelihood: mean, scoredTokens: scored)
    }

    /// −log softmax(logits)[target] = logsumexp(logits) − logits[target].
    public static func negativeLogLikelihood(_ logits: UnsafeBufferPointer<Float>, target: Int) -> Double {
        rag_log_sum_exp(logits.baseAddress!, Int64(logits.count)) - Double(logits[target])
    }

    /// Scalar twin of `rag_log_sum_exp`: max + log Σ e^(x − max) in fp64.
    public static func logSumExpReference(_ logits: UnsafeBufferPointer<Float>) -> Double {
        var maxLogit = -Float.infinity
        for v in logits { maxLogit = max(maxLogit, v) }
        var sum: Double = 0
        for v in logits { sum += exp(Double(v) - Double(maxLogit)) }
        return Double(maxLogit) + log(sum)
    }
}
