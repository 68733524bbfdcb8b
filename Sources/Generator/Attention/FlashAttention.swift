import CKernels
import Foundation
import ModelKit

/// Exact softmax attention over key blocks with an online softmax (FlashAttention-style).
///
/// Work is cut into items of (KV head, block of query tokens, slice of the key span). An item keeps, per query row
/// (token × query head of the KV head's group), a running max, running sum and output accumulator, so its memory is
/// O(queryBlock · group · headDim) however long the context. For each key block, the keys/values of one KV head are
/// read once for all query heads of its group (GQA) and all tokens of the query block. Keys outside a query's ranges are
/// never visited, which skips causal blocks. With few query tokens (decode), the key span is split across threads and the
/// partial softmax states are merged (split-K / flash-decoding), so both cores work even on one token.
public enum FlashAttention {
    /// Keys per block (keys and values of a block stay in L1/L2 while every row of the item reads them).
    public static let keyBlock = 64
    /// Query tokens per work item.
    public static let queryBlock = 16

    /// Runs attention for every query of `request`. `keyRanges(position)` lists the key positions a query at `position`
    /// may read: ascending, disjoint, each ≤ position and < cache count. Dense attention passes [0 ..< position + 1].
    public static func attendAll(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>,
                                 keyRanges: (Int) -> [Range<Int>]) {
        let ranges = request.positions.map(keyRanges)
        let spanStart = ranges.compactMap { $0.first?.lowerBound }.min() ?? 0
        let spanEnd = ranges.compactMap { $0.last?.upperBound }.max() ?? 0
        run(request, output: output, span: spanStart..<spanEnd) { t in ranges[t] }
    }

    /// Dense causal attention: the query at position p reads keys 0...p (no per-query range lists are built).
    public static func attendCausal(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>) {
        let first = request.positions.lowerBound
        run(request, output: output, span: 0..<request.positions.upperBound) { t in CollectionOfOne(0..<(first + t + 1)) }
    }

    /// The shared driver; `rangesOf(t)` gives the key ranges of the t-th query of the request.
    private static func run<Ranges: Collection<Range<Int>>>(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>,
                                                            span: Range<Int>, rangesOf: (Int) -> Ranges) {
        let tokens = request.positions.count
        let headDim = request.cache.headDimension
        let group = request.groupSize
        let kvHeads = request.headCount / group
        let spanStart = span.lowerBound
        let spanEnd = span.upperBound
        let queryBlocks = (tokens + queryBlock - 1) / queryBlock
        let spanBlocks = (spanEnd - spanStart + keyBlock - 1) / keyBlock
        let splits = (queryBlocks * kvHeads < 2 * request.threads) ? max(1, min(request.threads * 2, spanBlocks / 2)) : 1
        let items = kvHeads * queryBlocks * splits
        let rowsPerItem = min(tokens, queryBlock) * group
        // Per item: m [rows], l [rows], acc [rows, headDim].
        let stateFloats = rowsPerItem * (headDim + 2)
        let states = UnsafeMutablePointer<Float>.allocate(capacity: items * stateFloats)
        defer { states.deallocate() }

        request.pool.run(parts: items) { item in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: keyBlock) { scores in
                do {
                    let split = item % splits
                    let queryBlockIndex = (item / splits) % queryBlocks
                    let kvHead = item / (splits * queryBlocks)
                    let t0 = queryBlockIndex * queryBlock
                    let t1 = min(tokens, t0 + queryBlock)
                    // This split's share of the key span, aligned to key blocks.
                    let firstBlock = spanBlocks * split / splits
                    let lastBlock = spanBlocks * (split + 1) / splits
                    let sliceStart = spanStart + firstBlock * keyBlock
                    let sliceEnd = min(spanEnd, spanStart + lastBlock * keyBlock)

                    let state = states + item * stateFloats
                    let m = state, l = state + rowsPerItem, acc = state + 2 * rowsPerItem
                    m.initialize(repeating: -.infinity, count: rowsPerItem)
                    l.initialize(repeating: 0, count: rowsPerItem)
                    acc.initialize(repeating: 0, count: rowsPerItem * headDim)

                    var blockStart = sliceStart
                    while blockStart < sliceEnd {
                        let blockEnd = min(sliceEnd, blockStart + keyBlock)
                        for t in t0..<t1 {
                            let row = (t - t0) * group
                            let query = request.queries + (t * request.headCount + kvHead * group) * headDim  // [group, headDim]
                            for range in rangesOf(t) {
                                let lo = max(range.lowerBound, blockStart), hi = min(range.upperBound, blockEnd)
                                guard lo < hi else { continue }
                                request.cache.attendBlock(layer: request.layer, kvHead: kvHead, slot: lo, count: hi - lo,
                                                          queries: query, rows: group, limits: nil, scale: request.scale,
                                                          maxima: m + row, sums: l + row, accumulator: acc + row * headDim,
                                                          scores: scores.baseAddress!)
                            }
                        }
                        blockStart = blockEnd
                    }
                    if splits == 1 {
                        for t in t0..<t1 {
                            for g in 0..<group {
                                let row = (t - t0) * group + g
                                let out = output + (t * request.headCount + kvHead * group + g) * headDim
                                let inverse: Float = l[row] > 0 ? 1 / l[row] : 0
                                for d in 0..<headDim { out[d] = acc[row * headDim + d] * inverse }
                            }
                        }
                    }
                }
            }
        }
        guard splits > 1 else { return }
        // Merge the partial states of the key slices: m = max m_s, l = Σ l_s e^(m_s−m), acc = Σ acc_s e^(m_s−m).
        for kvHead in 0..<kvHeads {
            for queryBlockIndex in 0..<queryBlocks {
                let t0 = queryBlockIndex * queryBlock, t1 = min(tokens, t0 + queryBlock)
                for t in t0..<t1 {
                    for g in 0..<group {
                        let row = (t - t0) * group + g
                        let out = output + (t * request.headCount + kvHead * group + g) * headDim
                        var maximum = -Float.infinity
                        for split in 0..<splits {
                            let state = states + ((kvHead * queryBlocks + queryBlockIndex) * splits + split) * stateFloats
                            maximum = max(maximum, state[row])
                        }
                        var total: Float = 0
                        out.initialize(repeating: 0, count: headDim)
                        guard maximum > -.infinity else { continue }
                        for split in 0..<splits {
                            let state = states + ((kvHead * queryBlocks + queryBlockIndex) * splits + split) * stateFloats
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
    }
}
