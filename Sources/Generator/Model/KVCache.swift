import Foundation

/// Keys and values of every layer for positions 0..<count, owned by the caller (one per conversation / sequence).
///
/// Layout, per layer, one contiguous fp32 block each for keys and values:
///     keys[layer]:   [nKVHeads, capacity, headDim]
///     values[layer]: [nKVHeads, capacity, headDim]
/// so the keys of one KV head are contiguous over positions (cache-friendly scans and per-page summaries).
/// Keys are stored after RoPE. Position p of the sequence lives at slot p; nothing is evicted.
/// Attention policies (dense, sliding window, top-k pages) all read this same layout.
public final class KVCache: @unchecked Sendable {
    // @unchecked: mutated only by the forward pass that owns it; attention threads write disjoint rows.
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDimension: Int
    /// Maximum positions this cache holds.
    public let capacity: Int
    /// Positions filled so far (the next token goes to position `count`).
    public internal(set) var count: Int = 0

    private let keyStorage: UnsafeMutablePointer<Float>
    private let valueStorage: UnsafeMutablePointer<Float>

    public init(config: LlamaConfig, capacity: Int) {
        layerCount = config.blockCount
        kvHeadCount = config.headCountKV
        headDimension = config.headDimension
        self.capacity = max(1, capacity)
        let total = layerCount * kvHeadCount * self.capacity * headDimension
        keyStorage = .allocate(capacity: total)
        valueStorage = .allocate(capacity: total)
        keyStorage.initialize(repeating: 0, count: total)
        valueStorage.initialize(repeating: 0, count: total)
    }

    deinit {
        keyStorage.deallocate()
        valueStorage.deallocate()
    }

    /// Bytes held by keys and values.
    public var byteCount: Int { 2 * layerCount * kvHeadCount * capacity * headDimension * MemoryLayout<Float>.size }

    /// Keys of one KV head in one layer: [capacity, headDim] (row p = position p).
    public func keys(layer: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        keyStorage + ((layer * kvHeadCount + kvHead) * capacity) * headDimension
    }

    /// Values of one KV head in one layer: [capacity, headDim].
    public func values(layer: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        valueStorage + ((layer * kvHeadCount + kvHead) * capacity) * headDimension
    }

    /// Forgets everything (the storage is reused).
    public func reset() { count = 0 }

    /// Drops positions >= `newCount` (e.g. to re-run from a shared prefix).
    public func truncate(to newCount: Int) { count = max(0, min(count, newCount)) }
}
