import Foundation

/// Keys and values of every layer for positions 0..<count, owned by the caller (one per conversation / sequence).
///
/// Layout, per layer, one contiguous fp32 block each for keys and values:
///     keys[layer]:   [nKVHeads, capacity, headDim]
///     values[layer]: [nKVHeads, capacity, headDim]
/// so the keys of one KV head are contiguous over positions (cache-friendly scans and per-page summaries).
/// Keys are stored after RoPE. Position p of the sequence lives at slot p; nothing is evicted.
/// A ring cache (sliding-window attention) keeps positions below `ringStart` at their own slots (attention sinks)
/// and cycles later positions through slots ringStart..<capacity, so it holds any number of positions in bounded memory.
/// Attention policies (dense, sliding window, top-k pages) all read this same layout through `slot(of:)`.
public final class KVCache: @unchecked Sendable {
    // @unchecked: mutated only by the forward pass that owns it; attention threads write disjoint rows.
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDimension: Int
    /// Maximum positions this cache holds.
    public let capacity: Int
    /// Positions filled so far (the next token goes to position `count`).
    public internal(set) var count: Int = 0
    /// First slot of the ring (nil: a linear cache where position p lives at slot p).
    public let ringStart: Int?

    private let keyStorage: UnsafeMutablePointer<Float>
    private let valueStorage: UnsafeMutablePointer<Float>

    /// A linear cache (`ringStart == nil`) or a ring cache whose first `ringStart` positions are never overwritten.
    public init(config: LlamaConfig, capacity: Int, ringStart: Int? = nil) {
        self.ringStart = ringStart.map { max(0, min($0, max(1, capacity) - 1)) }
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

    /// Slot holding position `position` (its row in `keys(layer:kvHead:)` / `values(layer:kvHead:)`).
    @inline(__always)
    public func slot(of position: Int) -> Int {
        guard let ringStart, position >= ringStart else { return position }
        return ringStart + (position - ringStart) % (capacity - ringStart)
    }

    /// Positions the cache accepts in total: its capacity, or unbounded for a ring.
    public var positionLimit: Int { ringStart == nil ? capacity : Int.max }

    /// Forgets everything (the storage is reused).
    public func reset() { count = 0 }

    /// Drops positions >= `newCount` (e.g. to re-run from a shared prefix).
    public func truncate(to newCount: Int) { count = max(0, min(count, newCount)) }
}
