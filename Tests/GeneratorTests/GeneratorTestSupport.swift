import Foundation
import Generator
import ModelKit
import XCTest

/// Shared helpers: fixture paths (../shared/fixtures next to the package root) and the installed model.
enum GeneratorFixtures {
    static var fixturesDirectory: String {
        // #filePath = <root>/Tests/GeneratorTests/GeneratorTestSupport.swift
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/fixtures").path
    }

    static func jsonLines(_ relativePath: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: fixturesDirectory + "/" + relativePath, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// Path of the installed generator model, or an XCTSkip saying it is absent.
    static func modelPath() throws -> String {
        do {
            return try ModelLocator().path(of: KnownModels.generator)
        } catch {
            throw XCTSkip("generator model not installed (\(error)); run scripts/setup to enable this test")
        }
    }

    nonisolated(unsafe) private static var cachedModel: LlamaModel?

    /// The real model, loaded once per test process.
    static func model() throws -> LlamaModel {
        if let cachedModel { return cachedModel }
        let model = try LlamaModel(path: try modelPath())
        cachedModel = model
        return model
    }
}
