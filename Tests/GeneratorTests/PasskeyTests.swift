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

    func testTopKFindsThePasskeyAt4KTokens() throws {
        let model = try GeneratorFixtures.model()
        let tokenizer = try ByteLevelBPETokenizer(gguf: model.weights.file)
        let task = PasskeyTask(tokenizer: tokenizer)
        for (index, depth) in [0.2, 0.6].enumerated() {
            let passkey = PasskeyTask.passkey(length: 4096, depthIndex: index, seed: 99)
            let prompt = task.prompt(length: 4096, depth: depth, passkey: passkey)
            let attention = TopKPageAttention(config: model.config, budget: 1024, window: 256)
            let result = try LongContextRun(model: model, attention: attention).run(prompt: prompt, maxTokens: 7)
            let answer = tokenizer.decode(result.tokens)
            XCTAssertTrue(PasskeyTask.isCorrect(answer: answer, passkey: passkey), "depth \(depth): expected \(passkey), got '\(answer)'")
        }
    }
}
