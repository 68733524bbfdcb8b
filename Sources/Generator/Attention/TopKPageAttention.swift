import Foundation

/// Query-aware page selection (Quest, Tang et al. 2024) over the full KV cache.
///
/// Keys are grouped in pages of `pageSize` (32) positions with per-channel key minima/maxima (`KeyPageSummaries`). For a block of
/// queries and a KV head, every page before the recent window is scored by its upper bound of q·k for each query head
/// of the KV group (the block's mean query per head when the block has several tokens), taken relative to that
/// head's best page and maximized over the group (`relativeMaximum`); the best pages
/// within `budget` tokens, the `sinks` first positions and the last `window` positions (`prefillWindow` for the
/// queries of a prompt batch) are attended exactly (`SegmentAttention`). The first `denseLayers` layers read every
/// position up to `scheme.farthestDistance` back. When the budget covers every page the result is dense attention
/// (while the query position is ≤ `scheme.farthestDistance`). Beyond, the `PositionScheme` keeps every distance
/// within the well-trained range.
public final class TopKPageAttention: AttentionPolicy {
    public static let pageSize = KeyPageSummaries.pageSize
    /// Query tokens that share one page selection.
    public static let queryBlock = 16

    public let budget: Int
    public let window: Int
    /// The recent window of prompt (prefill) batches, where one page selection serves a block of 16 queries.
    public let prefillWindow: Int
    public let sinks: Int
    public let denseLayers: Int
    /// Two-level selection: the best `superPageExpansion · keep / 16` super-pages are expanded into their pages (when
    /// there are more super-pages than that; otherwise every page is scored). nil: every candidate page is scored.
    public let superPageExpansion: Int?
    /// The same for the queries of a prompt batch (one selection per 16 tokens, so a wider first pass costs little
    /// per token): twice the decode value.
    public var prefillSuperPageExpansion: Int? { superPageExpansion.map { 2 * $0 } }
    public let scheme: PositionScheme
    public let summaries: KeyPageSummaries
    public var name: String { "topk" }
    public var extendsContext: Bool { true }
    public let cachePrecision: KVCachePrecision
    private let rotary: RotaryShift

    /// `budget`: tokens of selected pages (rounded down to whole pages); `window`: recent tokens always read by a
    /// generated token; `prefillWindow` (default max(window, 1,024)): recent tokens always read by prompt tokens;
    /// `sinks`: the first positions, always read (default 64: the attention sinks and the prompt's opening
    /// instruction, see docs/attention.md).
    public init(config: LlamaConfig, budget: Int = 1536, window: Int = 512, prefillWindow: Int? = nil,
                sinks: Int = TopKPageAttention.defaultSinks, denseLayers: Int = 2,
                cachePrecision: KVCachePrecision = .f32, superPageExpansion: Int? = TopKPageAttention.defaultSuperPageExpansion) {
        self.cachePrecision = cachePrecision
        self.superPageExpansion = superPageExpansion.map { max(1, $0) }
        self.budget = max(0, budget)
        self.window = max(1, window)
        self.prefillWindow = max(self.window, prefillWindow ?? Self.defaultPrefillWindow)
        self.sinks = max(0, sinks)
        self.denseLayers = max(0, denseLayers)
        // The recent windows (plus a page and a query block of slack) always keep their true distances.
        scheme = PositionScheme(trainedLength: config.contextLength,
                                neighborhood: max(config.contextLength / 4, self.prefillWindow + 2 * Self.pageSize + Self.queryBlock))
        summaries = KeyPageSummaries(layerCount: config.blockCount, kvHeadCount: config.headCountKV,
                                     headDimension: config.headDimension)
        rotary = RotaryShift(config: config)
    }

    /// Default `sinks`: two pages. StreamingLLM's 4 sinks keep the model fluent; a question-answering prompt also
    /// needs its opening instruction, which a query far down a long prompt otherwise loses (measured on the passkey
    /// task: a window of 1,024 with 4 sinks misses the 8K needle at depth 0.95, with 64 it finds it).
    public static let defaultSinks = 64
    /// Default lower bound of `prefillWindow` (4K passkey at depths 0.85/0.95: missed with 256 or 512, found with 1,024).
    public static let defaultPrefillWindow = 1024

