import CKernels
import Foundation

/// Per-page, per-channel minimum and maximum of the cached keys (Quest, Tang et al. 2024), for every layer and KV head.
///
/// Page i holds positions 16i ..< 16i+16. For a query q the page's keys k satisfy
///     q·k ≤ Σ_d max(q_d · min_d, q_d · max_d)
/// so that bound ranks pages without reading their keys. Layout per (layer, KV head): minima and maxima
/// [pages, headDim] each, in **fp16** with directed rounding (minima rounded down, maxima up, so every key stays inside
/// its page's bounds and the bound above still holds): 2·headDim·2 bytes per 16 keys (1/32 of the fp32 KV bytes).
/// Scored by the C kernel `rag_page_bounds_f16` (AVX2/F16C, portable twin).
public final class KeyPageSummaries: @unchecked Sendable {
    // @unchecked: updated by the forward pass between layers; read concurrently by attention workers.
    public static let pageSize = 16
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDimension: Int
    public private(set) var pageCapacity = 0
    private var minima: UnsafeMutablePointer<UInt16>?   // fp16 bit patterns, [layers, kvHeads, pageCapacity, headDim]
    private var maxima: UnsafeMutablePointer<UInt16>?

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
    public var byteCount: Int { 2 * layerCount * kvHeadCount * pageCapacity * headDimension * MemoryLayout<UInt16>.size }

    /// Summary bytes per cached position (all layers and KV heads): 2 · layers · kvWidth · 2 B / 16.
    public static func bytesPerPosition(layers: Int, kvWidth: Int) -> Int {
        2 * layers * kvWidth * MemoryLayout<UInt16>.size / pageSize
    }

    /// Channel minima of the pages of one (layer, KV head), fp16 bit patterns: [pages, headDim].
    public func minima(layer: Int, kvHead: Int) -> UnsafePointer<UInt16> {
        UnsafePointer(minima! + (layer * kvHeadCount + kvHead) * pageCapacity * headDimension)
    }

    /// Channel maxima of the pages of one (layer, KV head), fp16 bit patterns: [pages, headDim].
    public func maxima(layer: Int, kvHead: Int) -> UnsafePointer<UInt16> {
        UnsafePointer(maxima! + (layer * kvHeadCount + kvHead) * pageCapacity * headDimension)
    }

    /// Updates the pages covering `positions` of `layer` from the keys just written to `cache`.
    /// A page that the range enters in the middle is rebuilt from its first position (stale after a truncation otherwise).
    public func update(layer: Int, positions: Range<Int>, cache: KVCache) {
        guard !positions.isEmpty else { return }
        reserve(pages: (cache.capacity + Self.pageSize - 1) / Self.pageSize)
        let pageStart = positions.lowerBound / Self.pageSize * Self.pageSize
        let headDim = headDimension
        withUnsafeTemporaryAllocation(of: Float.self, capacity: headDim) { key in   // [headDim] fp32
            for kvHead in 0..<kvHeadCount {
                let offset = (layer * kvHeadCount + kvHead) * pageCapacity * headDim
                let lows = minima! + offset, highs = maxima! + offset
                for position in pageStart..<positions.upperBound {
                    cache.loadKey(layer: layer, kvHead: kvHead, slot: cache.slot(of: position), into: key.baseAddress!)
                    let page = position / Self.pageSize
                    rag_page_summary_update_f16(key.baseAddress!, Int64(headDim), lows + page * headDim, highs + page * headDim,
                                                position % Self.pageSize == 0 ? 1 : 0)
                }
            }
        }
    }

    /// scores[page] += Σ_d max(q_d · min_d, q_d · max_d) for pages 0..<pageCount of (layer, kvHead).
    public func addUpperBounds(query: UnsafePointer<Float>, layer: Int, kvHead: Int, pageCount: Int,
                               into scores: UnsafeMutablePointer<Float>) {
        addUpperBounds(queries: query, rows: 1, layer: layer, kvHead: kvHead, pages: 0..<pageCount, into: scores)
    }

    /// scores[page] += Σ_r Σ_d max(q_rd · min_d, q_rd · max_d) over `rows` queries in one pass over the summaries.
    /// `queries`: [sets, rows, headDim]; the pages of `pages` use query set (page − pages.lowerBound) / pagesPerQuery
    /// (nil: one set for all), so runs of pages can be scored with differently rotated queries in one call.
    /// `scores` is indexed by page number (entries of `pages` are updated).
    public func addUpperBounds(queries: UnsafePointer<Float>, rows: Int, layer: Int, kvHead: Int, pages: Range<Int>,
                               pagesPerQuery: Int? = nil, into scores: UnsafeMutablePointer<Float>) {
        guard !pages.isEmpty else { return }
        let offset = pages.lowerBound * headDimension
        rag_page_bounds_f16(queries, Int64(rows), Int64(headDimension),
                            minima(layer: layer, kvHead: kvHead) + offset, maxima(layer: layer, kvHead: kvHead) + offset,
                            Int64(pages.count), Int64(pagesPerQuery ?? 0), scores + pages.lowerBound)
    }

    private func reserve(pages: Int) {
        guard pages > pageCapacity else { return }
        let newCapacity = max(pages, pageCapacity * 2)
        let count = layerCount * kvHeadCount * newCapacity * headDimension
        let newMinima = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
        let newMaxima = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
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
