import CKernels
import Foundation
import Generator
import ModelKit
import XCTest

/// fp16 KV cache: conversions, the F16C attention kernel and the fp16 page summaries, each against its portable C twin,
/// and fp16 attention against fp32 attention within the error fp16 rounding allows.
final class HalfKVCacheTests: XCTestCase {
    override func tearDown() { rag_simd_set_level(2) }

    private func config(heads: Int = 6, kvHeads: Int = 2, headDim: Int = 64, layers: Int = 2) -> LlamaConfig {
        LlamaConfig(embeddingLength: heads * headDim, blockCount: layers, feedForwardLength: 8, headCount: heads,
                    headCountKV: kvHeads, contextLength: 4096, vocabularySize: 8)
    }

    private func random(_ count: Int, seed: UInt64, range: Double = 4) -> [Float] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float((random.nextUnit() - 0.5) * range) }
    }

    /// Random keys/values in [-2, 2) written through `store` (the same numbers whatever the precision).
    private func filledCache(_ config: LlamaConfig, count: Int, precision: KVCachePrecision) -> KVCache {
        let cache = KVCache(config: config, capacity: count, precision: precision)
        let headDim = config.headDimension
        for layer in 0..<config.blockCount {
            for h in 0..<config.headCountKV {
                let keys = random(count * headDim, seed: UInt64(100 * layer + h)), values = random(count * headDim, seed: UInt64(100 * layer + h + 50))
                cache.store(layer: layer, kvHead: h, slot: 0, keys: keys, values: values, rows: count)
            }
        }
        return cache
    }

    // MARK: Conversions

    func testConversionsMatchSwiftFloat16AndPortableTwin() {
        var values = random(5000, seed: 1, range: 200)
        values += random(500, seed: 2, range: 1e-4)       // subnormal halves
        values += [0, -0.0, 65504, 65519, 65520, -70000, 6.1035156e-05, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08,
                   1.0009765625 /* a tie: 1 + 2^-10 − ulp/2 */, 1.00048828125, .infinity, -.infinity]
        for simd in [true, false] {
            rag_simd_set_level(simd ? 2 : 0)
            var halves = [UInt16](repeating: 0, count: values.count)
            rag_f32_to_f16(values, &halves, Int64(values.count))
            var back = [Float](repeating: 0, count: values.count)
            rag_f16_to_f32(halves, &back, Int64(values.count))
            for (i, value) in values.enumerated() {
                let expected = Float16(value)   // IEEE round to nearest even
                XCTAssertEqual(halves[i], expected.bitPattern, "simd=\(simd) \(value)")
                XCTAssertEqual(back[i].bitPattern, Float(expected).bitPattern, "simd=\(simd) \(value)")
            }
        }
    }

    // MARK: Attention kernel

    /// The F16C kernel against its portable twin on the same fp16 data (both convert exactly; only summation order differs).
    func testHalfKernelMatchesPortableTwin() {
        for headDim in [64, 24] {
            let rows = 3, keys = 61
            let q = random(rows * headDim, seed: 3)
            var k = [UInt16](repeating: 0, count: keys * headDim), v = k
            rag_f32_to_f16(random(keys * headDim, seed: 4), &k, Int64(k.count))
            rag_f32_to_f16(random(keys * headDim, seed: 5), &v, Int64(v.count))
            let limits: [Int64] = [60, 17, -1]
            func run(simd: Bool) -> [Float] {
                rag_simd_set_level(simd ? 2 : 0)
                var m = [Float](repeating: -.infinity, count: rows), l = [Float](repeating: 0, count: rows)
                var acc = [Float](repeating: 0, count: rows * headDim), scores = [Float](repeating: 0, count: keys)
                // Two blocks (the second rescales the first's state), with causal limits in the second.
                rag_attention_block_f16(q, Int64(rows), Int64(headDim), k, v, 30, nil, 0.125, &m, &l, &acc, &scores)
                rag_attention_block_f16(q, Int64(rows), Int64(headDim), Array(k[(30 * headDim)...]), Array(v[(30 * headDim)...]),
                                        Int64(keys - 30), limits, 0.125, &m, &l, &acc, &scores)
                return (0..<(rows * headDim)).map { acc[$0] / max(l[$0 / headDim], 1e-30) }
            }
            let simd = run(simd: true), portable = run(simd: false)
            for i in simd.indices { XCTAssertEqual(simd[i], portable[i], accuracy: 1e-5, "headDim \(headDim) element \(i)") }
        }
    }

    /// Dense attention (FlashAttention, split-K) and topk with a whole-context budget (SegmentAttention) on an fp16
    /// cache equal the fp64 reference over the same fp16 numbers, as on fp32 caches.
    func testHalfCacheAttentionMatchesReference() {
        let config = config()
        let count = 700, headDim = config.headDimension
        let cache = filledCache(config, count: count, precision: .f16)
        let topk = TopKPageAttention(config: config, budget: count, window: 64, denseLayers: 0, cachePrecision: .f16)
        for layer in 0..<2 { topk.didAppend(layer: layer, positions: 0..<count, cache: cache) }
        for policy in [DenseAttention(cachePrecision: .f16), topk] as [AttentionPolicy] {
            for positions in [(count - 1)..<count, 600..<640] {
                let queries = random(positions.count * config.queryWidth, seed: 7)
                let output = attend(policy, config: config, cache: cache, queries: queries, positions: positions, layer: 1)
                var expected = [Float](repeating: 0, count: headDim)
                var worst: Float = 0
                for t in 0..<positions.count {
                    for h in 0..<config.headCount {
                        let offset = (t * config.headCount + h) * headDim
                        queries.withUnsafeBufferPointer { q in
                            AttentionReference.attend(query: q.baseAddress! + offset, layer: 1, kvHead: h / config.groupSize, cache: cache,
                                                      keyRanges: [0..<(positions.lowerBound + t + 1)], scale: 0.125, output: &expected)
                        }
                        for d in 0..<headDim { worst = max(worst, abs(output[offset + d] - expected[d])) }
                    }
                }
                XCTAssertLessThan(worst, 2e-5, "\(policy.name) positions \(positions)")
            }
        }
    }

    /// The sliding window on an fp16 ring cache equals the window on an fp16 linear cache (same rounded numbers; the ring
    /// is written through `slot(of:)`, so later positions overwrite earlier ones as in generation).
    func testWindowOnHalfRingEqualsHalfLinear() {
        let config = config()
        let count = 900, window = 40, batch = 32, headDim = config.headDimension
        let policy = SlidingWindowAttention(config: config, sinks: 4, window: window, cachePrecision: .f16)
        let ring = policy.makeCache(config: config, positions: count, batchSize: batch)
        XCTAssertEqual(ring.precision, .f16)
        XCTAssertNotNil(ring.ringStart)
        let linear = KVCache(config: config, capacity: count, precision: .f16)
        for layer in 0..<config.blockCount {
            for h in 0..<config.headCountKV {
                let keys = random(count * headDim, seed: UInt64(10 * layer + h)), values = random(count * headDim, seed: UInt64(10 * layer + h + 5))
                linear.store(layer: layer, kvHead: h, slot: 0, keys: keys, values: values, rows: count)
                keys.withUnsafeBufferPointer { k in
                    values.withUnsafeBufferPointer { v in
                        for position in 0..<count {
                            ring.store(layer: layer, kvHead: h, slot: ring.slot(of: position), keys: k.baseAddress! + position * headDim,
                                       values: v.baseAddress! + position * headDim)
                        }
                    }
                }
            }
        }
        let positions = (count - batch)..<count
        let queries = random(batch * config.queryWidth, seed: 9)
        let fromLinear = attend(policy, config: config, cache: linear, queries: queries, positions: positions, layer: 1)
        let fromRing = attend(policy, config: config, cache: ring, queries: queries, positions: positions, layer: 1)
        XCTAssertLessThan(zip(fromLinear, fromRing).map { abs($0 - $1) }.max()!, 1e-6)
    }

    /// fp16 vs fp32 storage of the same keys/values. Each stored number moves by at most 2^-11 relative (≤ 9.8e-4 for
    /// |x| < 2); with |q_d| < 2, 64 channels and scale 1/8 a score moves by ≤ 0.125 · 64 · 2 · 2 · 4.9e-4 ≈ 0.016 (≈ 1.6 %
    /// change of a softmax weight), so the output (a weighted mean of values in [−2, 2)) moves by ≲ 2 · 0.032 + 9.8e-4 ≈ 0.065
    /// in the worst case; random errors cancel, so the typical deviation is far smaller. Asserted: max < 0.065, mean < 2e-3.
    func testHalfCacheStaysCloseToFloatCache() {
        let config = config()
        let count = 900, headDim = config.headDimension
        let full = filledCache(config, count: count, precision: .f32)
        let half = filledCache(config, count: count, precision: .f16)
        let positions = (count - 16)..<count
        let queries = random(positions.count * config.queryWidth, seed: 8)
        let a = attend(DenseAttention(), config: config, cache: full, queries: queries, positions: positions, layer: 0)
        let b = attend(DenseAttention(cachePrecision: .f16), config: config, cache: half, queries: queries, positions: positions, layer: 0)
        let deltas = zip(a, b).map { abs($0 - $1) }
        XCTAssertLessThan(deltas.max()!, 0.065)
        XCTAssertLessThan(deltas.reduce(0, +) / Float(deltas.count), 2e-3)
        XCTAssertEqual(half.byteCount * 2, full.byteCount)
        XCTAssertEqual(KVCache.bytesPerPosition(layers: 30, kvWidth: 3 * 64, precision: .f32), 46_080)
        XCTAssertEqual(KVCache.bytesPerPosition(layers: 30, kvWidth: 3 * 64, precision: .f16), 23_040)
        _ = headDim
    }

    private func attend(_ policy: AttentionPolicy, config: LlamaConfig, cache: KVCache, queries: [Float],
                        positions: Range<Int>, layer: Int) -> [Float] {
        var output = [Float](repeating: .nan, count: queries.count)
        queries.withUnsafeBufferPointer { q in
            output.withUnsafeMutableBufferPointer { out in
                let request = AttentionRequest(layer: layer, queries: q.baseAddress!, positions: positions, cache: cache,
                                               headCount: config.headCount, groupSize: config.groupSize, scale: 0.125,
                                               pool: WorkerPool(threads: 2))
                policy.attend(request, output: out.baseAddress!)
            }
        }
        return output
    }

    // MARK: Page summaries

    /// Directed rounding: every key lies inside its fp16 page bounds; SIMD and portable paths store the same bits.
    func testSummaryUpdateEnclosesKeysAndMatchesTwin() {
        let headDim = 40
        let keys = random(16 * headDim, seed: 11, range: 300) + random(16 * headDim, seed: 12, range: 1e-4)
        var results: [[UInt16]] = []
        for simd in [true, false] {
            rag_simd_set_level(simd ? 2 : 0)
            var lows = [UInt16](repeating: 0, count: 2 * headDim), highs = lows
            for key in 0..<32 {
                let page = key / 16
                keys.withUnsafeBufferPointer { k in
                    lows.withUnsafeMutableBufferPointer { lo in
                        highs.withUnsafeMutableBufferPointer { hi in
                            rag_page_summary_update_f16(k.baseAddress! + key * headDim, Int64(headDim), lo.baseAddress! + page * headDim,
                                                        hi.baseAddress! + page * headDim, key % 16 == 0 ? 1 : 0)
                        }
                    }
                }
            }
            for key in 0..<32 {
                for d in 0..<headDim {
                    let value = keys[key * headDim + d], entry = (key / 16) * headDim + d
                    XCTAssertLessThanOrEqual(Float(Float16(bitPattern: lows[entry])), value)
                    XCTAssertGreaterThanOrEqual(Float(Float16(bitPattern: highs[entry])), value)
                }
            }
            results.append(lows + highs)
        }
        XCTAssertEqual(results[0], results[1])
    }

    /// The page-bound scan (several query sets, as for rotated runs) against its portable twin.
    func testPageBoundsKernelMatchesTwin() {
        for headDim in [64, 16, 12] { for rows in [1, 3] {   // rows 1, headDim 64: the AVX-512 path where the CPU has it
            let pages = 37, perQuery = 4
            let sets = (pages + perQuery - 1) / perQuery
            let queries = random(sets * rows * headDim, seed: 13)
            var lows = [UInt16](repeating: 0, count: pages * headDim), highs = lows
            let a = random(pages * headDim, seed: 14), b = random(pages * headDim, seed: 15)
            rag_f32_to_f16(zip(a, b).map { min($0, $1) }, &lows, Int64(lows.count))
            rag_f32_to_f16(zip(a, b).map { max($0, $1) }, &highs, Int64(highs.count))
            func run(simd: Bool) -> [Float] {
                rag_simd_set_level(simd ? 2 : 0)
                var scores = [Float](repeating: 1, count: pages)
                rag_page_bounds_f16(queries, Int64(rows), Int64(headDim), lows, highs, Int64(pages), Int64(perQuery), &scores)
                return scores
            }
            let simd = run(simd: true), portable = run(simd: false)
            for p in 0..<pages { XCTAssertEqual(simd[p], portable[p], accuracy: 1e-4 * max(1, abs(portable[p])), "headDim \(headDim) rows \(rows) page \(p)") }
        } }
    }

    /// Super-page bounds (16 pages) hold for every key of the super-page, on an fp16 cache.
    func testSuperPageBoundsHoldForEveryKey() {
        let config = config(heads: 2, kvHeads: 1, headDim: 32, layers: 1)
        let span = KeyPageSummaries.pageSize * KeyPageSummaries.superPageSize   // positions per super-page
        let count = 2 * span + 88
        let cache = filledCache(config, count: count, precision: .f16)
        let summaries = KeyPageSummaries(layerCount: 1, kvHeadCount: 1, headDimension: 32)
        for piece in [0..<100, 100..<101, 101..<count] { summaries.update(layer: 0, positions: piece, cache: cache) }
        let query = random(32, seed: 16)
        var bounds = [Float](repeating: 0, count: 2)
        summaries.addSuperPageUpperBounds(queries: query, rows: 1, layer: 0, kvHead: 0, superPages: 0..<2, into: &bounds)
        var key = [Float](repeating: 0, count: 32)
        for position in 0..<(2 * span) {
            cache.loadKey(layer: 0, kvHead: 0, slot: position, into: &key)
            let dot = zip(query, key).map(*).reduce(0, +)
            XCTAssertLessThanOrEqual(dot, bounds[position / span] + 1e-4)
        }
    }
}