    public func didAppend(layer: Int, positions: Range<Int>, cache: KVCache) {
        guard layer >= denseLayers else { return }
        summaries.update(layer: layer, positions: positions, cache: cache)
    }

    public func attend(_ request: AttentionRequest, output: UnsafeMutablePointer<Float>) {
        rotary.reserve(magnitude: scheme.largestShift(upTo: request.positions.upperBound))
        let base = request.positions.lowerBound
        let window = request.positions.count > 1 ? prefillWindow : self.window
        SegmentAttention.attend(request, output: output, rotary: rotary, queryBlock: Self.queryBlock) { kvHead, tokens in
            let first = base + tokens.lowerBound, last = base + tokens.upperBound - 1
            let recentStart = max(0, first - window) / Self.pageSize * Self.pageSize
            let candidates = recentStart / Self.pageSize
            let pages: [Int]
            if request.layer < denseLayers {
                pages = Array(denseReach(lastPosition: last, pageCount: candidates))
            } else if candidates * Self.pageSize <= budget {
                pages = Array(0..<candidates)
            } else {
                pages = selectPages(request, kvHead: kvHead, tokens: tokens, from: firstSelectablePage, pageCount: candidates,
                                    keep: budget / Self.pageSize)
            }
            return segments(pages: pages, recentStart: recentStart, lastPosition: last)
        }
    }

    /// Pages wholly inside the sinks are read as sinks, never selected (rounded down to a whole run of pages, as
    /// selection scores runs; `segments` trims the sinks where a selected page overlaps them).
    private var firstSelectablePage: Int { sinks / Self.pageSize / runPages * runPages }
    private var runPages: Int { Self.shiftRun / Self.pageSize }

    /// The pages a dense layer reads: every page while the query is within `scheme.farthestDistance` of the start;
    /// beyond, the pages within that distance and the sinks (seen through `scheme`, like every page): a dense layer
    /// then reads at most 4,096 keys, as many as at the edge of the exact range. Reading every key of a 16K prompt
    /// there (14K keys squeezed into distances ≤ 4,096) made the model miss the pass key at depths 0.65/0.75, which
    /// it finds this way (benchmarks/attention.md).
    func denseReach(lastPosition: Int, pageCount: Int) -> Range<Int> {
        guard lastPosition > scheme.farthestDistance else { return 0..<pageCount }
        let reach = scheme.farthestDistance - sinks
        let firstPage = (lastPosition - reach + Self.pageSize - 1) / Self.pageSize
        return min(pageCount, max(0, firstPage))..<pageCount
    }

    /// Keys that may share one query shift when the shifts of their pages differ (beyond the trained range):
    /// runs of adjacent pages up to this length take the shift of their first page (fewer, longer kernel calls).
    public static let shiftRun = 64

    /// Sinks, the chosen pages (ascending) and the recent window, each with its query shift (`scheme`); adjacent
    /// neighbours merge when their shifts are equal, or when the run so far is shorter than `shiftRun` keys. The sinks
    /// end where the first chosen page starts (pages inside the sinks are never chosen, but a dense layer reads them).
    public func segments(pages: [Int], recentStart: Int, lastPosition: Int) -> [KeySegment] {
        var segments: [KeySegment] = []
        func append(_ range: Range<Int>, shift: Int) {
            guard !range.isEmpty else { return }
            if let previous = segments.last, previous.positions.upperBound == range.lowerBound,
               previous.queryShift == shift || (shift != 0 && previous.queryShift != 0 && previous.positions.count < Self.shiftRun) {
                segments[segments.count - 1].positions = previous.positions.lowerBound..<range.upperBound
            } else {
                segments.append(KeySegment(range, queryShift: shift))
            }
        }
        let sinkEnd = min(sinks, recentStart, (pages.first ?? Int.max / Self.pageSize) * Self.pageSize)
        append(0..<sinkEnd, shift: scheme.queryShift(keyStart: 0, queryPosition: lastPosition))
        for page in pages {
            let start = page * Self.pageSize
            append(start..<(start + Self.pageSize), shift: scheme.queryShift(keyStart: start, queryPosition: lastPosition))
        }
        append(recentStart..<(lastPosition + 1), shift: 0)
        return segments
    }

