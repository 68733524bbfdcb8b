import Foundation

extension KVCache {
    /// Appends `count` positions of deterministic pseudo-random keys and values in [−1, 1) (through `slot(of:)`, so a
    /// ring keeps only its sinks and latest positions) and tells `attention` about them, layer by layer.
    /// For benchmarks of decode cost at a given context length, which does not depend on the cached values
    /// (top-k reads a fixed budget whatever the scores); never for accuracy.
    public func appendSyntheticPositions(_ count: Int, attention: AttentionPolicy, seed: UInt64 = 1) {
        let positions = self.count..<(self.count + count)
        var random = SeededRandom(seed: seed)
        var key = [Float](repeating: 0, count: headDimension), value = key   // [headDim] each
        for layer in 0..<layerCount {
            for kvHead in 0..<kvHeadCount {
                for position in positions {
                    for d in 0..<headDimension {
                        key[d] = Float(random.nextUnit() * 2 - 1)
                        value[d] = Float(random.nextUnit() * 2 - 1)
                    }
                    store(layer: layer, kvHead: kvHead, slot: slot(of: position), keys: key, values: value)
                }
            }
            attention.didAppend(layer: layer, positions: positions, cache: self)
        }
        self.count = positions.upperBound
    }
}
