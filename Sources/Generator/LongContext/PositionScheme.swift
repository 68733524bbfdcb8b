import Foundation

/// Where attended keys appear to a query, so that RoPE never sees a distance the model was not trained on.
///
/// Scheme (documented in docs/attention.md): exact distances while the query position is inside the trained range
/// (so sparse policies equal dense attention there); beyond it, distances up to `neighborhood` stay exact and longer
/// ones are compressed linearly into the remaining trained range ("leaky ReRoPE" / self-extend style), at the
/// granularity of a key segment (a page of 16 keys): the segment's first key lands at the compressed distance and the
/// keys inside the segment keep their exact spacing to it. The compression factor grows with the query position,
/// so the farthest key (position 0) always maps to a distance ≤ trainedLength − 1.
public struct PositionScheme: Sendable, Equatable {
    /// Positions the model was trained on (GGUF context_length; 8,192 for SmolLM2).
    public let trainedLength: Int
    /// Distances up to this stay exact at every query position.
    public let neighborhood: Int

    public init(trainedLength: Int, neighborhood: Int? = nil) {
        self.trainedLength = max(2, trainedLength)
        self.neighborhood = max(1, min(neighborhood ?? trainedLength / 4, self.trainedLength - 1))
    }

    /// The query shift δ (see `RotaryShift`) for a key segment starting at `keyStart`, seen from a query at `queryPosition`:
    /// 0 while everything is in range; otherwise compressedDistance − trueDistance (≤ 0).
    @inline(__always)
    public func queryShift(keyStart: Int, queryPosition: Int) -> Int {
        let distance = queryPosition - keyStart
        let longest = trainedLength - 1
        guard queryPosition > longest, distance > neighborhood else { return 0 }
        // Compress (neighborhood, queryPosition] onto (neighborhood, longest].
        let squeeze = Double(longest - neighborhood) / Double(queryPosition - neighborhood)
        let compressed = neighborhood + Int((Double(distance - neighborhood) * squeeze).rounded(.down))
        return compressed - distance
    }

    /// Largest |δ| that `queryShift` returns for queries up to `queryPosition` (to size the rotation table).
    public func largestShift(upTo queryPosition: Int) -> Int {
        max(0, queryPosition - neighborhood)
    }
}
