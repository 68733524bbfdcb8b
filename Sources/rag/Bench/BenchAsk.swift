import Embedder
import Foundation
import Generator
import Index
import ModelKit
import Retrieval

/// `rag bench ask`: the latency of `rag ask` at scale, split into embedding, search, prefill and decode.
///
/// The index is synthetic so that any size can be measured: chunk texts cycle through the 2,000 benchmark
/// chunks (`--file`, default the fixtures), with an in-memory FTS5 table for the lexical side, and vectors
/// are random unit vectors (the dense search costs the same whatever the vectors hold). Query embedding and
/// generation use the real models. Prints JSON.
enum BenchAsk {
    static let questions = [
        "How do I enable write-ahead logging?",
        "What does PRAGMA synchronous do?",
        "Why does my query return SQLITE_BUSY?",
        "How large can a BLOB be?",
        "How do foreign key constraints work?",
    ]

    struct Scale: Encodable {
        let chunks: Int
        let embeddingMs: Double
        /// Hybrid search with its second stage (the default).
        let searchMs: Double
        /// The same without the second stage (`--no-rerank`).
        let searchNoRerankMs: Double
        let retrievalMs: Double
        enum CodingKeys: String, CodingKey {
            case chunks
            case embeddingMs = "embedding_ms"
            case searchMs = "search_ms"
            case searchNoRerankMs = "search_no_rerank_ms"
            case retrievalMs = "retrieval_ms"
        }
    }

    struct Answer: Encodable {
        let chunks: Int
        let contextTokens: Int
        let promptTokens: Int
        let embeddingMs: Double
        let searchMs: Double
        let prefillMs: Double
        let firstTokenMs: Double
        let decodeMs: Double
        let decodeTokens: Int
        enum CodingKeys: String, CodingKey {
            case chunks
            case contextTokens = "context_tokens"
            case promptTokens = "prompt_tokens"
            case embeddingMs = "embedding_ms"
            case searchMs = "search_ms"
            case prefillMs = "prefill_ms"
            case firstTokenMs = "time_to_first_token_ms"
            case decodeMs = "decode_ms"
            case decodeTokens = "decode_tokens"
        }
    }

    struct Report: Encodable {
        let retrieval: [Scale]
        let answer: Answer
        let threads: Int
        let note: String
    }

    static func run(_ invocation: Invocation) throws {
        let file = invocation.arguments.string("file") ?? BenchEmbed.defaultChunksFile
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandFailure(message: "cannot read \(file): pass the benchmark chunks with --file (../shared/fixtures/bench/chunks.jsonl)")
        }
        struct Line: Decodable { let text: String }
        let texts = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONDecoder().decode(Line.self, from: Data($0.utf8)).text
        }
        guard !texts.isEmpty else { throw CommandFailure(message: "\(file) holds no chunks") }

        let embedder = try BertEmbedder(models: DataPaths.models(invocation.global))
        var scales: [Scale] = []
        var answerCorpus: SyntheticCorpus?
        for size in [20_000, 100_000] {
            invocation.console.info("building a synthetic index of \(size) chunks")
            let corpus = try SyntheticCorpus(texts: texts, count: size, dimension: embedder.identity.dimension)
            let retriever = try HybridRetriever(corpus: corpus, embedder: embedder)
            _ = try retriever.search(questions[0], k: 8)  // warm-up
            var embedding: [Double] = [], search: [Double] = [], searchNoRerank: [Double] = []
            let reranker = retriever.settings.reranker
            for question in questions {
                let result = try retriever.search(question, k: 8)
                embedding.append(result.embedSeconds * 1000)
                search.append(result.searchSeconds * 1000)
                retriever.settings.reranker = nil
                searchNoRerank.append(try retriever.search(question, k: 8).searchSeconds * 1000)
                retriever.settings.reranker = reranker
            }
            scales.append(Scale(chunks: size, embeddingMs: BenchGenerate.median(embedding), searchMs: BenchGenerate.median(search),
                                searchNoRerankMs: BenchGenerate.median(searchNoRerank),
                                retrievalMs: BenchGenerate.median(zip(embedding, search).map(+))))
            if size == 20_000 { answerCorpus = corpus }
        }

        // Time to first token with a 1,500-token context over the 20,000-chunk index.
        invocation.console.info("answering over 20,000 chunks with a 1,500-token context")
        let generator = try Services.makeGenerator(invocation, needed: true)
        let retriever = try HybridRetriever(corpus: answerCorpus!, embedder: embedder)
        // The reading routes' prompt: the retrieved sources packed into 1,500 tokens, 32 tokens generated.
        let retrieval = try retriever.search(questions[1], k: 24)
        let context = ContextPacker(budget: 1500, countTokens: generator.countTokens).pack(retrieval.chunks)
        var generation = GenerationOptions()
        generation.maxTokens = 32
        let outcome = try generator.generate(GroundedPrompt.messages(question: questions[1], context: context),
                                             options: generation, onText: { _ in true })
        let contextTokens = context.sources.map { generator.countTokens(ContextPacker.render($0)) }.reduce(0, +)
        let embedMs = retrieval.embedSeconds * 1000, searchMs = retrieval.searchSeconds * 1000
        let answer = Answer(chunks: 20_000, contextTokens: contextTokens, promptTokens: outcome.promptTokens,
                            embeddingMs: embedMs, searchMs: searchMs, prefillMs: outcome.prefillSeconds * 1000,
                            firstTokenMs: (outcome.firstTokenSeconds ?? 0) * 1000 + embedMs + searchMs,
                            decodeMs: outcome.decodeSeconds * 1000, decodeTokens: outcome.generatedTokens)
        let report = Report(retrieval: scales, answer: answer, threads: ComputeThreads.defaultCount,
                            note: "synthetic vectors; texts from \((file as NSString).lastPathComponent); medians over \(questions.count) queries")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        invocation.console.result(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}

