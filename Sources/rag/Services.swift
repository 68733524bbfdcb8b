import Embedder
import Foundation
import Generator
import Index
import ModelKit
import Retrieval

/// Builds the long-lived pieces commands share (index, embedder, retriever, generator) from the global options.
enum Services {
    /// The index opened for reading, with the embedder it was built with. Fails with one line
    /// telling the user to run `rag ingest` when there is no index or it is empty.
    static func openRetriever(_ invocation: Invocation, settings: RetrievalSettings = RetrievalSettings()) throws -> HybridRetriever {
        var settings = settings
        if invocation.arguments.flag("no-rerank") { settings.reranker = nil }
        let store = try IndexStore(path: DataPaths.databasePath(invocation.global), mode: .readOnly)
        guard let stored = try store.embedderIdentity(), try store.statistics().vectorCount > 0 else {
            throw CommandFailure(message: "the index at \(store.path) is empty: run 'rag ingest DIR' first")
        }
        // Embed queries with the encoder the index was built with (fp32 or int8).
        let embedder = try BertEmbedder(models: DataPaths.models(invocation.global), precision: BertPrecision(builtBy: stored))
        try store.checkEmbedder(embedder.identity)
        return try HybridRetriever(corpus: IndexStoreCorpus(store: store), embedder: embedder, settings: settings)
    }
}

extension Services {
    /// The generator behind answers. (`needed: false` for `--no-generate`, which never loads it.)
    static func makeGenerator(_ invocation: Invocation, needed: Bool) throws -> TextGenerator {
        guard needed else { return UnavailableGenerator() }
        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let loaded = try LoadedGenerator(path: path)
        // --attention on ask/chat; commands without the option get dense attention for short prompts.
        let chosen = try GeneratorOptions.attention(invocation.arguments)
        let explicit = invocation.arguments.string("attention") != nil
        return LocalGenerator(loaded: loaded, attention: try chosen.makePolicy(config: loaded.model.config),
                              longPromptAttention: explicit ? nil : try AttentionSettings(kind: .topk, window: nil, budget: nil, kvCache: chosen.kvCache)
                                  .makePolicy(config: loaded.model.config))
    }
}

/// Stands in where no text is generated (`--no-generate`): counts tokens roughly, never generates.
final class UnavailableGenerator: TextGenerator {
    let contextLength = 8192
    func countTokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 }
    func promptTokens(_ messages: [PromptMessage]) -> Int { messages.map { countTokens($0.content) }.reduce(0, +) }
    func generate(_ messages: [PromptMessage], options: Retrieval.GenerationOptions, onText: (String) -> Bool) throws -> GenerationOutcome {
        throw CommandFailure(message: "internal error: generation requested without a generator")
    }
}
