import Foundation

/// Per-page, per-channel minimum and maximum of the cached keys (Quest, Tang et al. 2024), for every layer and KV head.
///
/// Page i holds positions 16i ..< 16i+16. For a query q the page's keys k satisfy
///     q·k ≤ Σ_d max(q_d · min_d, q_d · max_d)
/// so that bound ranks pages without reading their keys. Layout per (layer, KV head): minima and maxima
/// [pages, headDim] each; 2·headDim floats per 16 keys (1/16 of the keys and values in fp32).
public final class KeyPageSummaries: @unchecked Sendable {
    // @unchecked: updated by the forward pass between layers; read concurrently by attention workers.
    public static let pageSize = 16
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDimension: Int
    public private(set) var pageCapacity = 0
    private var minima: UnsafeMutablePointer<Float>?
    private var maxima: UnsafeMutablePointer<Float>?

    public init(layerCount: Int, kvHeadCount: Int, headDimension: Int) {
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension
    }

    deinit {
        minima?.deallocate()
        maxima?.deallocate()
    }

    /// Bytes held by the summaries.
    public var byteCount: Int { 2 * layerCount * kvHeadCount * pageCapacity * headDimension * MemoryLayout<Float>.size }

    /// Channel minima of the pages of one (layer, KV head): [pages, headDim].
    public func minima(layer: Int, kvHead: Int) -> UnsafePointer<Float> {
        UnsafePointer(minima! + (layer * kvHeadCount + kvHead) * pageCapacity * headDimension)
    }

    /// Channel maxima of the pages of one (layer, KV head): [pages, headDim].
    public func maxima(layer: Int, kvHead: Int) -> UnsafePointer<Float> {
        UnsafePointer(maxima! + (layer * kvHeadCount + kvHead) * pageCapacity * headDimension)
    }

    /// Updates the pages covering `positions` of `layer` from the keys just written to `cache`.
    /// A page that the range enters in the middle is rebuilt from its first position (stale after a truncation otherwise).
    public func update(layer: Int, positions: Range<Int>, cache: KVCache) {
        guard !positions.isEmpty else { return }
        reserve(pages: (cache.capacity + Self.pageSize - 1) / Self.pageSize)
        let pageStart = positions.lowerBound / Self.pageSize * Self.pageSize
        let headDim = headDimension
        for kvHead in 0..<kvHeadCount {
            let keys = cache.keys(layer: layer, kvHead: kvHead)
            let offset = (layer * kvHeadCount + kvHead) * pageCapacity * headDim
            let lows = minima! + offset, highs = maxima! + offset
            for position in pageStart..<positions.upperBound {
                let key = keys + cache.slot(of: position) * headDim
                let page = position / Self.pageSize
                let low = lows + page * headDim, high = highs + page * headDim
                if position % Self.pageSize == 0 {
                    low.update(from: key, count: headDim)
                    high.update(from: key, count: headDim)
                } else {
                    for d in 0..<headDim {
                        low[d] = min(low[d], key[d])
                        high[d] = max(high[d], key[d])
                    }
                }
            }
        }
    }

    /// scores[page] += Σ_d max(q_d · min_d, q_d · max_d) for pages 0..<pageCount of (layer, kvHead).
    public func addUpperBounds(query: UnsafePointer<Float>, layer: Int, kvHead: Int, pageCount: Int,
                               into scores: UnsafeMutablePointer<Float>) {
        addUpperBounds(queries: query, rows: 1, layer: layer, kvHead: kvHead, pages: 0..<pageCount, into: scores)
    }

    /// scores[page] += Σ_r Σ_d max(q_rd · min_d, q_rd · max_d) over `rows` queries ([rows, headDim]), in one pass over
    /// the summaries. max(q·min, q·max) = max(q, 0)·max + min(q, 0)·min, so the inner loop is multiply-adds only.
    /// `scores` is indexed by page number (entries of `pages` are updated).
    public func addUpperBounds(queries: UnsafePointer<Float>, rows: Int, layer: Int, kvHead: Int, pages: Range<Int>,
                               into scores: UnsafeMutablePointer<Float>) {
        let headDim = headDimension
        let lows = minima(layer: layer, kvHead: kvHead), highs = maxima(layer: layer, kvHead: kvHead)
        guard headDim % 8 == 0 else {
            for page in pages {
                var total: Float = 0
                for r in 0..<rows {
                    for d in 0..<headDim {
                        let q = queries[r * headDim + d]
                        total += max(q * lows[page * headDim + d], q * highs[page * headDim + d])
                    }
                }
                scores[page] += total
            }
            return
        }
        let lanes = headDim / 8
        // Positive and negative parts of every query: [rows, lanes] each.
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 2 * rows * lanes) { parts in
            let raw = UnsafeRawPointer(queries)
            for i in 0..<(rows * lanes) {
                let q = raw.loadUnaligned(fromByteOffset: i * 32, as: SIMD8<Float>.self)
                let zero = SIMD8<Float>()
                parts[2 * i] = q.replacing(with: zero, where: q .< zero)        // max(q, 0)
                parts[2 * i + 1] = q.replacing(with: zero, where: q .> zero)    // min(q, 0)
            }
            let rawLows = UnsafeRawPointer(lows), rawHighs = UnsafeRawPointer(highs)
            for page in pages {
                var acc = SIMD8<Float>()
                for lane in 0..<lanes {
                    let offset = (page * lanes + lane) * 32
                    let low = rawLows.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    let high = rawHighs.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    for r in 0..<rows {
                        let i = r * lanes + lane
                        acc += parts[2 * i] * high + parts[2 * i + 1] * low
                    }
                }
                scores[page] += acc.sum()
            }
        }
    }

    private func reserve(pages: Int) {
        guard pages > pageCapacity else { return }
        let newCapacity = max(pages, pageCapacity * 2)
        let count = layerCount * kvHeadCount * newCapacity * headDimension
        let newMinima = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let newMaxima = UnsafeMutablePointer<Float>.allocate(capacity: count)
        newMinima.initialize(repeating: 0, count: count)
        newMaxima.initialize(repeating: 0, count: count)
        if let minima, let maxima {
            // Copy each (layer, head) block to its new place.
            for block in 0..<(layerCount * kvHeadCount) {
                (newMinima + block * newCapacity * headDimension).update(from: minima + block * pageCapacity * headDimension,
                                                                        count: pageCapacity * headDimension)
                (newMaxima + block * newCapacity * headDimension).update(from: maxima + block * pageCapacity * headDimension,
                                                                        count: pageCapacity * headDimension)
            }
            minima.deallocate()
            maxima.deallocate()
        }
        minima = newMinima
        maxima = newMaxima
        pageCapacity = newCapacity
    }
}
