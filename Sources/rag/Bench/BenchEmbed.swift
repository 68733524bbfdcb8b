import Embedder
import Foundation
import Index
import ModelKit

/// `rag bench embed [--file chunks.jsonl] [--int8] [--threads N]`: embedding throughput and query latency, as JSON.
enum BenchEmbed {
    /// The fixture chunks, if the repository sits next to `shared/fixtures`.
    static let defaultChunksFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/bench/chunks.jsonl").path

    static let queries = [
        "How do I enable write-ahead logging?",
        "what is a covering index",
        "Why does my query return SQLITE_BUSY?",
        "foreign key constraints",
        "How large can a BLOB be?",
        "vacuum into a new file",
        "What does PRAGMA synchronous do?",
    ]

    struct Chunk: Decodable { let text: String }

    struct Report: Encodable {
        let embedder: String
        let chunks: Int
        let tokens: Int
        let seconds: Double
        /// Process CPU time (all threads) of the timed run: comparable across runs on a shared machine.
        let cpuSeconds: Double
        let chunksPerSecond: Double
        let tokensPerSecond: Double
        let tokenizeSeconds: Double
        let threads: Int
        /// OpenBLAS kernel family in use (e.g. "SkylakeX", "Haswell").
        let blasCore: String
        /// Median and fastest of the short-query runs (the fastest is the least disturbed by other processes).
        let queryLatencyMs: Double
        let queryLatencyMinMs: Double
        let loadSeconds: Double
        let file: String
    }

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let threads = try arguments.int("threads", default: ComputeThreads.defaultCount, range: 1...256)!
        let path = arguments.string("file") ?? defaultChunksFile
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(message: "chunks file \(path) not found (pass --file PATH to a JSON-lines file of {\"text\": ...} objects)")
        }
        let texts = try readTexts(path)
        guard !texts.isEmpty else { throw CommandFailure(message: "chunks file \(path) has no chunks") }

        let loadStart = Date()
        let embedder = try BertEmbedder(models: DataPaths.models(invocation.global),
                                        precision: arguments.flag("int8") ? .int8 : .float32, threads: threads)
        let loadSeconds = Date().timeIntervalSince(loadStart)
        invocation.console.info("embedding \(texts.count) chunks with \(embedder.identity.name), \(threads) thread(s)…")

        // Warm-up (page in the weights, start the worker threads), then the timed run: tokenization + encoder.
        _ = try embedder.embed(Array(texts.prefix(4)))
        let start = Date()
        let cpuStart = processCPUSeconds()
        let inputs = embedder.tokenize(texts)
        let tokenizeSeconds = Date().timeIntervalSince(start)
        let vectors = embedder.embed(tokenized: inputs)
        let seconds = Date().timeIntervalSince(start)
        let cpuSeconds = processCPUSeconds() - cpuStart
        precondition(vectors.count == texts.count)
        let tokens = inputs.reduce(0) { $0 + $1.count }

        // Query latency: one short text at a time, median of several runs.
        var latencies: [Double] = []
        for _ in 0..<3 {
            for query in queries {
                let queryStart = Date()
                _ = try embedder.embed([query])
                latencies.append(Date().timeIntervalSince(queryStart) * 1000)
            }
        }
        latencies.sort()

        let report = Report(embedder: embedder.identity.name, chunks: texts.count, tokens: tokens, seconds: seconds, cpuSeconds: cpuSeconds,
                            chunksPerSecond: Double(texts.count) / seconds, tokensPerSecond: Double(tokens) / seconds,
                            tokenizeSeconds: tokenizeSeconds, threads: threads, blasCore: BLAS.coreName ?? "unknown",
                            queryLatencyMs: latencies[latencies.count / 2], queryLatencyMinMs: latencies[0], loadSeconds: loadSeconds, file: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        invocation.console.result(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// User + system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func readTexts(_ path: String) throws -> [String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CommandFailure(message: "cannot read chunks file \(path) as UTF-8 text")
        }
        var texts: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let chunk = try? JSONDecoder().decode(Chunk.self, from: Data(line.utf8)) else {
                throw CommandFailure(message: "chunks file \(path), line \(number + 1): expected a JSON object with a \"text\" string")
            }
            texts.append(chunk.text)
        }
        return texts
    }
}
