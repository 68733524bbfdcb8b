import CKernels
import Foundation

/// How a `KVCache` stores keys and values.
public enum KVCachePrecision: String, CaseIterable, Sendable {
    /// IEEE fp32 (4 bytes per element).
    case f32
    /// IEEE fp16 (2 bytes per element; round to nearest even on store, converted back on the fly by the attention kernels).
    case f16

    public var bytesPerElement: Int { self == .f32 ? 4 : 2 }
}

/// Keys and values of every layer for positions 0..<count, owned by the caller (one per conversation / sequence).
///
/// Layout, per layer, one contiguous block each for keys and values, elements fp32 or fp16 (`precision`):
///     keys[layer]:   [nKVHeads, capacity, headDim]
///     values[layer]: [nKVHeads, capacity, headDim]
/// so the keys of one KV head are contiguous over positions (cache-friendly scans and per-page summaries).
/// Keys are stored after RoPE. Position p of the sequence lives at slot p; nothing is evicted.
/// A ring cache (sliding-window attention) keeps positions below `ringStart` at their own slots (attention sinks)
/// and cycles later positions through slots ringStart..<capacity, so it holds any number of positions in bounded memory.
/// Attention policies (dense, sliding window, top-k pages) all read this same layout through `slot(of:)`, and reach the
/// rows through `store`/`load` and `attendBlock`, which know the element type.
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
    public let precision: KVCachePrecision

    private let keyStorage: UnsafeMutableRawPointer
    private let valueStorage: UnsafeMutableRawPointer

    /// A linear cache (`ringStart == nil`) or a ring cache whose first `ringStart` positions are never overwritten.
    public init(config: LlamaConfig, capacity: Int, ringStart: Int? = nil, precision: KVCachePrecision = .f32) {
        self.ringStart = ringStart.map { max(0, min($0, max(1, capacity) - 1)) }
        self.precision = precision
        layerCount = config.blockCount
        kvHeadCount = config.headCountKV
        headDimension = config.headDimension
        self.capacity = max(1, capacity)
        let bytes = layerCount * kvHeadCount * self.capacity * headDimension * precision.bytesPerElement
        keyStorage = .allocate(byteCount: bytes, alignment: 64)
        valueStorage = .allocate(byteCount: bytes, alignment: 64)
        keyStorage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        valueStorage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit {
        keyStorage.deallocate()
        valueStorage.deallocate()
    }

    /// Bytes held by keys and values.
    public var byteCount: Int { capacity * bytesPerPosition }

    /// Bytes of keys and values per cached position (all layers and KV heads): 46,080 in fp32, 23,040 in fp16 for SmolLM2-135M.
    public var bytesPerPosition: Int { Self.bytesPerPosition(layers: layerCount, kvWidth: kvHeadCount * headDimension, precision: precision) }

    public static func bytesPerPosition(layers: Int, kvWidth: Int, precision: KVCachePrecision) -> Int {
        2 * layers * kvWidth * precision.bytesPerElement
    }

    /// Element offset of (layer, KV head, slot 0).
    @inline(__always)
    private func base(layer: Int, kvHead: Int) -> Int { ((layer * kvHeadCount + kvHead) * capacity) * headDimension }

    /// fp32 keys of one KV head in one layer: [capacity, headDim] (row p = position p). fp32 caches only.
    public func keys(layer: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        precondition(precision == .f32, "KVCache.keys: an fp16 cache; use store/load/attendBlock")
        return keyStorage.assumingMemoryBound(to: Float.self) + base(layer: layer, kvHead: kvHead)
    }

    /// fp32 values of one KV head in one layer: [capacity, headDim]. fp32 caches only.
    public func values(layer: Int, kvHead: Int) -> UnsafeMutablePointer<Float> {
        precondition(precision == .f32, "KVCache.values: an fp16 cache; use store/load/attendBlock")
        return valueStorage.assumingMemoryBound(to: Float.self) + base(layer: layer, kvHead: kvHead)
    }

    /// Writes `rows` consecutive slots from `slot` of one (layer, KV head): keys and values [rows, headDim] fp32,
    /// converted to the cache's precision. The slots must not wrap around a ring.
    public func store(layer: Int, kvHead: Int, slot: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rows: Int = 1) {
        let offset = base(layer: layer, kvHead: kvHead) + slot * headDimension
        let count = rows * headDimension
        switch precision {
        case .f32:
            (keyStorage.assumingMemoryBound(to: Float.self) + offset).update(from: keys, count: count)
            (valueStorage.assumingMemoryBound(to: Float.self) + offset).update(from: values, count: count)
        case .f16:
            rag_f32_to_f16(keys, keyStorage.assumingMemoryBound(to: UInt16.self) + offset, Int64(count))
            rag_f32_to_f16(values, valueStorage.assumingMemoryBound(to: UInt16.self) + offset, Int64(count))
        }
    }

    /// The key of `slot` of (layer, KV head) as fp32 into `out` [headDim].
    public func loadKey(layer: Int, kvHead: Int, slot: Int, into out: UnsafeMutablePointer<Float>) {
        load(keyStorage, offset: base(layer: layer, kvHead: kvHead) + slot * headDimension, into: out)
    }

    /// The value of `slot` of (layer, KV head) as fp32 into `out` [headDim].
    public func loadValue(layer: Int, kvHead: Int, slot: Int, into out: UnsafeMutablePointer<Float>) {
        load(valueStorage, offset: base(layer: layer, kvHead: kvHead) + slot * headDimension, into: out)
    }

    private func load(_ storage: UnsafeMutableRawPointer, offset: Int, into out: UnsafeMutablePointer<Float>) {
        switch precision {
        case .f32: out.update(from: storage.assumingMemoryBound(to: Float.self) + offset, count: headDimension)
        case .f16: rag_f16_to_f32(storage.assumingMemoryBound(to: UInt16.self) + offset, out, Int64(headDimension))
        }
    }

    /// One online-softmax key block (`rag_attention_block` / `rag_attention_block_f16`) over `count` consecutive slots
    /// from `slot` of (layer, KV head): queries [rows, headDim]; maxima, sums [rows]; accumulator [rows, headDim];
    /// scores: scratch of `count` floats; limits: nil or [rows] (see CKernels.h).
    @inline(__always)
    public func attendBlock(layer: Int, kvHead: Int, slot: Int, count: Int, queries: UnsafePointer<Float>, rows: Int,
                            limits: UnsafePointer<Int64>?, scale: Float, maxima: UnsafeMutablePointer<Float>,
                            sums: UnsafeMutablePointer<Float>, accumulator: UnsafeMutablePointer<Float>,
                            scores: UnsafeMutablePointer<Float>) {
        let offset = base(layer: layer, kvHead: kvHead) + slot * headDimension
        switch precision {
        case .f32:
            rag_attention_block(queries, Int64(rows), Int64(headDimension),
                                keyStorage.assumingMemoryBound(to: Float.self) + offset,
                                valueStorage.assumingMemoryBound(to: Float.self) + offset, Int64(count),
                                limits, scale, maxima, sums, accumulator, scores)
        case .f16:
            rag_attention_block_f16(queries, Int64(rows), Int64(headDimension),
                                    keyStorage.assumingMemoryBound(to: UInt16.self) + offset,
                                    valueStorage.assumingMemoryBound(to: UInt16.self) + offset, Int64(count),
                                    limits, scale, maxima, sums, accumulator, scores)
        }
    }

    /// Starts loading the first `bytes` of the keys and of the values from `slot` of (layer, KV head) into cache
    /// (`rag_prefetch`): sparse attention calls it for the next piece it will read.
    @inline(__always)
    public func prefetch(layer: Int, kvHead: Int, slot: Int, bytes: Int) {
        let offset = (base(layer: layer, kvHead: kvHead) + slot * headDimension) * precision.bytesPerElement
        rag_prefetch(keyStorage + offset, Int64(bytes))
        rag_prefetch(valueStorage + offset, Int64(bytes))
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
