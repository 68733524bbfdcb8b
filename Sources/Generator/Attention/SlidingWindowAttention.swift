import Foundation

/// Sliding-window attention with attention sinks (StreamingLLM, Xiao et al. 2023).
///
/// A query at position P reads the first `sinks` positions and the last `window` positions up to itself (for a block
/// of queries, the window of its first query, so each reads at least `window` recent keys). The cache is a ring: the
/// sinks keep their slots, later positions cycle through `window + batch` slots, so memory is bounded at any length.
/// Positions as in the paper, "within the cache": the recent keys keep their true distances (at most the window) and
/// the sinks appear directly before the window's first key, so no distance exceeds sinks + window + a query block,
/// however long the sequence. Keys stay rotated by their absolute position; the sinks are reached with a shifted query.
public final class SlidingWindowAttention: AttentionPolicy {
    public let sinks: Int
    public let window: Int
    /// Query tokens that share one key plan.
    public static let queryBlock = 16
    public var name: String { "window" }
    public var extendsContext: Bool { true }
    public let cachePrecision: KVCachePrecision
    private let rotary: RotaryShift

    public init(config: LlamaConfig, sinks: Int = 4, window: Int = 1024, cachePrecision: KVCachePrecision = .f32) {
        self.cachePrecision = cachePrecision
        self.sinks = max(0, sinks)
        self.window = max(1, window)
        rotary = RotaryShift(config: config)
    }

    /// A ring of sinks + window + batch (+ one query block) slots, or a linear cache when the sequence fits anyway.
    public func makeCache(config: LlamaConfig, positions: Int, batchSize: Int) -> KVCache {
        let ringSlots = sinks + window + max(1, batchSize) + Self.queryBlock
        guard positions > ringSlots else { return KVCache(config: config, capacity: positions, precision: cachePrecision) }
        return KVCache(config: config, capacity: ringSlots, ringStart: sinks, precision: cachePrecision)
    }

    /// Sinks, then the recent window of the block's first query; empty or adjacent parts merge.
    public func segments(firstPosition: Int, lastPosition: Int) -> [KeySegment] {
        let recentStart = max(0, firstPosition - window + 1)
        guard recentStart > sinks else { return [KeySegment(0..<(lastPosition + 1))] }
        var segments: [KeySegment] = []
        if sinks > 0 {
            // Sinks appear at cache positions 0..<sinks, the window right after: shift by sinks − recentStart.
            segments.append(KeySegment(0..<sinks, queryShift: sinks - recentStart))
        }
        segments.append(KeySegment(recentStart..<(lastPosition + 1)))
        return segments
    }

    public func attend(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>) {
        if let ringStart = request.cache.ringStart {
            precondition(ringStart == sinks && request.cache.capacity - ringStart >= window + request.positions.count + Self.queryBlock - 1,
                         "SlidingWindowAttention: the ring cache is too small; make it with makeCache(config:positions:batchSize:)")
        }
        rotary.reserve(magnitude: request.positions.upperBound)
        let base = request.positions.lowerBound
        SegmentAttention.attend(request, output: output, rotary: rotary, queryBlock: Self.queryBlock) { _, tokens in
            segments(firstPosition: base + tokens.lowerBound, lastPosition: base + tokens.upperBound - 1)
        }
    }
}