    /// Default `superPageExpansion` (decode). Prompt batches use twice as many: at 16K, the first pass with 4 dropped
    /// the super-page of the needle at depth 0.65 while the prompt was read (missed), with 8 it is found; for
    /// generated tokens 8 costs 9 % of decode speed at 32K and did not change that case.
    public static let defaultSuperPageExpansion = 4

    /// The `keep` pages (ascending) of firstPage..<pageCount with the largest score. Per query head of the group (the block's
    /// mean query when it has several tokens) each page gets its upper bound of q·k; the bounds combine into one score
    /// per page with `relativeMaximum`. With many candidate pages, a first pass scores super-pages (16 pages) the same
    /// way and only the pages of the best `superPageExpansion · keep / 16` of them (and of the incomplete last
    /// super-page) are scored and compete.
    private func selectPages(_ request: AttentionRequest, kvHead: Int, tokens: Range<Int>, from firstPage: Int,
                             pageCount: Int, keep: Int) -> [Int] {
        guard pageCount - firstPage > keep else { return Array(firstPage..<pageCount) }
        let headDim = request.cache.headDimension
        let group = request.groupSize
        let superPageSize = KeyPageSummaries.superPageSize
        let superPages = pageCount / superPageSize
        let expansion = request.positions.count > 1 ? prefillSuperPageExpansion : superPageExpansion
        let expanded = max(1, (expansion ?? 0) * keep / superPageSize)
        let hierarchical = expansion != nil && superPages > expanded
        let last = request.positions.lowerBound + tokens.upperBound - 1
        var queries = [Float](repeating: 0, count: group * headDim)   // [group, headDim]: mean query per head
        let weight = 1 / Float(tokens.count)
        return queries.withUnsafeMutableBufferPointer { queries in
            for g in 0..<group {
                let head = kvHead * group + g
                for t in tokens {
                    VectorMath.addScaled(queries.baseAddress! + g * headDim,
                                         request.queries + (t * request.headCount + head) * headDim, weight, count: headDim)
                }
            }
            // Pages that attention will read with a shifted query are scored with that query, so selection and
            // attention see the same (in-range) positions; pages from `exactFrom` on need no rotation.
            // The shift is 0 exactly for the pages within the exact neighbourhood, a suffix of the candidates: binary search.
            var low = 0, high = pageCount   // exactFrom in low...high
            while low < high {
                let middle = (low + high) / 2
                if scheme.queryShift(keyStart: middle * Self.pageSize, queryPosition: last) == 0 { high = middle } else { low = middle + 1 }
            }
            let exactFrom = low
            /// Adds head `g`'s bounds of the pages of `range` (its start a multiple of `runPages`) to `scores` (indexed by page).
            func score(_ range: Range<Int>, head g: Int, into scores: UnsafeMutablePointer<Float>) {
                let query = queries.baseAddress! + g * headDim
                let split = min(max(exactFrom, range.lowerBound), range.upperBound)
                summaries.addUpperBounds(queries: query, rows: 1, layer: request.layer, kvHead: kvHead,
                                         pages: split..<range.upperBound, into: scores)
                let shifted = range.lowerBound..<split
                guard !shifted.isEmpty else { return }
                // One rotation per run of `shiftRun` keys, as attention shares shifts over such runs; every run is
                // then scored by one kernel call that switches query every `runPages` pages.
                let firstRun = shifted.lowerBound / runPages
                let runs = (shifted.upperBound - 1) / runPages - firstRun + 1
                var rotated = [Float](repeating: 0, count: runs * headDim)   // [runs, headDim]
                rotated.withUnsafeMutableBufferPointer { shiftedQueries in
                    for run in 0..<runs {
                        let shift = scheme.queryShift(keyStart: (firstRun + run) * runPages * Self.pageSize, queryPosition: last)
                        rotary.rotate(query, rows: 1, by: shift, into: shiftedQueries.baseAddress! + run * headDim)
                    }
                    summaries.addUpperBounds(queries: shiftedQueries.baseAddress!, rows: 1, layer: request.layer, kvHead: kvHead,
                                             pages: shifted, pagesPerQuery: runPages, into: scores)
                }
            }
            var candidates: [Range<Int>] = [firstPage..<pageCount]   // pages that get a score, ascending
            if hierarchical {
                // First pass: every complete super-page, with the query shift of its first key, per head.
                var superBounds = [Float](repeating: 0, count: group * superPages)   // [group, superPages]
                var rotated = [Float](repeating: 0, count: superPages * headDim)     // [superPages, headDim]
                for g in 0..<group {
                    rotated.withUnsafeMutableBufferPointer { superQueries in
                        for superPage in 0..<superPages {
                            let shift = scheme.queryShift(keyStart: superPage * superPageSize * Self.pageSize, queryPosition: last)
                            rotary.rotate(queries.baseAddress! + g * headDim, rows: 1, by: shift,
                                          into: superQueries.baseAddress! + superPage * headDim)
                        }
                        superBounds.withUnsafeMutableBufferPointer { superBounds in
                            summaries.addSuperPageUpperBounds(queries: superQueries.baseAddress!, rows: 1, layer: request.layer,
                                                              kvHead: kvHead, superPages: 0..<superPages, superPagesPerQuery: 1,
                                                              into: superBounds.baseAddress! + g * superPages)
                        }
                    }
                }
                let superScores = Self.relativeMaximum(superBounds, rows: group, pages: superPages)
                // Second pass: the pages of the best super-pages and of the incomplete last one.
                candidates = Self.largestIndices(superScores, count: expanded).map {
                    max(firstPage, $0 * superPageSize)..<max(firstPage, ($0 + 1) * superPageSize)
                }
                candidates.append(max(firstPage, superPages * superPageSize)..<pageCount)
                candidates.removeAll { $0.isEmpty }
            }
            // Per head, the bounds of the candidate pages, packed in candidate order: [group, packedCount].
            let packedCount = candidates.reduce(0) { $0 + $1.count }
            var bounds = [Float](repeating: 0, count: group * packedCount)
            bounds.withUnsafeMutableBufferPointer { bounds in
                for g in 0..<group {
                    var offset = g * packedCount
                    for range in candidates where !range.isEmpty {
                        score(range, head: g, into: bounds.baseAddress! + offset - range.lowerBound)
                        offset += range.count
                    }
                }
            }
            let chosen = Self.largestIndices(Self.relativeMaximum(bounds, rows: group, pages: packedCount), count: keep)
            // Packed indices back to page numbers.
            let pages = candidates.flatMap { $0 }
            return chosen.map { pages[$0] }
        }
    }

