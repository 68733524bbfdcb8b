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

    /// Bytes at the start of the next piece of keys and values touched (`KVCache.prefetch`) before each kernel call:
    /// four cache lines. Reading 8 KB pieces in random order, one core here went from 20 to 27 GB/s with the next
    /// piece's first 256 bytes prefetched (whole pieces: 17.5 GB/s, the prefetches queue behind each other); topk
    /// decode at 32K gained 5–7 % (benchmarks/attention.md).
    static let prefetchBytes = 256

    /// Fills `output` ([tokens, nHeads, headDim]) for every query of `request`.
    /// `plan(kvHead, tokens)` is called concurrently, once per (KV head, query block), with token indices relative to
    /// the request. `rotary` must have every |queryShift| the plans return reserved.
    /// With fewer items than threads (decode), each plan's keys are split across threads and the partial softmax
    /// states merged (m = max m_s, l = Σ l_s e^(m_s−m), acc = Σ acc_s e^(m_s−m)), so every core works on one token.
    public static func attend(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>, rotary: RotaryShift,
                              queryBlock: Int, plan: (_ kvHead: Int, _ tokens: Range<Int>) -> [KeySegment]) {
        let tokens = request.positions.count
        let group = request.groupSize
        let headDim = request.cache.headDimension
        let kvHeads = request.headCount / group
        let blocks = (tokens + queryBlock - 1) / queryBlock
        let units = kvHeads * blocks
        func blockTokens(_ block: Int) -> Range<Int> { (block * queryBlock)..<min(tokens, (block + 1) * queryBlock) }
        let rowsPerItem = min(tokens, queryBlock) * group

        let splits = units < 2 * request.threads ? 2 * request.threads : 1
        var plans = [[KeySegment]](repeating: [], count: units)
        if splits > 1 {
            // Few plans (decode): cheaper inline than another fork/join.
            for unit in 0..<units { plans[unit] = plan(unit / blocks, blockTokens(unit % blocks)) }
        } else {
            plans.withUnsafeMutableBufferPointer { plans in
                request.pool.parallelRanges(units) { range in
                    for unit in range { plans[unit] = plan(unit / blocks, blockTokens(unit % blocks)) }
                }
            }
        }
        guard splits > 1 else {
            request.pool.parallelRanges(units) { range in
                let scratch = ItemScratch(rows: rowsPerItem, headDim: headDim)
                defer { scratch.deallocate() }
                for unit in range {
                    let kvHead = unit / blocks, tokens = blockTokens(unit % blocks)
                    accumulate(request, kvHead: kvHead, tokens: tokens, segments: plans[unit], rotary: rotary, scratch: scratch)
                    for t in tokens {
                        for g in 0..<group {
                            let row = (t - tokens.lowerBound) * group + g
                            let out = output + (t * request.headCount + kvHead * group + g) * headDim
                            let inverse: Float = scratch.sums[row] > 0 ? 1 / scratch.sums[row] : 0
                            for d in 0..<headDim { out[d] = scratch.accumulator[row * headDim + d] * inverse }
                        }
                    }
                }
            }
            return
        }
        // Split-K: item = (unit, split); partial states per item: m [rows], l [rows], acc [rows, headDim].
        let stateFloats = rowsPerItem * (headDim + 2)
        let states = UnsafeMutablePointer<Float>.allocate(capacity: units * splits * stateFloats)
        defer { states.deallocate() }
        request.pool.parallelRanges(units * splits) { range in
            let scratch = ItemScratch(rows: rowsPerItem, headDim: headDim)
            defer { scratch.deallocate() }
            for item in range {
                let unit = item / splits, split = item % splits
                let tokens = blockTokens(unit % blocks)
                let rows = tokens.count * group
                accumulate(request, kvHead: unit / blocks, tokens: tokens,
                           segments: share(of: plans[unit], part: split, parts: splits), rotary: rotary, scratch: scratch)
                let state = states + item * stateFloats
                state.update(from: scratch.maxima, count: rows)
                (state + rowsPerItem).update(from: scratch.sums, count: rows)
                (state + 2 * rowsPerItem).update(from: scratch.accumulator, count: rows * headDim)
            }
        }
        for unit in 0..<units {
            let kvHead = unit / blocks, tokens = blockTokens(unit % blocks)
            for t in tokens {
                for g in 0..<group {
                    let row = (t - tokens.lowerBound) * group + g
                    let out = output + (t * request.headCount + kvHead * group + g) * headDim
                    var maximum = -Float.infinity
                    for split in 0..<splits { maximum = max(maximum, states[(unit * splits + split) * stateFloats + row]) }
                    out.update(repeating: 0, count: headDim)
                    guard maximum > -.infinity else { continue }
                    var total: Float = 0
                    for split in 0..<splits {
                        let state = states + (unit * splits + split) * stateFloats
                        guard state[row] > -.infinity else { continue }
                        let weight = expf(state[row] - maximum)
                        total += state[rowsPerItem + row] * weight
                        VectorMath.addScaled(out, state + 2 * rowsPerItem + row * headDim, weight, count: headDim)
                    }
                    if total > 0 { VectorMath.scale(out, by: 1 / total, count: headDim) }
                }
            }
        }
    }

    /// The `part`-th of `parts` equal shares of the segments' keys (cut inside segments where needed).
    static func share(of segments: [KeySegment], part: Int, parts: Int) -> [KeySegment] {
        let total = segments.reduce(0) { $0 + $1.positions.count }
        let from = total * part / parts, to = total * (part + 1) / parts
        var result: [KeySegment] = []
        var offset = 0
        for segment in segments {
            let count = segment.positions.count
            let lo = max(from, offset) - offset, hi = min(to, offset + count) - offset
            if lo < hi {
                let start = segment.positions.lowerBound
                result.append(KeySegment((start + lo)..<(start + hi), queryShift: segment.queryShift))
            }
            offset += count
        }
        return result
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

    /// Online-softmax state (scratch maxima, sums, accumulator) of one item's rows over `segments`.
    private static func accumulate(_ request: AttentionRequest, kvHead: Int, tokens: Range<Int>, segments: [KeySegment],
                                   rotary: RotaryShift, scratch s: ItemScratch) {
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

        for (index, segment) in segments.enumerated() {
            var queries = UnsafePointer(s.queries)
            if segment.queryShift != 0 {
                rotary.rotate(s.queries, rows: rows, by: segment.queryShift, into: s.rotated)
                queries = UnsafePointer(s.rotated)
            }
            var start = segment.positions.lowerBound
            while start < segment.positions.upperBound {
                let end = min(segment.positions.upperBound, start + keyChunk, contiguousEnd(of: start, in: cache))
                // The next piece's first lines (see `prefetchBytes`).
                let next = end < segment.positions.upperBound ? end
                    : index + 1 < segments.count ? segments[index + 1].positions.lowerBound : nil
                if let next { cache.prefetch(layer: request.layer, kvHead: kvHead, slot: cache.slot(of: next), bytes: prefetchBytes) }
                var limits: UnsafePointer<Int64>?
                if end - 1 > firstPosition {
                    // Row of token t may read keys up to its own position.
                    for t in tokens {
                        let limit = Int64(request.positions.lowerBound + t - start)
                        for g in 0..<group { s.limits[(t - tokens.lowerBound) * group + g] = limit }
                    }
                    limits = UnsafePointer(s.limits)
                }
                cache.attendBlock(layer: request.layer, kvHead: kvHead, slot: cache.slot(of: start), count: end - start,
                                  queries: queries, rows: rows, limits: limits, scale: request.scale,
                                  maxima: s.maxima, sums: s.sums, accumulator: s.accumulator, scores: s.scores)
                start = end
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
