import Foundation
import Generator
import ModelKit
import XCTest

/// The real SmolLM2 model against the float64 reference in ../shared/fixtures/smollm2 (see its README for tolerances).
/// Run in release mode: `swift test -c release --filter LlamaFixtureTests`.
final class LlamaFixtureTests: XCTestCase {
    struct Case {
        let name: String
        let ids: [Int32]
        let top20: [(Int, Double)]
        let logSumExp: Double
        let argmax: [Int]
        let margins: [Double]
        let greedy: [Int32]

        init(_ json: [String: Any]) throws {
            name = try XCTUnwrap(json["name"] as? String)
            ids = try XCTUnwrap(json["ids"] as? [Int]).map { Int32($0) }
            top20 = try XCTUnwrap(json["last_top20"] as? [[Double]]).map { (Int($0[0]), $0[1]) }
            logSumExp = try XCTUnwrap(json["last_logsumexp"] as? Double)
            argmax = try XCTUnwrap(json["argmax"] as? [Int])
            margins = try XCTUnwrap(json["argmax_margin"] as? [Double])
            greedy = try XCTUnwrap(json["greedy_ids"] as? [Int]).map { Int32($0) }
        }
    }

    private func cases() throws -> [Case] {
        try GeneratorFixtures.jsonLines("smollm2/logits_fp64.jsonl").map(Case.init)
    }

    private static func argmax(_ row: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<row.count where row[i] > row[best] { best = i }
        return best
    }

    func testLogitsArgmaxAndGreedyMatchReference() throws {
        let model = try GeneratorFixtures.model()
        let chunk = 128
        let scratch = model.makeScratch(maxTokens: chunk)
        var worst = 0.0
        for c in try cases() {
            let cache = model.makeCache(capacity: c.ids.count + c.greedy.count + 1)
            let attention = DenseAttention()
            // Prefill in chunks, checking the argmax at every position with a clear margin.
            var start = 0
            while start < c.ids.count {
                let end = min(c.ids.count, start + chunk)
                try model.forward(Array(c.ids[start..<end]), cache: cache, scratch: scratch, attention: attention, logits: .all)
                for row in 0..<(end - start) where c.margins[start + row] > 4e-3 {
                    XCTAssertEqual(Self.argmax(scratch.logits(row: row)), c.argmax[start + row], "\(c.name) position \(start + row)")
                }
                start = end
            }
            let last = scratch.lastLogits
            for (id, expected) in c.top20 {
                let delta = abs(Double(last[id]) - expected)
                worst = max(worst, delta)
                XCTAssertLessThanOrEqual(delta, 2e-3, "\(c.name) logit of token \(id): \(last[id]) vs \(expected)")
            }
            let maxLogit = Double(last.max()!)
            let logSumExp = maxLogit + log(last.reduce(0.0) { $0 + exp(Double($1) - maxLogit) })
            worst = max(worst, abs(logSumExp - c.logSumExp))
            XCTAssertLessThanOrEqual(abs(logSumExp - c.logSumExp), 2e-3, "\(c.name) logsumexp")

            // Greedy continuation, one token at a time (decode path).
            var generated: [Int32] = []
            var next = Int32(Self.argmax(last))
            while true {
                generated.append(next)
                if next == 2 || generated.count == c.greedy.count { break }
                try model.forward([next], cache: cache, scratch: scratch, attention: attention)
                next = Int32(Self.argmax(scratch.lastLogits))
            }
            XCTAssertEqual(generated, c.greedy, "\(c.name) greedy continuation")
        }
        print("LlamaFixtureTests: worst |Δ| on last_top20/logsumexp = \(worst)")
    }

    /// The sgemm prefill path and the quantized matvec decode path agree within fp32 rounding.
    func testDecodeMatchesPrefill() throws {
        let model = try GeneratorFixtures.model()
        let ids = try XCTUnwrap(cases().first { $0.ids.count >= 30 }).ids
        let scratch = model.makeScratch(maxTokens: ids.count)
        let prefillCache = model.makeCache(capacity: ids.count)
        try model.forward(ids, cache: prefillCache, scratch: scratch, attention: DenseAttention(), logits: .all)
        let prefill = (0..<ids.count).map { Array(scratch.logits(row: $0)) }

        let decodeScratch = model.makeScratch(maxTokens: 1)
        let decodeCache = model.makeCache(capacity: ids.count)
        let attention = DenseAttention()
        var worst: Float = 0
        for (position, id) in ids.enumerated() {
            try model.forward([id], cache: decodeCache, scratch: decodeScratch, attention: attention)
            let decoded = decodeScratch.lastLogits
            for v in 0..<decoded.count { worst = max(worst, abs(decoded[v] - prefill[position][v])) }
        }
        XCTAssertLessThanOrEqual(worst, 2e-3, "decode vs prefill max |Δ logit|")
        print("LlamaFixtureTests: decode vs prefill max |Δ logit| = \(worst)")
    }
}
