import Foundation

/// Scalar reference (twin) of the attention kernels: plain two-pass softmax in fp64 over the given key positions.
public enum AttentionReference {
    /// output[headDim] = Σ_j softmax_j(scale·q·k_j) v_j for j in `keyRanges`, reading one KV head of `layer`.
    public static func attend(query: UnsafePointer<Float>, layer: Int, kvHead: Int, cache: KVCache,
                              keyRanges: [Range<Int>], scale: Float, output: UnsafeMutablePointer<Float>) {
        let headDim = cache.headDimension
        let keys = cache.keys(layer: layer, kvHead: kvHead)
        let values = cache.values(layer: layer, kvHead: kvHead)
        let positions = keyRanges.flatMap { Array($0) }
        let scores = positions.map { p -> Double in
            var s = 0.0
            for d in 0..<headDim { s += Double(query[d]) * Double(keys[p * headDim + d]) }
            return s * Double(scale)
        }
        let maximum = scores.max() ?? 0
        let weights = scores.map { exp($0 - maximum) }
        let total = weights.reduce(0, +)
        for d in 0..<headDim {
            var value = 0.0
            for (i, p) in positions.enumerated() { value += weights[i] * Double(values[p * headDim + d]) }
            output[d] = total > 0 ? Float(value / total) : 0
        }
    }
}
