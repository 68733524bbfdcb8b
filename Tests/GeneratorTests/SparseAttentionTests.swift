import Foundation
import Generator
import ModelKit
import XCTest

/// Sparse attention policies on synthetic caches, against an fp64 two-pass softmax reference.
final class SparseAttentionTests: XCTestCase {
    private let headDim = 32

    private func config(heads: Int = 6, kvHeads: Int = 2, layers: Int = 4, context: Int = 4096) -> LlamaConfig {
        LlamaConfig(embeddingLength: heads * headDim, blockCount: layers, feedForwardLength: 8, headCount: heads,
                    headCountKV: kvHeads, contextLength: context, vocabularySize: 8)
    }

    /// A cache with random keys/values in [-1, 1) for positions 0..<count (written through `slot(of:)`).
    private func filledCache(_ config: LlamaConfig, count: Int, cache: KVCache? = nil, seed: UInt64 = 1) -> KVCache {
        let cache = cache ?? KVCache(config: config, capacity: count)
        var random = SeededRandom(seed: seed)
        for position in 0..<count {
            for layer in 0..<config.blockCount {
                for h in 0..<config.headCountKV {
                    let key = cache.keys(layer: layer, kvHead: h) + cache.slot(of: position) * headDim
                    let value = cache.values(layer: layer, kvHead: h) + cache.slot(of: position) * headDim
                    for d in 0..<headDim {
                        key[d] = Float(random.nextUnit() * 2 - 1)
                        value[d] = Float(random.nextUnit() * 2 - 1)
                    }
                }
            }
        }
        return cache
    }

