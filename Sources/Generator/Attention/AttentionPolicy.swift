import Foundation
import ModelKit

/// What one layer asks of attention: queries for a run of consecutive positions, the cache already holding their keys/values.
public struct AttentionRequest {
    public let layer: Int
    /// [tokens, nHeads, headDim], after RoPE.
    public let queries: UnsafePointer<Float>
    /// Absolute positions of the queries; the cache holds keys/values for 0..<positions.upperBound.
    public let positions: Range<Int>
    public let cache: KVCache
    public let headCount: Int
    /// Query head h reads KV head h / groupSize.
    public let groupSize: Int
    /// 1/sqrt(headDim).
    public let scale: Float
    /// Worker threads the policy may use (`pool.run`, `pool.parallelRanges`).
    public let pool: WorkerPool
    public var threads: Int { pool.threadCount }

    public init(layer: Int, queries: UnsafePointer<Float>, positions: Range<Int>, cache: KVCache,
                headCount: Int, groupSize: Int, scale: Float, pool: WorkerPool) {
        self.layer = layer
        self.queries = queries
        self.positions = positions
        self.cache = cache
        self.headCount = headCount
        self.groupSize = groupSize
        self.scale = scale
        self.pool = pool
    }
}

/// The seam between the transformer and attention. The forward pass calls, per layer:
///  1. `didAppend` right after writing the new keys/values into the cache (keep summaries such as per-page key min/max);
///  2. `attend` to fill `output` ([tokens, nHeads, headDim]) from the queries and the cache.
/// Dense attention reads every earlier position; sparse policies (sliding window with sinks, top-k pages)
/// choose key ranges per query and can reuse `FlashAttention.attend(..., keyRanges:)` over the same cache.
/// A policy instance belongs to one sequence (one `KVCache`), like the cache itself.
public protocol AttentionPolicy: AnyObject {
    /// Short name for logs and benchmarks (e.g. "dense").
    var name: String { get }
    func didAppend(layer: Int, positions: Range<Int>, cache: KVCache)
    func attend(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>)
    /// Called when the cache is reset or truncated so per-sequence state can follow.
    func cacheDidShrink(to count: Int)
    /// A cache for a sequence of up to `positions` positions fed in batches of up to `batchSize` tokens
    /// (a sliding window answers with a bounded ring; the others with a linear cache), in `cachePrecision`.
    func makeCache(config: LlamaConfig, positions: Int, batchSize: Int) -> KVCache
    /// Element type of the caches this policy makes (default fp32).
    var cachePrecision: KVCachePrecision { get }
    /// True when the policy keeps RoPE inside the trained range at any position (so a sequence may be longer
    /// than the model's context length); false when positions beyond it are out of range.
    var extendsContext: Bool { get }
}

extension AttentionPolicy {
    public func didAppend(layer: Int, positions: Range<Int>, cache: KVCache) {}
    public func cacheDidShrink(to count: Int) {}
    public func makeCache(config: LlamaConfig, positions: Int, batchSize: Int) -> KVCache {
        KVCache(config: config, capacity: positions, precision: cachePrecision)
    }
    public var extendsContext: Bool { false }
    public var cachePrecision: KVCachePrecision { .f32 }
}

/// Exact causal attention over all earlier positions, computed FlashAttention-style.
public final class DenseAttention: AttentionPolicy {
    public let name = "dense"
    public let cachePrecision: KVCachePrecision
    public init(cachePrecision: KVCachePrecision = .f32) { self.cachePrecision = cachePrecision }

    public func attend(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>) {
        FlashAttention.attendCausal(request, output: output)
    }
}
