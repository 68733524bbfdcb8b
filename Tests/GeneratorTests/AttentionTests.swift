import CKernels
import Foundation
import Generator
import ModelKit
import XCTest

/// FlashAttention (C kernel, query tiles, split-K merge) against the two-pass fp64 reference on random caches.
final class AttentionTests: XCTestCase {
    override func tearDown() { rag_simd_set_level(2) }

    private func config(heads: Int, kvHeads: Int, headDim: Int) -> LlamaConfig {
        LlamaConfig(embeddingLength: heads * headDim, blockCount: 2, feedForwardLength: 8, headCount: heads,
                    headCountKV: kvHeads, contextLength: 4096, vocabularySize: 8)
    }

    private func randomFill(_ p: UnsafeMutablePointer<Float>, count: Int, seed: inout SeededRandom) {
        for i in 0..<count { p[i] = Float(seed.nextUnit() * 4 - 2) }
    }

    /// Fills `tokens` new positions after `past` ones, runs dense attention for them, compares every head.
    private func check(heads: Int, kvHeads: Int, headDim: Int, past: Int, tokens: Int, threads: Int,
                       file: StaticString = #filePath, line: UInt = #line) {
        let config = config(heads: heads, kvHeads: kvHeads, headDim: headDim)
        let cache = KVCache(config: config, capacity: past + tokens)
        var random = SeededRandom(seed: UInt64(past * 31 + tokens))
        for layer in 0..<2 {
            for h in 0..<kvHeads {
                randomFill(cache.keys(layer: layer, kvHead: h), count: (past + tokens) * headDim, seed: &random)
                randomFill(cache.values(layer: layer, kvHead: h), count: (past + tokens) * headDim, seed: &random)
            }
        }
        let queries = UnsafeMutablePointer<Float>.allocate(capacity: tokens * heads * headDim)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: tokens * heads * headDim)
        let expected = UnsafeMutablePointer<Float>.allocate(capacity: headDim)
        defer { queries.deallocate(); output.deallocate(); expected.deallocate() }
        randomFill(queries, count: tokens * heads * headDim, seed: &random)
        let request = AttentionRequest(layer: 1, queries: queries, positions: past..<(past + tokens), cache: cache,
                                       headCount: heads, groupSize: heads / kvHeads, scale: 1 / Float(headDim).squareRoot(),
                                       pool: WorkerPool(threads: threads))
        DenseAttention().attend(request, output: output)
        var worst: Float = 0
        for t in 0..<tokens {
            for h in 0..<heads {
                let offset = (t * heads + h) * headDim
                AttentionReference.attend(query: queries + offset, layer: 1, kvHead: h / (heads / kvHeads), cache: cache,
                                          keyRanges: [0..<(past + t + 1)], scale: request.scale, output: expected)
                for d in 0..<headDim { worst = max(worst, abs(output[offset + d] - expected[d])) }
            }
        }
        XCTAssertLessThan(worst, 2e-5, "heads \(heads)/\(kvHeads) past \(past) tokens \(tokens) threads \(threads)", file: file, line: line)
    }

    func testPrefillTilesMatchReference() {
        check(heads: 6, kvHeads: 2, headDim: 64, past: 0, tokens: 70, threads: 2)
        check(heads: 4, kvHeads: 4, headDim: 16, past: 5, tokens: 33, threads: 3)
    }

    func testDecodeSplitKeysMatchReference() {
        check(heads: 9, kvHeads: 3, headDim: 64, past: 700, tokens: 1, threads: 2)
        check(heads: 2, kvHeads: 1, headDim: 8, past: 200, tokens: 2, threads: 4)
        check(heads: 2, kvHeads: 1, headDim: 8, past: 0, tokens: 1, threads: 2)
    }

    func testPortableKernelPathMatchesReference() {
        rag_simd_set_level(0)
        check(heads: 6, kvHeads: 3, headDim: 64, past: 90, tokens: 20, threads: 2)
        check(heads: 6, kvHeads: 3, headDim: 12, past: 300, tokens: 1, threads: 2)
    }

    /// A policy that reads only some ranges (the seam sparse policies use) gets exactly attention over those keys.
    func testCustomKeyRangesMatchReference() {
        let config = config(heads: 2, kvHeads: 1, headDim: 16)
        let cache = KVCache(config: config, capacity: 300)
        var random = SeededRandom(seed: 5)
        randomFill(cache.keys(layer: 0, kvHead: 0), count: 300 * 16, seed: &random)
        randomFill(cache.values(layer: 0, kvHead: 0), count: 300 * 16, seed: &random)
        let queries = UnsafeMutablePointer<Float>.allocate(capacity: 2 * 16)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: 2 * 16)
        let expected = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        defer { queries.deallocate(); output.deallocate(); expected.deallocate() }
        randomFill(queries, count: 32, seed: &random)
        let ranges: [Range<Int>] = [0..<4, 100..<130, 250..<300]
        let request = AttentionRequest(layer: 0, queries: queries, positions: 299..<300, cache: cache, headCount: 2,
                                       groupSize: 2, scale: 0.25, pool: WorkerPool(threads: 2))
        FlashAttention.attendAll(request, output: output) { _ in ranges }
        for h in 0..<2 {
            AttentionReference.attend(query: queries + h * 16, layer: 0, kvHead: 0, cache: cache, keyRanges: ranges,
                                      scale: 0.25, output: expected)
            for d in 0..<16 { XCTAssertEqual(output[h * 16 + d], expected[d], accuracy: 2e-5) }
        }
    }
}

/// The SwiGLU kernel (vectorized exp) against its scalar twin, including large |gate| where e^(−g) overflows naively.
final class SwiGLUKernelTests: XCTestCase {
    override func tearDown() { rag_simd_set_level(2) }

    func testKernelMatchesScalarTwin() {
        for simd in [true, false] {
            rag_simd_set_level(simd ? 2 : 0)
            var random = SeededRandom(seed: 4)
            var gate = (0..<1003).map { _ in Float(random.nextUnit() * 40 - 20) }
            gate += [0, -0.0, 100, -100, 1e-30]
            let up = gate.indices.map { _ in Float(random.nextUnit() * 4 - 2) }
            var expected = gate
            SwiGLUReference.apply(&expected, up)
            var got = gate
            got.withUnsafeMutableBufferPointer { rag_swiglu($0.baseAddress!, up, Int64($0.count)) }
            for i in gate.indices {
                XCTAssertEqual(got[i], expected[i], accuracy: 1e-5 * max(1, abs(expected[i])), "simd=\(simd) gate \(gate[i])")
            }
        }
    }
}