    private func randomQueries(_ count: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(random.nextUnit() * 4 - 2) }
    }

    private func run(_ policy: AttentionPolicy, config: LlamaConfig, cache: KVCache, queries: [Float],
                     positions: Range<Int>, layer: Int, threads: Int = 2) -> [Float] {
        var output = [Float](repeating: .nan, count: queries.count)
        queries.withUnsafeBufferPointer { q in
            output.withUnsafeMutableBufferPointer { out in
                let request = AttentionRequest(layer: layer, queries: q.baseAddress!, positions: positions, cache: cache,
                                               headCount: config.headCount, groupSize: config.groupSize,
                                               scale: 1 / Float(headDim).squareRoot(), pool: WorkerPool(threads: threads))
                policy.attend(request, output: out.baseAddress!)
            }
        }
        return output
    }

    /// fp64 softmax attention of one query head over (key range, query vector) parts: each part scores its keys with
    /// its own (possibly re-rotated) query.
    private func reference(parts: [(Range<Int>, [Float])], layer: Int, kvHead: Int, cache: KVCache) -> [Double] {
        let keys = cache.keys(layer: layer, kvHead: kvHead), values = cache.values(layer: layer, kvHead: kvHead)
        var scored: [(Double, Int)] = []
        for (range, query) in parts {
            for p in range {
                var s = 0.0
                for d in 0..<headDim { s += Double(query[d]) * Double(keys[cache.slot(of: p) * headDim + d]) }
                scored.append((s / Double(headDim).squareRoot(), p))
            }
        }
        let top = scored.map(\.0).max()!
        var out = [Double](repeating: 0, count: headDim)
        var total = 0.0
        for (s, p) in scored {
            let w = exp(s - top)
            total += w
            for d in 0..<headDim { out[d] += w * Double(values[cache.slot(of: p) * headDim + d]) }
        }
        return out.map { $0 / total }
    }

    private func rotated(_ query: ArraySlice<Float>, by shift: Int, rotary: RotaryShift) -> [Float] {
        let source = Array(query)
        var out = [Float](repeating: 0, count: source.count)
        rotary.reserve(magnitude: abs(shift))
        source.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in rotary.rotate(s.baseAddress!, rows: 1, by: shift, into: o.baseAddress!) }
        }
        return out
    }

    // MARK: Dense

    func testDenseMatchesNaiveAttentionWithin1e5() {
        let config = config()
        let count = 700
        let cache = filledCache(config, count: count)
        for positions in [0..<count, (count - 1)..<count, 300..<333] {
            let queries = randomQueries(positions.count * config.queryWidth, seed: UInt64(positions.lowerBound))
            let output = run(DenseAttention(), config: config, cache: cache, queries: queries, positions: positions, layer: 1)
            var worst = 0.0
            for (t, position) in positions.enumerated() {
                for h in 0..<config.headCount {
                    let offset = (t * config.headCount + h) * headDim
                    let expected = reference(parts: [(0..<(position + 1), Array(queries[offset..<(offset + headDim)]))],
                                             layer: 1, kvHead: h / config.groupSize, cache: cache)
                    for d in 0..<headDim { worst = max(worst, abs(Double(output[offset + d]) - expected[d])) }
                }
            }
            XCTAssertLessThan(worst, 1e-5, "positions \(positions)")
        }
    }

    // MARK: Top-k pages

    private func topK(_ config: LlamaConfig, cache: KVCache, count: Int, budget: Int, window: Int = 64,
                      sinks: Int = TopKPageAttention.defaultSinks,
                      superPageExpansion: Int? = TopKPageAttention.defaultSuperPageExpansion) -> TopKPageAttention {
        let policy = TopKPageAttention(config: config, budget: budget, window: window, sinks: sinks,
                                       superPageExpansion: superPageExpansion)
        for layer in 0..<config.blockCount { policy.didAppend(layer: layer, positions: 0..<count, cache: cache) }
        return policy
    }

    func testTopKWithWholeContextBudgetEqualsDense() {
        let config = config()
        let count = 1000
        let cache = filledCache(config, count: count)
        let policy = topK(config, cache: cache, count: count, budget: count)
        for positions in [0..<count, (count - 1)..<count, 500..<530] {
            let queries = randomQueries(positions.count * config.queryWidth, seed: 9)
            let dense = run(DenseAttention(), config: config, cache: cache, queries: queries, positions: positions, layer: 3)
            let sparse = run(policy, config: config, cache: cache, queries: queries, positions: positions, layer: 3)
            let worst = zip(dense, sparse).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-5, "positions \(positions)")
        }
    }

    func testTopKAttendsSinksChosenPagesAndWindowExactly() {
        for sinks in [4, TopKPageAttention.defaultSinks] { checkSinksChosenPagesAndWindow(sinks: sinks) }
    }

    /// Pages wholly inside the sinks are not candidates; 4 sinks are dropped when page 0 is chosen.
    private func checkSinksChosenPagesAndWindow(sinks: Int) {
        let config = config()
        let count = 2000
        let cache = filledCache(config, count: count)
        // Flat selection (every page scored), to compare with the brute-force bounds below.
        let policy = topK(config, cache: cache, count: count, budget: 256, window: 100, sinks: sinks,
                          superPageExpansion: nil)
        let positions = (count - 1)..<count
        let queries = randomQueries(config.queryWidth, seed: 3)
        // Plant a key aligned with KV head 1's queries in page 37: its bound must select the page.
        let page = KeyPageSummaries.pageSize
        let planted = cache.keys(layer: 2, kvHead: 1) + (37 * page + 5) * headDim
        for d in 0..<headDim {
            planted[d] = 3 * (queries[3 * headDim + d] + queries[4 * headDim + d] + queries[5 * headDim + d])
        }
        policy.didAppend(layer: 2, positions: (37 * page + 5)..<(37 * page + 6), cache: cache)
        let output = run(policy, config: config, cache: cache, queries: queries, positions: positions, layer: 2)

        for kvHead in 0..<2 {
            // Recompute the selection from the bounds by brute force: per head, each page's bound minus the head's
            // best bound; a page's score is the largest over the group's three heads.
            let recentStart = (count - 1 - 100) / page * page
            let pageCount = recentStart / page
            let firstCandidate = sinks / page / 2 * 2   // whole runs of two pages inside the sinks are read as sinks
            var bounds = [Double](repeating: -.infinity, count: pageCount)
            let keys = cache.keys(layer: 2, kvHead: kvHead)
            for g in 0..<3 {
                let q = queries[((kvHead * 3 + g) * headDim)...]
                var headBounds = [Double](repeating: 0, count: pageCount)
                for index in 0..<pageCount {
                    for d in 0..<headDim {
                        let column = (0..<page).map { Double(keys[(index * page + $0) * headDim + d]) }
                        let qd = Double(q[q.startIndex + d])
                        headBounds[index] += max(qd * column.min()!, qd * column.max()!)
                    }
                }
                let best = headBounds[firstCandidate...].max()!
                for index in 0..<pageCount { bounds[index] = max(bounds[index], headBounds[index] - best) }
            }
            let chosen = bounds.indices.dropFirst(firstCandidate).sorted { bounds[$0] > bounds[$1] }.prefix(256 / page).sorted()
            if kvHead == 1 { XCTAssertTrue(chosen.contains(37), "planted page not chosen: \(chosen)") }
            var ranges: [Range<Int>] = chosen.first == 0 ? [] : [0..<sinks]
            ranges += chosen.map { ($0 * page)..<($0 * page + page) }
            ranges.append(recentStart..<count)
            for g in 0..<3 {
                let offset = (kvHead * 3 + g) * headDim
                let query = Array(queries[offset..<(offset + headDim)])
                let expected = reference(parts: ranges.map { ($0, query) }, layer: 2, kvHead: kvHead, cache: cache)
                for d in 0..<headDim { XCTAssertEqual(Double(output[offset + d]), expected[d], accuracy: 1e-5) }
            }
        }
    }

    func testTopKDecodeSplitAcrossThreadsEqualsDense() {
        // Context 8,192: position 2,999 is inside the exact range (≤ farthestDistance = 4,096).
        let config = config(heads: 4, kvHeads: 1, context: 8192)
        let count = 3000
        let cache = filledCache(config, count: count)
        let policy = topK(config, cache: cache, count: count, budget: count)
        let queries = randomQueries(config.queryWidth, seed: 21)
        let positions = (count - 1)..<count
        let dense = run(DenseAttention(), config: config, cache: cache, queries: queries, positions: positions, layer: 3, threads: 3)
        let sparse = run(policy, config: config, cache: cache, queries: queries, positions: positions, layer: 3, threads: 3)
        XCTAssertLessThan(zip(dense, sparse).map { abs($0 - $1) }.max()!, 1e-5)
    }

    func testLargestIndicesMatchesSorting() {
        var random = SeededRandom(seed: 11)
        for n in [1, 5, 64, 1000] {
            // Few distinct values so ties are common.
            let scores = (0..<n).map { _ in Float(random.next() % 17) }
            for k in [0, 1, n / 3, n - 1, n, n + 2] {
                let got = TopKPageAttention.largestIndices(scores, count: k)
                let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
                    .prefix(max(0, k)).sorted()
                XCTAssertEqual(got, Array(expected), "n \(n) k \(k)")
            }
        }
    }

    func testPageBoundsHoldForEveryKey() {
        let config = config(layers: 1)
        let count = 100
        let cache = filledCache(config, count: count)
        let summaries = KeyPageSummaries(layerCount: 1, kvHeadCount: 2, headDimension: headDim)
        // Appended in uneven pieces (pages entered mid-way are rebuilt).
        for piece in [0..<7, 7..<40, 40..<41, 41..<100] { summaries.update(layer: 0, positions: piece, cache: cache) }
        let pages = (count + KeyPageSummaries.pageSize - 1) / KeyPageSummaries.pageSize
        let query = randomQueries(headDim, seed: 4)
        var bounds = [Float](repeating: 0, count: pages)
        query.withUnsafeBufferPointer { q in
            bounds.withUnsafeMutableBufferPointer { b in
                summaries.addUpperBounds(query: q.baseAddress!, layer: 0, kvHead: 1, pageCount: pages, into: b.baseAddress!)
            }
        }
        let keys = cache.keys(layer: 0, kvHead: 1)
        for position in 0..<count {
            var dot: Float = 0
            for d in 0..<headDim { dot += query[d] * keys[position * headDim + d] }
            XCTAssertLessThanOrEqual(dot, bounds[position / KeyPageSummaries.pageSize] + 1e-4)
        }
        // Several queries in one pass: the sum of their single-query bounds.
        let queries = randomQueries(3 * headDim, seed: 5)
        var together = [Float](repeating: 0, count: pages), separately = [Float](repeating: 0, count: pages)
        queries.withUnsafeBufferPointer { q in
            together.withUnsafeMutableBufferPointer { b in
                summaries.addUpperBounds(queries: q.baseAddress!, rows: 3, layer: 0, kvHead: 0, pages: 0..<pages, into: b.baseAddress!)
            }
            separately.withUnsafeMutableBufferPointer { b in
                for r in 0..<3 {
                    summaries.addUpperBounds(query: q.baseAddress! + r * headDim, layer: 0, kvHead: 0, pageCount: pages, into: b.baseAddress!)
                }
            }
        }
        for page in 0..<pages { XCTAssertEqual(together[page], separately[page], accuracy: 1e-3) }
    }

    // MARK: Sliding window

    func testWindowAttendsSinksAtCachePositionsAndTheRecentWindow() {
        let config = config()
        let count = 600, window = 50
        let cache = filledCache(config, count: count)
        let policy = SlidingWindowAttention(config: config, sinks: 4, window: window)
        let rotary = RotaryShift(config: config)
        let positions = (count - 20)..<count   // two query blocks (16 + 4 tokens)
        let queries = randomQueries(positions.count * config.queryWidth, seed: 8)
        let output = run(policy, config: config, cache: cache, queries: queries, positions: positions, layer: 0)
        for (t, position) in positions.enumerated() {
            let blockFirst = positions.lowerBound + t / 16 * 16
            let recentStart = blockFirst - window + 1
            for h in 0..<config.headCount {
                let offset = (t * config.headCount + h) * headDim
                let query = queries[offset..<(offset + headDim)]
                let parts: [(Range<Int>, [Float])] = [(0..<4, rotated(query, by: 4 - recentStart, rotary: rotary)),
                                                      (recentStart..<(position + 1), Array(query))]
                let expected = reference(parts: parts, layer: 0, kvHead: h / 3, cache: cache)
                for d in 0..<headDim { XCTAssertEqual(Double(output[offset + d]), expected[d], accuracy: 1e-5) }
            }
        }
    }

    func testWindowOnRingCacheEqualsWindowOnLinearCache() {
        let config = config()
        let count = 900, window = 40, batch = 32
        let linear = filledCache(config, count: count, seed: 5)
        let policy = SlidingWindowAttention(config: config, sinks: 4, window: window)
        let ring = policy.makeCache(config: config, positions: count, batchSize: batch)
        XCTAssertEqual(ring.ringStart, 4)
        XCTAssertLessThan(ring.capacity, 200)
        _ = filledCache(config, count: count, cache: ring, seed: 5)
        let positions = (count - batch)..<count
        let queries = randomQueries(batch * config.queryWidth, seed: 6)
        let fromLinear = run(policy, config: config, cache: linear, queries: queries, positions: positions, layer: 2)
        let fromRing = run(policy, config: config, cache: ring, queries: queries, positions: positions, layer: 2)
        // Same keys, same plans; only the chunking at the ring's wrap differs.
        XCTAssertLessThan(zip(fromLinear, fromRing).map { abs($0 - $1) }.max()!, 1e-6)
    }

    func testShortSequencesUnderWindowEqualDense() {
        let config = config()
        let cache = filledCache(config, count: 60)
        let queries = randomQueries(60 * config.queryWidth, seed: 2)
        let dense = run(DenseAttention(), config: config, cache: cache, queries: queries, positions: 0..<60, layer: 1)
        let window = run(SlidingWindowAttention(config: config, sinks: 4, window: 64), config: config, cache: cache,
                         queries: queries, positions: 0..<60, layer: 1)
        XCTAssertLessThan(zip(dense, window).map { abs($0 - $1) }.max()!, 1e-5)
    }

    // MARK: Positions

    func testRotaryShiftComposesLikeRoPE() {
        let config = config()
        let rotary = RotaryShift(config: config)
        let query = randomQueries(headDim, seed: 12)
        for (position, shift) in [(5000, -4321), (10, 7), (9000, -9000)] {
            let twice = rotated(rotated(query[...], by: position, rotary: rotary)[...], by: shift, rotary: rotary)
            let once = rotated(query[...], by: position + shift, rotary: rotary)
            for d in 0..<headDim { XCTAssertEqual(twice[d], once[d], accuracy: 2e-4) }
        }
    }

    func testPositionSchemeIsExactInRangeAndCompressesBeyond() {
        let scheme = PositionScheme(trainedLength: 8192, neighborhood: 2048)
        for query in [0, 100, 4096] {
            for key in stride(from: 0, through: query, by: 16) { XCTAssertEqual(scheme.queryShift(keyStart: key, queryPosition: query), 0) }
        }
        for query in [4097, 8192, 16384, 32767, 100_000] {
            var previous = Int.max
            for key in stride(from: 0, through: query, by: 16) {
                let distance = query - key
                let seen = distance + scheme.queryShift(keyStart: key, queryPosition: query)
                XCTAssertLessThanOrEqual(seen, scheme.farthestDistance)
                XCTAssertLessThanOrEqual(seen, previous, "seen distances keep their order")
                if distance <= 2048 { XCTAssertEqual(seen, distance) }
                previous = seen
            }
            XCTAssertLessThanOrEqual(scheme.largestShift(upTo: query), query)
        }
        XCTAssertEqual(scheme.farthestDistance, 4096, "far context is kept in the first half of the trained range")
        XCTAssertEqual(32768 + scheme.queryShift(keyStart: 0, queryPosition: 32768), 4096, "position 0 lands at the farthest distance")
    }

    /// For any selection, the segments cover exactly the sinks, the pages and the recent window; the segments keep their
    /// order, no key appears beyond the farthest distance, and the neighbourhood (and everything up to the farthest
    /// distance) keeps its true distances.
    func testTopKSegmentsKeepOrderAndReach() {
        let config = config()   // trained 4,096: farthest distance 2,048
        let policy = TopKPageAttention(config: config, budget: 512, window: 64)
        let scheme = policy.scheme, page = TopKPageAttention.pageSize
        var random = SeededRandom(seed: 5)
        for last in [1000, 2048, 2049, 3000, 5000, 30000] {
            for _ in 0..<20 {
                let recentStart = (last - 64) / page * page
                let candidates = (2..<(recentStart / page)).filter { _ in random.nextUnit() < 0.1 }
                let pages = Array(candidates.prefix(512 / page))
                let segments = policy.segments(pages: pages, recentStart: recentStart, lastPosition: last)
                var expected = Array(0..<min(policy.sinks, recentStart))
                for p in pages { expected += Array((p * page)..<((p + 1) * page)) }
                expected += Array(recentStart...last)
                XCTAssertEqual(segments.flatMap { Array($0.positions) }, expected, "last \(last)")
                var previousStart = Int.min
                for segment in segments {
                    // Where the segment's first key appears; the keys inside keep their spacing (so squeezed segments
                    // may overlap the next one's start), the segments keep their order.
                    let appears = segment.positions.lowerBound - segment.queryShift
                    XCTAssertGreaterThan(appears, previousStart, "segments keep their order")
                    previousStart = appears
                    XCTAssertLessThanOrEqual(last - appears, scheme.farthestDistance, "no key appears beyond the farthest distance")
                    if last <= scheme.farthestDistance || last - segment.positions.lowerBound <= scheme.neighborhood {
                        XCTAssertEqual(segment.queryShift, 0, "true distances in range and in the neighbourhood")
                    }
                }
            }
        }
    }

    /// A dense layer reads every position up to the farthest distance; beyond, the sinks and the last
    /// (farthest distance − sinks) positions, through the position scheme.
    func testDenseLayerBeyondTheFarthestDistanceReadsSinksAndTrainedReach() {
        let config = config()   // farthest distance 2,048
        let count = 3000
        let cache = filledCache(config, count: count)
        let policy = topK(config, cache: cache, count: count, budget: 256)
        let queries = randomQueries(config.queryWidth, seed: 17)
        let output = run(policy, config: config, cache: cache, queries: queries, positions: (count - 1)..<count, layer: 0)
        let page = TopKPageAttention.pageSize, sinks = policy.sinks
        let firstKept = ((count - 1) - (policy.scheme.farthestDistance - sinks) + page - 1) / page * page
        let recentStart = (count - 1 - 64) / page * page
        let segments = policy.segments(pages: Array((firstKept / page)..<(recentStart / page)), recentStart: recentStart,
                                       lastPosition: count - 1)
        XCTAssertEqual(segments.flatMap { Array($0.positions) }, Array(0..<sinks) + Array(firstKept..<count))
        let rotary = RotaryShift(config: config)
        for head in 0..<config.headCount {
            let query = Array(queries[(head * headDim)..<((head + 1) * headDim)])
            let parts = segments.map { ($0.positions, rotated(query[...], by: $0.queryShift, rotary: rotary)) }
            let expected = reference(parts: parts, layer: 0, kvHead: head / config.groupSize, cache: cache)
            for d in 0..<headDim { XCTAssertEqual(Double(output[head * headDim + d]), expected[d], accuracy: 1e-4) }
        }
    }

    func testRelativeMaximumKeepsOneHeadsSharpPage() {
        // Head 0: large, flat bounds; head 1: small bounds with one sharp page (2). Summing would pick page 0 or 3.
        let bounds: [Float] = [50, 49, 48, 50.5,
                               1, 1, 9, 1]
        let scores = TopKPageAttention.relativeMaximum(bounds, rows: 2, pages: 4)
        XCTAssertEqual(scores, [-0.5, -1.5, 0, 0])
        XCTAssertEqual(TopKPageAttention.largestIndices(scores, count: 2), [2, 3])
    }
}
