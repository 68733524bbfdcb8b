import Foundation
import Generator
import ModelKit
import XCTest

/// The engine against a plain fp64 transformer written out here, on a tiny random model
/// (GQA 4/2 heads, tied Q8_0 output, a Q4_1 matrix), through both the matvec (decode) and sgemm (prefill) paths.
final class TinyLlamaForwardTests: XCTestCase {
    private var path = ""
    private let spec = TinyLlamaFile()

    override func setUpWithError() throws { path = try spec.write() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    /// Reference forward in fp64 over dequantized weights; returns logits for every position.
    private func referenceLogits(_ tokens: [Int32], file: GGUFFile) throws -> [[Double]] {
        func weights(_ name: String) throws -> [Double] {
            let info = try XCTUnwrap(file.tensor(named: name))
            return try Dequantize.array(info.type, file.tensorBytes(info), count: info.elementCount).map(Double.init)
        }
        func matvec(_ w: [Double], _ x: [Double]) -> [Double] {
            let columns = x.count
            return (0..<(w.count / columns)).map { r in (0..<columns).reduce(0.0) { $0 + w[r * columns + $1] * x[$1] } }
        }
        func rmsNorm(_ x: [Double], _ w: [Double]) -> [Double] {
            let scale = 1 / ((x.reduce(0) { $0 + $1 * $1 } / Double(x.count)) + Double(spec.epsilon)).squareRoot()
            return zip(x, w).map { $0 * scale * $1 }
        }
        func rope(_ v: inout [Double], position: Int, heads: Int) {
            let d = spec.headDim
            for h in 0..<heads {
                for i in 0..<(d / 2) {
                    let angle = Double(position) * pow(Double(spec.ropeBase), -2 * Double(i) / Double(d))
                    let a = v[h * d + 2 * i], b = v[h * d + 2 * i + 1]
                    v[h * d + 2 * i] = a * cos(angle) - b * sin(angle)
                    v[h * d + 2 * i + 1] = a * sin(angle) + b * cos(angle)
                }
            }
        }
        let embedding = try weights("token_embd.weight")
        let d = spec.embedding, hd = spec.headDim
        var keys = [[[Double]]](repeating: [], count: spec.layers), values = keys
        var logits: [[Double]] = []
        for (position, token) in tokens.enumerated() {
            var x = Array(embedding[(Int(token) * d)..<(Int(token) * d + d)])
            for layer in 0..<spec.layers {
                let p = "blk.\(layer)."
                let n = rmsNorm(x, try weights(p + "attn_norm.weight"))
                var q = matvec(try weights(p + "attn_q.weight"), n)
                var k = matvec(try weights(p + "attn_k.weight"), n)
                let v = matvec(try weights(p + "attn_v.weight"), n)
                rope(&q, position: position, heads: spec.heads)
                rope(&k, position: position, heads: spec.kvHeads)
                keys[layer].append(k)
                values[layer].append(v)
                var attention = [Double](repeating: 0, count: d)
                for h in 0..<spec.heads {
                    let kv = h / (spec.heads / spec.kvHeads)
                    let scores = keys[layer].map { key in
                        (0..<hd).reduce(0.0) { $0 + q[h * hd + $1] * key[kv * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let total = e.reduce(0, +)
                    for j in 0..<e.count {
                        for i in 0..<hd { attention[h * hd + i] += e[j] / total * values[layer][j][kv * hd + i] }
                    }
                }
                x = zip(x, matvec(try weights(p + "attn_output.weight"), attention)).map(+)
                let n2 = rmsNorm(x, try weights(p + "ffn_norm.weight"))
                let g = matvec(try weights(p + "ffn_gate.weight"), n2)
                let u = matvec(try weights(p + "ffn_up.weight"), n2)
                let a = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                x = zip(x, matvec(try weights(p + "ffn_down.weight"), a)).map(+)
            }
            logits.append(matvec(embedding, rmsNorm(x, try weights("output_norm.weight"))))
        }
        return logits
    }

    func testPrefillAndDecodeMatchReference() throws {
        let file = try GGUFFile(path: path)
        let model = try LlamaModel(file: file, threads: 2, sgemmMinimumTokens: 4)
        XCTAssertEqual(model.config.groupSize, 2)
        XCTAssertEqual(model.config.headDimension, 16)
        let tokens: [Int32] = (0..<21).map { Int32(($0 * 7 + 3) % spec.vocabulary) }
        let expected = try referenceLogits(tokens, file: file)

        // Prefill in batches of 8 (sgemm path), logits at every position.
        let scratch = model.makeScratch(maxTokens: 8)
        let cache = model.makeCache(capacity: tokens.count)
        var start = 0
        while start < tokens.count {
            let end = min(tokens.count, start + 8)
            try model.forward(Array(tokens[start..<end]), cache: cache, scratch: scratch, attention: DenseAttention(), logits: .all)
            for row in 0..<(end - start) {
                let got = scratch.logits(row: row)
                for v in 0..<spec.vocabulary {
                    XCTAssertEqual(Double(got[v]), expected[start + row][v], accuracy: 1e-3, "prefill position \(start + row) token \(v)")
                }
            }
            start = end
        }
        // Decode one token at a time (quantized matvec path).
        let decodeCache = model.makeCache(capacity: tokens.count)
        let decodeScratch = model.makeScratch(maxTokens: 1)
        for (position, token) in tokens.enumerated() {
            try model.forward([token], cache: decodeCache, scratch: decodeScratch, attention: DenseAttention())
            let got = decodeScratch.lastLogits
            for v in 0..<spec.vocabulary {
                XCTAssertEqual(Double(got[v]), expected[position][v], accuracy: 1e-3, "decode position \(position) token \(v)")
            }
        }
    }

    func testConfigFromMetadata() throws {
        let config = try LlamaConfig(gguf: try GGUFFile(path: path))
        XCTAssertEqual(config, LlamaConfig(embeddingLength: 64, blockCount: 2, feedForwardLength: 96, headCount: 4, headCountKV: 2,
                                           ropeFreqBase: 10000, rmsNormEpsilon: 1e-5, contextLength: 256, vocabularySize: 40))
    }

    func testErrorsForBadInputs() throws {
        let model = try LlamaModel(file: try GGUFFile(path: path), threads: 1)
        let cache = model.makeCache(capacity: 4)
        let scratch = model.makeScratch(maxTokens: 4)
        XCTAssertThrowsError(try model.forward([], cache: cache, scratch: scratch, attention: DenseAttention()))
        XCTAssertThrowsError(try model.forward([40], cache: cache, scratch: scratch, attention: DenseAttention())) { error in
            XCTAssertEqual(error as? GeneratorError, .tokenOutOfRange(id: 40, vocabularySize: 40))
        }
        XCTAssertThrowsError(try model.forward([1, 2, 3, 4, 5], cache: cache, scratch: scratch, attention: DenseAttention())) { error in
            XCTAssertEqual(error as? GeneratorError, .contextOverflow(needed: 5, contextLength: 4))
        }
    }

    func testNaNNormWeightIsAnErrorNamingTheFile() throws {
        var corrupt = TinyLlamaFile()
        corrupt.nanTensor = "blk.1.ffn_norm.weight"
        let path = try corrupt.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try LlamaModel(file: try GGUFFile(path: path), threads: 1)) { error in
            XCTAssertEqual(error as? GeneratorError, .badTensor(path: path, name: "blk.1.ffn_norm.weight", reason: "holds NaN or infinite values"))
        }
    }

    func testNaNLogitsAtRunTimeAreAnError() throws {
        var corrupt = TinyLlamaFile()
        corrupt.nanTensor = "blk.0.attn_q.weight"   // matrices are not scanned at load: the forward pass meets the NaN
        let path = try corrupt.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let generation = TextGeneration(model: try LlamaModel(file: try GGUFFile(path: path), threads: 1))
        XCTAssertThrowsError(try generation.generate(prompt: [1, 2, 3], options: GenerationOptions(maxTokens: 4, stopTokens: []))) { error in
            XCTAssertEqual(error as? GeneratorError, .nonFiniteLogits(path: path))
        }
    }

    func testGenerationStopsAndIsDeterministic() throws {
        let model = try LlamaModel(file: try GGUFFile(path: path), threads: 2)
        let generation = TextGeneration(model: model)
        let sampled = GenerationOptions(maxTokens: 12, sampler: SamplerSettings(temperature: 1, seed: 9), stopTokens: [])
        let first = try generation.generate(prompt: [1, 2, 3], options: sampled)
        let second = try generation.generate(prompt: [1, 2, 3], options: sampled)
        XCTAssertEqual(first.tokens, second.tokens)
        XCTAssertEqual(first.tokens.count, 12)
        XCTAssertEqual(first.stopReason, .maxTokens)

        // Whatever greedy picks first, making it a stop token ends generation before any output.
        let greedy = try generation.generate(prompt: [1, 2, 3], options: GenerationOptions(maxTokens: 5, stopTokens: []))
        let stopped = try generation.generate(prompt: [1, 2, 3], options: GenerationOptions(maxTokens: 5, stopTokens: [greedy.tokens[0]]))
        XCTAssertEqual(stopped.tokens, [])
        XCTAssertEqual(stopped.stopReason, .stopToken)
        XCTAssertEqual(stopped.stopToken, greedy.tokens[0])

        // Streaming callback can cancel.
        var streamed: [Int32] = []
        let cancelled = try generation.generate(prompt: [1, 2, 3], options: GenerationOptions(maxTokens: 5, stopTokens: [])) { id in
            streamed.append(id)
            return streamed.count < 2
        }
        XCTAssertEqual(cancelled.stopReason, .cancelled)
        XCTAssertEqual(streamed, Array(greedy.tokens.prefix(2)))
    }

    func testContextOverflowErrorsOrTruncates() throws {
        let model = try LlamaModel(file: try GGUFFile(path: path), threads: 1)
        let generation = TextGeneration(model: model)
        let prompt = (0..<20).map { Int32($0 % 40) }
        XCTAssertThrowsError(try generation.generate(prompt: prompt, options: GenerationOptions(maxTokens: 10, stopTokens: [], contextLength: 24))) { error in
            XCTAssertEqual(error as? GeneratorError, .contextOverflow(needed: 30, contextLength: 24))
        }
        let truncated = try generation.generate(prompt: prompt, options: GenerationOptions(
            maxTokens: 10, stopTokens: [], contextLength: 24, overflow: .truncatePromptStart))
        XCTAssertEqual(truncated.droppedPromptTokens, 6)
        XCTAssertEqual(truncated.promptTokenCount, 14)
        XCTAssertEqual(truncated.tokens.count, 10)
    }
}
