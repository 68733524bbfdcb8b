import CKernels
import Foundation

/// Per-page, per-channel minimum and maximum of the cached keys (Quest, Tang et al. 2024), for every layer and KV head.
///
/// Page i holds positions 32i ..< 32i+32 (Quest uses 16; 32 measured the same perplexity, +1.8 % vs +1.7 % over dense at
/// 8K, and decodes 1.2× faster at 32K: half as many scattered pieces to attend). For a query q the page's keys k satisfy
///     q·k ≤ Σ_d max(q_d · min_d, q_d · max_d)
/// so that bound ranks pages without reading their keys. Layout per (layer, KV head): minima and maxima
/// [pages, headDim] each, in **fp16** with directed rounding (minima rounded down, maxima up, so every key stays inside
/// its page's bounds and the bound above still holds): 2·headDim·2 bytes per 32 keys (1/64 of the fp32 KV bytes).
/// Scored by the C kernel `rag_page_bounds_f16` (AVX2/F16C, portable twin).
///
/// A second level keeps the same bounds per **super-page** of 16 pages (512 positions, the union of its pages' bounds,
/// so still an upper bound for every key inside): a policy can score the super-pages first and only the pages of the
/// best ones (1/16 of the bytes for the first pass).
public final class KeyPageSummaries: @unchecked Sendable {
    // @unchecked: updated by the forward pass between layers; read concurrently by attention workers.
    public static let pageSize = 32
    /// Pages per super-page.
    public static let superPageSize = 16
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDimension: Int
    private let pages: HalfBounds
    private let superPages: HalfBounds

    public init(layerCount: Int, kvHeadCount: Int, headDimension: Int) {
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension
        pages = HalfBounds(blocks: layerCount * kvHeadCount, headDimension: headDimension)
        superPages = HalfBounds(blocks: layerCount * kvHeadCount, headDimension: headDimension)
    }

    /// Bytes held by the summaries (both levels).
    public var byteCount: Int { pages.byteCount + superPages.byteCount }

    /// Summary bytes per cached position (all layers and KV heads, both levels): 2 · layers · kvWidth · 2 B · (1/32 + 1/512).
    public static func bytesPerPosition(layers: Int, kvWidth: Int) -> Int {
        let perPage = 2 * layers * kvWidth * MemoryLayout<UInt16>.size
        return perPage / pageSize + perPage / (pageSize * superPageSize)
    }

    /// Channel minima of the pages of one (layer, KV head), fp16 bit patterns: [pages, headDim].
    public func minima(layer: Int, kvHead: Int) -> UnsafePointer<UInt16> { UnsafePointer(pages.lows(layer * kvHeadCount + kvHead)) }

    /// Channel maxima of the pages of one (layer, KV head), fp16 bit patterns: [pages, headDim].
    public func maxima(layer: Int, kvHead: Int) -> UnsafePointer<UInt16> { UnsafePointer(pages.highs(layer * kvHeadCount + kvHead)) }

