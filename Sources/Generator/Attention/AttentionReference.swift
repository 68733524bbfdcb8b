import Foundation

/// Scalar reference (twin) of the attention kernels: plain two-pass softmax in fp64 over the given key positions.
public enum AttentionReference {
    /// output[headDim] = Σ_j softmax_j(scale·q·k_j) v_j for j in `keyRanges`, reading one KV head of `layer`.
    public static func attend(query: UnsafePointer<Float>, layer: Int, kvHead: Int, cache: KVCache,
                              keyRanges: [Range<Int>], scale: Float, output: UnsafeMutablePointer<Float>) {
        let headDim = cache.headDimension
        let positions = keyRanges.flatMap { Array($0) }
        var keys = [Float](repeating: 0, count: positions.count * headDim)     // [positions, headDim] as fp32
        var values = [Float](repeating: 0, count: positions.count * headDim)
        for (i, p) in positions.enumerated() {
            keys.withUnsafeMutableBufferPointer { cache.loadKey(layer: layer, kvHead: kvHead, slot: cache.slot(of: p), into: $0.baseAddress! + i * headDim) }
            values.withUnsafeMutableBufferPointer { cache.loadValue(layer: layer, kvHead: kvHead, slot: cache.slot(of: p), into: $0.baseAddress! + i * headDim) }
        }
        let scores = positions.indices.map { i -> Double in
            var s = 0.0
            for d in 0..<headDim { s += Double(query[d]) * Double(keys[i * headDim + d]) }
            return s * Double(scale)
        }
        let maximum = scores.max() ?? 0
        let weights = scores.map { exp($0 - maximum) }
        let total = weights.reduce(0, +)
        for d in 0..<headDim {
            var value = 0.0
            for i in positions.indices { value += weights[i] * Double(values[i * headDim + d]) }
            output[d] = total > 0 ? Float(value / total) : 0
        }
    }
}
