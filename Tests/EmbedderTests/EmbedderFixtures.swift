import Embedder
import Foundation
import Index
import ModelKit
import XCTest

/// Fixture files and installed model files for the embedder tests.
enum EmbedderFixtures {
    /// `../shared/fixtures` relative to the package root.
    static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()   // IndexTests
            .deletingLastPathComponent()   // Tests
            .deletingLastPathComponent()   // package root
            .deletingLastPathComponent()
            .appendingPathComponent("shared/fixtures")
    }

    struct WordPieceCase: Decodable {
        let text: String
        let ids: [Int32]
    }

    struct ReferenceCase: Decodable {
        let text: String
        let ids: [Int32]
        let embedding: [Float]
    }

    static func jsonLines<T: Decodable>(_ relativePath: String, as type: T.Type) throws -> [T] {
        let url = directory.appendingPathComponent(relativePath)
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    static var models: ModelLocator { ModelLocator() }

    /// The installed vocabulary, or a skip naming what is missing.
    static func vocabularyPath() throws -> String {
        do { return try models.path(of: KnownModels.embedderVocab) } catch {
            throw XCTSkip("embedder vocabulary not installed (\(error)); run scripts/setup")
        }
    }

    static func requireModel() throws {
        for file in [KnownModels.embedderWeights, KnownModels.embedderVocab, KnownModels.embedderConfig] {
            do { _ = try models.path(of: file) } catch {
                throw XCTSkip("embedder model not installed (\(error)); run scripts/setup")
            }
        }
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}

/// SplitMix64: reproducible pseudo-random numbers (the same generator as IndexTests').
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