    /// Updates the pages covering `positions` of `layer` from the keys just written to `cache`, then their super-pages.
    /// A page that the range enters in the middle is rebuilt from its first position (stale after a truncation otherwise);
    /// a touched super-page is rebuilt from its pages.
    public func update(layer: Int, positions: Range<Int>, cache: KVCache) {
        guard !positions.isEmpty else { return }
        let pageTotal = (cache.capacity + Self.pageSize - 1) / Self.pageSize
        pages.reserve(pageTotal)
        superPages.reserve((pageTotal + Self.superPageSize - 1) / Self.superPageSize)
        let pageStart = positions.lowerBound / Self.pageSize * Self.pageSize
        let lastPage = (positions.upperBound - 1) / Self.pageSize
        let headDim = headDimension
        withUnsafeTemporaryAllocation(of: Float.self, capacity: headDim) { key in   // [headDim] fp32
            for kvHead in 0..<kvHeadCount {
                let block = layer * kvHeadCount + kvHead
                let lows = pages.lows(block), highs = pages.highs(block)
                for position in pageStart..<positions.upperBound {
                    cache.loadKey(layer: layer, kvHead: kvHead, slot: cache.slot(of: position), into: key.baseAddress!)
                    let page = position / Self.pageSize
                    rag_page_summary_update_f16(key.baseAddress!, Int64(headDim), lows + page * headDim, highs + page * headDim,
                                                position % Self.pageSize == 0 ? 1 : 0)
                }
                let superLows = superPages.lows(block), superHighs = superPages.highs(block)
                for superPage in (pageStart / Self.pageSize / Self.superPageSize)...(lastPage / Self.superPageSize) {
                    let first = superPage * Self.superPageSize
                    for page in first...min(lastPage, first + Self.superPageSize - 1) {
                        rag_page_summary_merge_f16(lows + page * headDim, highs + page * headDim, Int64(headDim),
                                                   superLows + superPage * headDim, superHighs + superPage * headDim,
                                                   page == first ? 1 : 0)
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

    /// scores[page] += Σ_r Σ_d max(q_rd · min_d, q_rd · max_d) over `rows` queries in one pass over the summaries.
    /// `queries`: [sets, rows, headDim]; the pages of `pages` use query set (page − pages.lowerBound) / pagesPerQuery
    /// (nil: one set for all), so runs of pages can be scored with differently rotated queries in one call.
    /// `scores` is indexed by page number (entries of `pages` are updated).
    public func addUpperBounds(queries: UnsafePointer<Float>, rows: Int, layer: Int, kvHead: Int, pages: Range<Int>,
                               pagesPerQuery: Int? = nil, into scores: UnsafeMutablePointer<Float>) {
        Self.addBounds(self.pages, block: layer * kvHeadCount + kvHead, queries: queries, rows: rows, range: pages,
                       perQuery: pagesPerQuery, headDimension: headDimension, into: scores)
    }

    /// The same bound per super-page (pages 16s ..< 16s+16 together): scores[s] += bound for s in `superPages`
    /// (only super-pages whose 16 pages are all filled are meaningful).
    public func addSuperPageUpperBounds(queries: UnsafePointer<Float>, rows: Int, layer: Int, kvHead: Int, superPages range: Range<Int>,
                                        superPagesPerQuery: Int? = nil, into scores: UnsafeMutablePointer<Float>) {
        Self.addBounds(superPages, block: layer * kvHeadCount + kvHead, queries: queries, rows: rows, range: range,
                       perQuery: superPagesPerQuery, headDimension: headDimension, into: scores)
    }

    private static func addBounds(_ bounds: HalfBounds, block: Int, queries: UnsafePointer<Float>, rows: Int, range: Range<Int>,
                                  perQuery: Int?, headDimension: Int, into scores: UnsafeMutablePointer<Float>) {
        guard !range.isEmpty else { return }
        let offset = range.lowerBound * headDimension
        rag_page_bounds_f16(queries, Int64(rows), Int64(headDimension), bounds.lows(block) + offset, bounds.highs(block) + offset,
                            Int64(range.count), Int64(perQuery ?? 0), scores + range.lowerBound)
    }
}

/// fp16 channel bounds (lows, highs) for `blocks` (layer, KV head) pairs, each [capacity, headDim]; grows on demand.
private final class HalfBounds {
    let blocks: Int
    let headDimension: Int
    private(set) var capacity = 0
    private var lowStorage: UnsafeMutablePointer<UInt16>?
    private var highStorage: UnsafeMutablePointer<UInt16>?

    init(blocks: Int, headDimension: Int) {
        self.blocks = blocks
        self.headDimension = headDimension
    }

    deinit {
        lowStorage?.deallocate()
        highStorage?.deallocate()
    }

    var byteCount: Int { 2 * blocks * capacity * headDimension * MemoryLayout<UInt16>.size }

    func lows(_ block: Int) -> UnsafeMutablePointer<UInt16> { lowStorage! + block * capacity * headDimension }
    func highs(_ block: Int) -> UnsafeMutablePointer<UInt16> { highStorage! + block * capacity * headDimension }

    func reserve(_ entries: Int) {
        guard entries > capacity else { return }
        let newCapacity = max(entries, capacity * 2)
        let count = blocks * newCapacity * headDimension
        let newLows = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
        let newHighs = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
        newLows.initialize(repeating: 0, count: count)
        newHighs.initialize(repeating: 0, count: count)
        if let lowStorage, let highStorage {
            // Copy each (layer, head) block to its new place.
            for block in 0..<blocks {
                (newLows + block * newCapacity * headDimension).update(from: lowStorage + block * capacity * headDimension,
                                                                      count: capacity * headDimension)
                (newHighs + block * newCapacity * headDimension).update(from: highStorage + block * capacity * headDimension,
                                                                       count: capacity * headDimension)
            }
            lowStorage.deallocate()
            highStorage.deallocate()
        }
        lowStorage = newLows
        highStorage = newHighs
        capacity = newCapacity
    }
}