/// An in-memory corpus of `count` chunks: texts cycled from a list, random unit vectors, FTS5 in memory.
final class SyntheticCorpus: RetrievalCorpus {
    let texts: [String]
    let matrix: VectorMatrix
    let fts: SQLiteConnection

    init(texts: [String], count: Int, dimension: Int) throws {
        self.texts = texts
        var generator = SeededRandom(seed: 42)
        var values = [Float](repeating: 0, count: count * dimension)
        for row in 0..<count {
            var norm: Float = 0
            for column in 0..<dimension {
                let value = Float(generator.nextUnit() * 2 - 1)
                values[row * dimension + column] = value
                norm += value * value
            }
            let scale = 1 / norm.squareRoot()
            for column in 0..<dimension { values[row * dimension + column] *= scale }
        }
        matrix = VectorMatrix(ids: (1...Int64(count)).map { $0 }, values: values, dimension: dimension)
        fts = try SQLiteConnection(path: ":memory:", mode: .readWrite)
        try fts.execute("CREATE VIRTUAL TABLE chunk_text USING fts5(text)")
        try fts.transaction { () throws(IndexError) in
            let insert = try fts.prepare("INSERT INTO chunk_text(rowid, text) VALUES (?, ?)")
            for id in 1...count {
                insert.reset()
                insert.bind(1, Int64(id))
                insert.bind(2, texts[(id - 1) % texts.count])
                try insert.run()
            }
        }
    }

    func record(_ id: Int64) -> ChunkRecord {
        let text = texts[Int(id - 1) % texts.count]
        return ChunkRecord(id: id, documentId: id, path: "synthetic/\(id).txt", rootPath: "/synthetic", ordinal: 0,
                           heading: "", text: text, startLine: 1, endLine: 1, charStart: 0, charEnd: text.unicodeScalars.count)
    }

    func loadVectors() throws -> VectorMatrix { matrix }
    func chunks(ids: [Int64]) throws -> [Int64: ChunkRecord] { Dictionary(uniqueKeysWithValues: ids.map { ($0, record($0)) }) }
    func neighbours(of chunk: ChunkRecord) throws -> [ChunkRecord] { [] }
    func termStatistics(_ terms: [String]) throws -> TermStatistics {
        let query = try fts.prepare("SELECT count(*) FROM chunk_text WHERE chunk_text MATCH ?")
        var frequencies: [String: Int] = [:]
        for term in Set(terms) {
            query.reset()
            query.bind(1, LexicalQuery.quote(term))
            frequencies[term] = try query.step() ? Int(query.int64(0)) : 0
        }
        return TermStatistics(chunks: matrix.count, frequencies: frequencies)
    }
    func documents() throws -> [DocumentRef] { [] }
    func documentChunks(documentId: Int64) throws -> [ChunkRecord] { [record(documentId)] }

    func lexicalSearch(matchExpression: String, limit: Int) throws -> [(chunkId: Int64, bm25: Double)] {
        let query = try fts.prepare("SELECT rowid, bm25(chunk_text) FROM chunk_text WHERE chunk_text MATCH ? ORDER BY bm25(chunk_text) LIMIT ?")
        query.bind(1, matchExpression)
        query.bind(2, limit)
        var hits: [(chunkId: Int64, bm25: Double)] = []
        while try query.step() { hits.append((query.int64(0), query.double(1))) }
        return hits
    }
}
