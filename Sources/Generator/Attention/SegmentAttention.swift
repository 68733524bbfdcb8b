import CKernels
import Foundation
import ModelKit

/// A run of consecutive key positions that a block of queries attends with one query rotation.
public struct KeySegment: Equatable, Sendable {
    public var positions: Range<Int>
    /// δ: queries are rotated by this many extra positions for these keys (0: true distances; see `RotaryShift`).
    public var queryShift: Int

    public init(_ positions: Range<Int>, queryShift: Int = 0) {
        self.positions = positions
        self.queryShift = queryShift
    }
}

/// Exact online-softmax attention of query blocks over chosen key segments: the engine under the sparse policies.
///
/// Work items are (KV head, block of consecutive query tokens). For each item the policy's `plan` lists the key
/// segments (ascending, disjoint, none past the block's last position); the item gathers its query rows
/// ([tokens · group, headDim]: every query head of the KV group for every token, GQA), and for each segment runs the
/// FlashAttention block kernel (`rag_attention_block`) over chunks of `keyChunk` keys, with per-row causal limits where a
/// chunk reaches the block's own positions. Segments with a query shift use rotated copies of the rows. Memory per item
/// is O(rows · headDim) whatever the context length. Keys are read through `KVCache.slot(of:)`, so ring caches work.
public enum SegmentAttention {
    /// Keys per kernel call.
    public static let keyChunk = 64

    /// Fills `output` ([tokens, nHeads, headDim]) for every query of `request`.
    /// `plan(kvHead, tokens)` is called concurrently, once per item, with token indices relative to the request.
    /// `rotary` must have every |queryShift| the plans return reserved.
    public static func attend(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>, rotary: RotaryShift,
                              queryBlock: Int, plan: (_ kvHead: Int, _ tokens: Range<Int>) -> [KeySegment]) {
        let tokens = request.positions.count
        let group = request.groupSize
        let kvHeads = request.headCount / group
        let blocks = (tokens + queryBlock - 1) / queryBlock
        let items = kvHeads * blocks
        ComputeThreads.parallelRanges(items, parts: request.threads) { itemRange in
            let scratch = ItemScratch(rows: min(tokens, queryBlock) * group, headDim: request.cache.headDimension)
            defer { scratch.deallocate() }
            for item in itemRange {
                let kvHead = item / blocks
                let block = item % blocks
                let blockTokens = (block * queryBlock)..<min(tokens, (block + 1) * queryBlock)
                attendItem(request, kvHead: kvHead, tokens: blockTokens, segments: plan(kvHead, blockTokens),
                           rotary: rotary, scratch: scratch, output: output)
            }
        }
    }

    /// Per-thread buffers for one item.
    private struct ItemScratch {
        let queries: UnsafeMutablePointer<Float>   // [rows, headDim] gathered query rows
        let rotated: UnsafeMutablePointer<Float>   // [rows, headDim] rows rotated for the current segment
        let accumulator: UnsafeMutablePointer<Float>  // [rows, headDim]
        let maxima: UnsafeMutablePointer<Float>    // [rows]
        let sums: UnsafeMutablePointer<Float>      // [rows]
        let limits: UnsafeMutablePointer<Int64>    // [rows]
        let scores: UnsafeMutablePointer<Float>    // [keyChunk]

        init(rows: Int, headDim: Int) {
            queries = .allocate(capacity: rows * headDim)
            rotated = .allocate(capacity: rows * headDim)
            accumulator = .allocate(capacity: rows * headDim)
            maxima = .allocate(capacity: rows)
            sums = .allocate(capacity: rows)
            limits = .allocate(capacity: rows)
            scores = .allocate(capacity: SegmentAttention.keyChunk)
        }

        func deallocate() {
            queries.deallocate(); rotated.deallocate(); accumulator.deallocate()
            maxima.deallocate(); sums.deallocate(); limits.deallocate(); scores.deallocate()
        }
    }

    private static func attendItem(_ request: AttentionRequest, kvHead: Int, tokens: Range<Int>, segments: [KeySegment],
                                   rotary: RotaryShift, scratch s: ItemScratch, output: UnsafeMutablePointer<Float>) {
        let cache = request.cache
        let headDim = cache.headDimension
        let group = request.groupSize
        let rows = tokens.count * group
        // Gather rows: row (t − t0)·group + g = query head kvHead·group + g of token t.
        for t in tokens {
            let source = request.queries + (t * request.headCount + kvHead * group) * headDim
            (s.queries + (t - tokens.lowerBound) * group * headDim).update(from: source, count: group * headDim)
        }
        s.maxima.update(repeating: -.infinity, count: rows)
        s.sums.update(repeating: 0, count: rows)
        s.accumulator.update(repeating: 0, count: rows * headDim)
        let firstPosition = request.positions.lowerBound + tokens.lowerBound
        let keys = cache.keys(layer: request.layer, kvHead: kvHead)
        let values = cache.values(layer: request.layer, kvHead: kvHead)

        for segment in segments {
            var queries = UnsafePointer(s.queries)
            if segment.queryShift != 0 {
                rotary.rotate(s.queries, rows: rows, by: segment.queryShift, into: s.rotated)
                queries = UnsafePointer(s.rotated)
            }
            var start = segment.positions.lowerBound
            while start < segment.positions.upperBound {
                let end = min(segment.positions.upperBound, start + keyChunk, contiguousEnd(of: start, in: cache))
                var limits: UnsafePointer<Int64>?
                if end - 1 > firstPosition {
                    // Row of token t may read keys up to its own position.
                    for t in tokens {
                        let limit = Int64(request.positions.lowerBound + t - start)
                        for g in 0..<group { s.limits[(t - tokens.lowerBound) * group + g] = limit }
                    }
                    limits = UnsafePointer(s.limits)
                }
                let slot = cache.slot(of: start)
                rag_attention_block(queries, Int64(rows), Int64(headDim), keys + slot * headDim, values + slot * headDim,
                                    Int64(end - start), limits, request.scale, s.maxima, s.sums, s.accumulator, s.scores)
                start = end
            }
        }
        for t in tokens {
            for g in 0..<group {
                let row = (t - tokens.lowerBound) * group + g
                let out = output + (t * request.headCount + kvHead * group + g) * headDim
                let inverse: Float = s.sums[row] > 0 ? 1 / s.sums[row] : 0
                for d in 0..<headDim { out[d] = s.accumulator[row * headDim + d] * inverse }
            }
        }
    }

    /// First position after `position` whose slot does not follow on contiguously (a ring wraps there).
    @inline(__always)
    static func contiguousEnd(of position: Int, in cache: KVCache) -> Int {
        guard let ringStart = cache.ringStart else { return Int.max }
        let ringLength = cache.capacity - ringStart
        if position < ringStart { return ringStart + ringLength }
        return position + ringLength - (position - ringStart) % ringLength
    }
}
