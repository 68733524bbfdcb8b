import Foundation
import Generator
import ModelKit
import XCTest

/// Passkey retrieval on the real model (release mode). The CI-sized check: 4K tokens with top-k attention.
final class PasskeyTests: XCTestCase {
    func testPromptHasTheExactLengthAndTheNeedleAtItsDepth() throws {
        let model = try GeneratorFixtures.model()
        let tokenizer = try ByteLevelBPETokenizer(gguf: model.weights.file)
        let task = PasskeyTask(tokenizer: tokenizer)
        for (length, depth) in [(2048, 0.1), (4096, 0.9), (700, 0.5)] {
            let ids = task.prompt(length: length, depth: depth, passkey: 12345)
            XCTAssertEqual(ids.count, length)
            let text = tokenizer.decode(ids)
            let needle = try XCTUnwrap(text.range(of: "The pass key is 12345."))
            let fraction = Double(text.distance(from: text.startIndex, to: needle.lowerBound)) / Double(text.count)
            XCTAssertEqual(fraction, depth, accuracy: 0.05)
            XCTAssertTrue(text.hasSuffix(PasskeyTask.question))
        }
        XCTAssertTrue(PasskeyTask.isCorrect(answer: " 12345. Remember", passkey: 12345))
        XCTAssertFalse(PasskeyTask.isCorrect(answer: " 1234", passkey: 12345))
        XCTAssertFalse(PasskeyTask.isCorrect(answer: " 123456", passkey: 12345))
    }

    /// At 4K tokens, top-k (default budget 2,048 + window 256, so about half the pages are dropped) finds every pass
    /// key that dense attention finds.
    func testTopKFindsThePasskeyAt4KTokensWhereDenseDoes() throws {
        let model = try GeneratorFixtures.model()
        let tokenizer = try ByteLevelBPETokenizer(gguf: model.weights.file)
        let task = PasskeyTask(tokenizer: tokenizer)
        var denseFound = 0
        for (index, depth) in [0.3, 0.7].enumerated() {
            let passkey = PasskeyTask.passkey(length: 4096, depthIndex: index, seed: 99)
            let prompt = task.prompt(length: 4088, depth: depth, passkey: passkey)
            func answer(_ attention: AttentionPolicy) throws -> String {
                tokenizer.decode(try LongContextRun(model: model, attention: attention).run(prompt: prompt, maxTokens: 8).tokens)
            }
            let dense = try answer(DenseAttention())
            let topk = try answer(TopKPageAttention(config: model.config, budget: 2048, window: 256))
            guard PasskeyTask.isCorrect(answer: dense, passkey: passkey) else { continue }
            denseFound += 1
            XCTAssertTrue(PasskeyTask.isCorrect(answer: topk, passkey: passkey),
                          "depth \(depth): dense found \(passkey), topk answered '\(topk)'")
        }
        XCTAssertGreaterThan(denseFound, 0, "dense attention found no pass key: the check would be empty")
    }
}
