import Foundation
import ModelKit

/// Exact softmax attention computed over key blocks with an online softmax (FlashAttention-style):
/// per (query, head) it keeps a running max, a running sum and an output accumulator, so memory is O(block + headDim)
/// however long the context. Causality is by construction: a query at position p is only given keys in 0...p,
/// so later blocks are never visited.
public enum FlashAttention {
    /// Keys scored at a time.
    public static let blockSize = 64

    /// Runs `attend` for every (query token, head) of `request`, split across `request.threads`.
    /// `keyRanges(position)` gives the key positions a query at `position` may read (ascending, disjoint, each ≤ position).
    public static func attendAll(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>,
                                 keyRanges: (Int) -> [Range<Int>]) {
        let tokens = request.positions.count
        let items = tokens * request.headCount
        let headDim = request.cache.headDimension
        let rangesPerToken = request.positions.map(keyRanges)
        ComputeThreads.parallelRanges(items, parts: request.threads) { range in
            for item in range {
                let t = item / request.headCount
                let head = item % request.headCount
                let offset = (t * request.headCount + head) * headDim
                attend(query: request.queries + offset, layer: request.layer, kvHead: head / request.groupSize,
                       cache: request.cache, keyRanges: rangesPerToken[t], scale: request.scale, output: output + offset)
            }
        }
    }

    /// output[headDim] = Σ_j softmax_j(scale·q·k_j) v_j over the positions in `keyRanges` of one KV head.
    public static func attend(query: UnsafePointer<Float>, layer: Int, kvHead: Int, cache: KVCache,
                              keyRanges: [Range<Int>], scale: Float, output: UnsafeMutablePointer<Float>) {
        let headDim = cache.headDimension
        let keys = cache.keys(layer: layer, kvHead: kvHead)
        let values = cache.values(layer: layer, kvHead: kvHead)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { scores in
            output.initialize(repeating: 0, count: headDim)
            var runningMax = -Float.infinity
            var runningSum: Float = 0
            for range in keyRanges {
                var blockStart = range.lowerBound
                while blockStart < range.upperBound {
                    let n = min(blockSize, range.upperBound - blockStart)
                    var blockMax = -Float.infinity
                    for j in 0..<n {
                        let s = VectorMath.dot(query, keys + (blockStart + j) * headDim, count: headDim) * scale
                        scores[j] = s
                        blockMax = max(blockMax, s)
                    }
                    let newMax = max(runningMax, blockMax)
                    let correction = runningMax == -.infinity ? 0 : expf(runningMax - newMax)
                    if correction != 1 {
                        runningSum *= correction
                        VectorMath.scale(output, by: correction, count: headDim)
                    }
                    for j in 0..<n {
                        let p = expf(scores[j] - newMax)
                        runningSum += p
                        VectorMath.addScaled(output, values + (blockStart + j) * headDim, p, count: headDim)
                    }
                    runningMax = newMax
                    blockStart += n
                }
            }
            if runningSum > 0 { VectorMath.scale(output, by: 1 / runningSum, count: headDim) }
        }
    }
}