    /// Combines per-head page bounds ([rows, pages]) into one score per page: the largest, over the heads, of the
    /// page's bound minus that head's best bound.
    ///
    /// A bound approximates the page's largest logit, and a head's attention weight on a page grows with exp(logit −
    /// the head's largest logit). So a page matters if it is near the top *for some head*. Summing raw bounds over the
    /// group (our first version) lets a head with large, flat logits drown a retrieval head whose one sharp page is
    /// what the answer needs: on the 6K passkey, summing missed a needle that dense attention and this rule find.
    public static func relativeMaximum(_ bounds: [Float], rows: Int, pages: Int) -> [Float] {
        guard rows > 0, pages > 0 else { return [Float](repeating: 0, count: pages) }
        var scores = [Float](repeating: -.infinity, count: pages)
        for r in 0..<rows {
            let row = bounds[(r * pages)..<((r + 1) * pages)]
            let best = row.max()!
            for (page, bound) in zip(0..., row) { scores[page] = max(scores[page], bound - best) }
        }
        return scores
    }

    /// Indices of the `count` largest scores, ascending (ties: lower index first).
    public static func largestIndices(_ scores: [Float], count: Int) -> [Int] {
        guard count < scores.count else { return Array(scores.indices) }
        guard count > 0 else { return [] }
        var values = scores
        let threshold = quickSelect(&values, rank: scores.count - count)   // the count-th largest
        var above = scores.indices.filter { scores[$0] > threshold }
        for i in scores.indices where above.count < count && scores[i] == threshold { above.append(i) }
        return above.sorted()
    }

    /// The value of rank `rank` (0-based, ascending) in `values`; reorders `values`.
    private static func quickSelect(_ values: inout [Float], rank: Int) -> Float {
        var low = 0, high = values.count - 1
        while low < high {
            let pivot = values[(low + high) / 2]
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if rank <= j { high = j } else if rank >= i { low = i } else { return values[rank] }
        }
        return values[rank]
    }
}
