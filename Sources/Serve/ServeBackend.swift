import Foundation
import Index
import Retrieval

/// What the API works with: a retriever for the fast requests (search, embeddings, sources) and a generation
/// queue whose workers each own an `AnswerEngine` (their own generator and retriever).
///
/// The fast lane has its own retriever behind a lock, so a search never waits for a generation to finish.
public final class ServeBackend: @unchecked Sendable {
    public let generation: GenerationQueue<AnswerEngine>
    private let retriever: HybridRetriever
    private let lock = NSLock()
    private let statusReport: @Sendable () -> StatusReport?
    private var cachedDocuments: [DocumentRef]?

    /// `retriever` serves search, embeddings and sources; `engines` become the generation workers; `status`
    /// reads the index statistics for `GET /api/status` (nil when there is no store, as in tests).
    public init(retriever: HybridRetriever, engines: [AnswerEngine], queueCapacity: Int,
                status: @escaping @Sendable () -> StatusReport? = { nil }) {
        self.retriever = retriever
        self.generation = GenerationQueue(contexts: engines, capacity: queueCapacity)
        self.statusReport = status
    }

    public var embedderName: String { retriever.embedder.identity.name }

    public func search(_ query: String, k: Int, mode: SearchMode) throws -> [SearchHit] {
        try locked { try retriever.search(query, k: k, mode: mode).chunks.map(SearchHit.init) }
    }

    /// Vectors of `texts` and the number of tokens the embedder read.
    public func embed(_ texts: [String]) throws -> (vectors: [[Float]], tokens: Int) {
        try locked {
            let vectors = try retriever.embedder.embed(texts)
            let counter = retriever.embedder as? EmbeddingTokenCounter
            let tokens = texts.reduce(0) { total, text in
                total + (counter.map { min($0.tokenCount(text), $0.maxTokens) } ?? text.split(whereSeparator: \.isWhitespace).count + 2)
            }
            return (vectors, tokens)
        }
    }

    public func status() -> StatusReport? { statusReport() }

    /// Every indexed document (listed once).
    public func documents() throws -> [DocumentRef] {
        try locked {
            if let cachedDocuments { return cachedDocuments }
            let listed = try retriever.corpus.documents()
            cachedDocuments = listed
            return listed
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