/// The RoPE re-rotation kernel (AVX2, four pairs per step) against its portable twin, with an odd pair count and a
/// non-rotated tail.
final class RotatePairsKernelTests: XCTestCase {
    override func tearDown() { rag_simd_set_level(2) }

    func testKernelMatchesPortableTwin() {
        var random = SeededRandom(seed: 21)
        let rows = 3, headDim = 40, pairs = 19
        let v = (0..<(rows * headDim)).map { _ in Float(random.nextUnit() * 4 - 2) }
        let angles = (0..<pairs).map { _ in random.nextUnit() * 6 }
        let cosines = angles.map { Float(cos($0)) }, sines = angles.map { Float(sin($0)) }
        for sign: Float in [1, -1] {
            var results: [[Float]] = []
            for simd in [true, false] {
                rag_simd_set_level(simd ? 2 : 0)
                var out = [Float](repeating: .nan, count: rows * headDim)
                rag_rotate_pairs(v, Int64(rows), Int64(headDim), Int64(pairs), cosines, sines, sign, &out)
                results.append(out)
            }
            for i in v.indices { XCTAssertEqual(results[0][i], results[1][i], accuracy: 1e-6, "sign \(sign) element \(i)") }
            for r in 0..<rows { XCTAssertEqual(results[0][r * headDim + 39], v[r * headDim + 39]) }
        }
    }
}
