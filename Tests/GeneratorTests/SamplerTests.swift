import Foundation
import Generator
import XCTest

final class SamplerTests: XCTestCase {
    private let logits: [Float] = [0.5, 3.0, 2.9, -1, 1.0, 2.0]

    private func draw(_ settings: SamplerSettings, times: Int = 200, history: [Int32] = []) -> [Int32] {
        var sampler = Sampler(settings)
        return logits.withUnsafeBufferPointer { buffer in (0..<times).map { _ in sampler.sample(buffer, history: history[...]) } }
    }

    func testGreedyPicksArgmax() {
        XCTAssertEqual(Set(draw(.greedy, times: 5)), [1])
    }

    func testSameSeedSameOutputDifferentSeedDiffers() {
        let settings = SamplerSettings(temperature: 1, seed: 7)
        XCTAssertEqual(draw(settings), draw(settings))
        var other = settings
        other.seed = 8
        XCTAssertNotEqual(draw(settings), draw(other))
    }

    func testTopKRestrictsCandidates() {
        XCTAssertEqual(Set(draw(SamplerSettings(temperature: 5, topK: 2, seed: 1))), [1, 2])
        XCTAssertEqual(Set(draw(SamplerSettings(temperature: 5, topK: 1, seed: 1))), [1])
    }

    func testTopPKeepsSmallestSetReachingMass() {
        // Probabilities at T=1: token 1 ≈ 0.37, token 2 ≈ 0.34, token 5 ≈ 0.14 …; p = 0.5 keeps {1, 2}.
        XCTAssertEqual(Set(draw(SamplerSettings(temperature: 1, topP: 0.5, seed: 2), times: 400)), [1, 2])
        XCTAssertEqual(Set(draw(SamplerSettings(temperature: 1, topP: 0.01, seed: 2))), [1])
    }

    func testMinPDropsUnlikelyTokens() {
        // min-p 0.5 keeps tokens with p ≥ 0.5·p(1): tokens 1 and 2 (e^-0.1 ≈ 0.9) but not 5 (e^-1 ≈ 0.37).
        XCTAssertEqual(Set(draw(SamplerSettings(temperature: 1, minP: 0.5, seed: 3), times: 400)), [1, 2])
    }

    func testRepetitionPenaltyDemotesSeenTokens() {
        XCTAssertEqual(draw(SamplerSettings(repetitionPenalty: 1.5), times: 1, history: [1]), [2])
        XCTAssertEqual(draw(SamplerSettings(repetitionPenalty: 1.5), times: 1, history: [3]), [1])
    }

    func testTemperatureSamplesFollowTheDistribution() {
        let samples = draw(SamplerSettings(temperature: 1, seed: 11), times: 4000)
        let total = logits.map { exp(Double($0)) }.reduce(0, +)
        for token in 0..<logits.count {
            let expected = exp(Double(logits[token])) / total
            let observed = Double(samples.filter { $0 == Int32(token) }.count) / 4000
            XCTAssertEqual(observed, expected, accuracy: 0.03, "token \(token)")
        }
    }

    /// A model that always prefers to continue "A B A B …": with 3-gram blocking the greedy pick never repeats
    /// a 3-token sequence it already generated; prompt tokens do not count.
    func testNGramBlockingStopsALoop() {
        var sampler = Sampler(SamplerSettings(noRepeatNGram: 3))
        // Token 0 after 1 and 1 after 0 are the favourites; 2 is the runner-up everywhere.
        var generated: [Int32] = []
        for _ in 0..<6 {
            let favourite: Int32 = generated.last == 0 ? 1 : 0
            var logits = [Float](repeating: 0, count: 4)
            logits[Int(favourite)] = 5
            logits[2] = 4
            let next = logits.withUnsafeBufferPointer { sampler.sample($0, history: [0, 1, 0, 1][...], generated: generated[...]) }
            generated.append(next)
        }
        var trigrams = Set<[Int32]>()
        for start in 0...(generated.count - 3) {
            XCTAssertTrue(trigrams.insert(Array(generated[start..<(start + 3)])).inserted, "\(generated) repeats a 3-gram")
        }
        XCTAssertEqual(Array(generated.prefix(3)), [0, 1, 0], "the prompt's 0 1 0 1 does not block the first tokens")
    }
}
