import Foundation

/// Where attended keys appear to a query, so that RoPE never sees a distance the model was not trained on.
///
/// Invariant: no key ever appears farther from a query than `farthestDistance`. Exact distances while the query
/// position is ≤ farthestDistance (sparse policies equal dense attention there); beyond, distances up to
/// `neighborhood` stay exact and longer ones are compressed linearly onto (neighborhood, farthestDistance]
/// ("leaky ReRoPE" / self-extend style), at the granularity of a key segment (a page): the segment's first
/// key lands at the compressed distance and the keys inside the segment keep their exact spacing to it. The factor
/// grows with the query position, so the farthest key (position 0) always maps to `farthestDistance`.
///
/// `farthestDistance` defaults to half the trained length rather than its edge. Measured on the 16K passkey
/// (benchmarks/attention.md): far context squeezed up to distance 8,191 found 0 of 3 keys; squeezed up to 4,096 but
/// exact below position 8,192 found 2 of 3, missing the key that sat at position ~8,190 (read with true distances
/// near 8K); with every distance ≤ 4,096 that key is found too. SmolLM2 saw its longest distances only in its last,
/// shortest training stage, so the sparse policy keeps it where it is well trained.
public struct PositionScheme: Sendable, Equatable {
    /// Positions the model was trained on (GGUF context_length; 8,192 for SmolLM2).
    public let trainedLength: Int
    /// Distances up to this stay exact at every query position.
    public let neighborhood: Int
    /// The largest distance any key appears at; queries past this position see farther keys compressed.
    public let farthestDistance: Int

    public init(trainedLength: Int, neighborhood: Int? = nil, farthestDistance: Int? = nil) {
        self.trainedLength = max(2, trainedLength)
        self.neighborhood = max(1, min(neighborhood ?? trainedLength / 4, self.trainedLength - 1))
        self.farthestDistance = max(self.neighborhood, min(farthestDistance ?? self.trainedLength / 2, self.trainedLength - 1))
    }

    /// The query shift δ (see `RotaryShift`) for a key segment starting at `keyStart`, seen from a query at `queryPosition`:
    /// 0 while everything is in range; otherwise compressedDistance − trueDistance (≤ 0).
    @inline(__always)
    public func queryShift(keyStart: Int, queryPosition: Int) -> Int {
        let distance = queryPosition - keyStart
        guard queryPosition > farthestDistance, distance > neighborhood else { return 0 }
        // Compress (neighborhood, queryPosition] onto (neighborhood, farthestDistance].
        let squeeze = Double(farthestDistance - neighborhood) / Double(queryPosition - neighborhood)
        let compressed = neighborhood + Int((Double(distance - neighborhood) * squeeze).rounded(.down))
        return compressed - distance
    }

    /// Largest |δ| that `queryShift` returns for queries up to `queryPosition` (to size the rotation table).
    public func largestShift(upTo queryPosition: Int) -> Int {
        max(0, queryPosition - neighborhood)
    }
}
