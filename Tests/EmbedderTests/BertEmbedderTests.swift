import Embedder
import Foundation
import Index
import ModelKit
import XCTest

/// The real all-MiniLM-L6-v2 against the sentence-transformers reference (run with `swift test -c release`).
final class BertEmbedderTests: XCTestCase {
    private static let cache = EmbedderCache()

    private func embedder(_ precision: BertPrecision) throws -> BertEmbedder {
        try EmbedderFixtures.requireModel()
        return try Self.cache.embedder(precision)
    }

    func testFloat32MatchesReferencePerDimensionAndCosine() throws {
        let embedder = try embedder(.float32)
        let cases = try EmbedderFixtures.jsonLines("minilm/reference.jsonl", as: EmbedderFixtures.ReferenceCase.self)
        let vectors = try embedder.embed(cases.map(\.text))
        var worstDelta: Float = 0, worstCosine = 1.0
        for (testCase, vector) in zip(cases, vectors) {
            XCTAssertEqual(vector.count, 384)
            let delta = zip(vector, testCase.embedding).map { abs($0 - $1) }.max() ?? .infinity
            let similarity = cosine(vector, testCase.embedding)
            worstDelta = max(worstDelta, delta)
            worstCosine = min(worstCosine, similarity)
            XCTAssertLessThanOrEqual(delta, 1e-5, "text \(testCase.text.prefix(60).debugDescription)")
            XCTAssertGreaterThanOrEqual(similarity, 0.999999, "text \(testCase.text.prefix(60).debugDescription)")
        }
        print("fp32 vs reference: max |Δ| = \(worstDelta), 1 − min cosine = \(1 - worstCosine)")
    }

    func testBatchingDoesNotChangeResults() throws {
        let embedder = try embedder(.float32)
        let texts = ["short", "a somewhat longer sentence about SQLite write-ahead logging and checkpoints", "",
                     String(repeating: "many words in a long text ", count: 40)]
        let together = try embedder.embed(texts)
        for (text, vector) in zip(texts, together) {
            let alone = try embedder.embed([text])[0]
            XCTAssertLessThanOrEqual(zip(alone, vector).map { abs($0 - $1) }.max()!, 1e-6)
        }
        let norm = together[1].reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertEqual(norm, 1, accuracy: 1e-5)
    }

    func testInt8StaysCloseToReference() throws {
        let embedder = try embedder(.int8)
        XCTAssertEqual(embedder.identity.name, "all-MiniLM-L6-v2-int8")
        let cases = try EmbedderFixtures.jsonLines("minilm/reference.jsonl", as: EmbedderFixtures.ReferenceCase.self)
        let vectors = try embedder.embed(cases.map(\.text))
        var worstCosine = 1.0
        for (testCase, vector) in zip(cases, vectors) {
            let similarity = cosine(vector, testCase.embedding)
            worstCosine = min(worstCosine, similarity)
            XCTAssertGreaterThanOrEqual(similarity, 0.999, "text \(testCase.text.prefix(60).debugDescription)")
        }
        print("int8 vs reference: min cosine = \(worstCosine)")
    }

    func testNaNInALayerNormWeightIsAnErrorNamingTheFile() throws {
        try EmbedderFixtures.requireModel()
        let models = EmbedderFixtures.models
        let original = try models.path(of: KnownModels.embedderWeights)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rag-embedder-nan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let corrupt = scratch.appendingPathComponent("model.safetensors").path
        try FileManager.default.copyItem(atPath: original, toPath: corrupt)
        let file = try SafetensorsFile(path: original)
        let name = file.tensors["embeddings.LayerNorm.weight"] != nil ? "embeddings.LayerNorm.weight" : "bert.embeddings.LayerNorm.weight"
        let range = try XCTUnwrap(file.tensors[name]).dataRange
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: corrupt)))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let offset = 8 + headerLength + range.lowerBound + 4   // the second value
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
        XCTAssertThrowsError(try BertEmbedder(weightsPath: corrupt, vocabularyPath: models.path(of: KnownModels.embedderVocab),
                                              configPath: models.path(of: KnownModels.embedderConfig))) { error in
            XCTAssertEqual(error as? BertEmbedderError, .nonFiniteWeights(path: corrupt, tensor: "embeddings.LayerNorm.weight"))
            XCTAssertTrue(String(describing: error).contains(corrupt))
        }
    }

    func testIdentity() throws {
        let embedder = try embedder(.float32)
        XCTAssertEqual(embedder.identity, EmbedderIdentity(name: "all-MiniLM-L6-v2", modelSHA256: KnownModels.embedderWeights.sha256,
                                                           dimension: 384))
        XCTAssertEqual(embedder.tokenizer.maxTokens, 256)
    }
}

/// Loads each precision once per test run (the model takes a moment to read and quantize).
final class EmbedderCache: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [BertPrecision: BertEmbedder] = [:]

    func embedder(_ precision: BertPrecision) throws -> BertEmbedder {
        lock.lock()
        defer { lock.unlock() }
        if let existing = loaded[precision] { return existing }
        let created = try BertEmbedder(models: ModelLocator(), precision: precision)
        loaded[precision] = created
        return created
    }
}
