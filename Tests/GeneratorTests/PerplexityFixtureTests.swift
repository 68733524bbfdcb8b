import Foundation
import Generator
import ModelKit
import XCTest

/// Perplexity of /usr/share/common-licenses/GPL-3 against ../shared/fixtures/smollm2/perplexity_gpl3.json (within 0.1%).
/// Release mode: `swift test -c release --filter PerplexityFixtureTests` (about 25 CPU-seconds).
final class PerplexityFixtureTests: XCTestCase {
    func testGPL3PerplexityAtContext512() throws {
        let model = try GeneratorFixtures.model()
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: GeneratorFixtures.fixturesDirectory + "/smollm2/perplexity_gpl3.json"))) as? [String: Any])
        let textPath = try XCTUnwrap(reference["file"] as? String)
        guard FileManager.default.fileExists(atPath: textPath) else {
            throw XCTSkip("\(textPath) is not present on this machine")
        }
        let expected = try XCTUnwrap(reference["ppl_c512"] as? Double)
        let tokenizer = try ByteLevelBPETokenizer(gguf: model.weights.file)
        let ids = tokenizer.encode(try String(contentsOfFile: textPath, encoding: .utf8))
        XCTAssertEqual(ids.count, reference["tokens"] as? Int)
        let result = try PerplexityEvaluator(model: model, window: 512).evaluate(ids)
        XCTAssertEqual(result.scoredTokens, reference["scored_c512"] as? Int)
        XCTAssertEqual(result.perplexity, expected, accuracy: expected * 0.001, "perplexity \(result.perplexity) vs \(expected)")
        print("PerplexityFixtureTests: C=512 perplexity \(result.perplexity) (reference \(expected))")
    }

    func testLogSumExpKernelMatchesScalarTwin() {
        var random = SeededRandom(seed: 3)
        for count in [1, 7, 64, 130, 49152] {
            let logits = (0..<count).map { _ in Float(random.nextUnit() * 40 - 20) }
            logits.withUnsafeBufferPointer { buffer in
                let fast = PerplexityEvaluator.negativeLogLikelihood(buffer, target: 0) + Double(buffer[0])
                XCTAssertEqual(fast, PerplexityEvaluator.logSumExpReference(buffer), accuracy: 1e-5, "count \(count)")
            }
        }
    }

    func testNegativeLogLikelihoodIsLogSoftmax() {
        let logits: [Float] = [1, 2, 3]
        let nll = logits.withUnsafeBufferPointer { PerplexityEvaluator.negativeLogLikelihood($0, target: 0) }
        XCTAssertEqual(nll, -log(exp(1.0) / (exp(1.0) + exp(2.0) + exp(3.0))), accuracy: 1e-9)
    }
}
