import Foundation
import Index
import Retrieval

/// Embeds by hashing words into a small vector: texts sharing words are similar. Deterministic.
final class HashingEmbedder: TextEmbedder, @unchecked Sendable {
    let identity = EmbedderIdentity(name: "hashing-test", modelSHA256: "0", dimension: 16)

    func embed(_ texts: [String]) throws -> [[Float]] {
        texts.map { text in
            var vector = [Float](repeating: 0, count: 16)
            for word in LexicalQuery.terms(in: text) {
                var hash: UInt32 = 2166136261
                for byte in word.utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
                vector[Int(hash % 16)] += 1
            }
            let norm = sqrt(vector.reduce(0) { $0 + $1 * $1 })
            return norm > 0 ? vector.map { $0 / norm } : vector
        }
    }
}

/// Markdown files written to a temporary root, chunked one chunk per paragraph, kept in memory.
final class FileCorpus: RetrievalCorpus {
    var records: [ChunkRecord] = []
    let embedder: TextEmbedder
    let root: String

    init(embedder: TextEmbedder, root: String, documents: [(path: String, paragraphs: [String])]) throws {
        self.embedder = embedder
        self.root = root
        var id: Int64 = 1
        for (documentIndex, document) in documents.enumerated() {
            let text = document.paragraphs.joined(separator: "\n\n") + "\n"
            let url = URL(fileURLWithPath: root).appendingPathComponent(document.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            var line = 1
            for (ordinal, paragraph) in document.paragraphs.enumerated() {
                let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false).count
                records.append(ChunkRecord(id: id, documentId: Int64(documentIndex + 1), path: document.path, rootPath: root,
                                           ordinal: ordinal, heading: "", text: paragraph, startLine: line,
                                           endLine: line + lines - 1, charStart: 0, charEnd: paragraph.unicodeScalars.count))
                id += 1
                line += lines + 1
            }
        }
    }

    func loadVectors() throws -> VectorMatrix {
        let vectors = try embedder.embed(records.map(\.text))
        return VectorMatrix(ids: records.map(\.id), values: vectors.flatMap { $0 }, dimension: embedder.identity.dimension)
    }

    func chunks(ids: [Int64]) throws -> [Int64: ChunkRecord] {
        Dictionary(uniqueKeysWithValues: records.filter { ids.contains($0.id) }.map { ($0.id, $0) })
    }

    func lexicalSearch(matchExpression: String, limit: Int) throws -> [(chunkId: Int64, bm25: Double)] {
        let terms = matchExpression.components(separatedBy: " OR ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return records.compactMap { record -> (Int64, Double)? in
            let words = Set(LexicalQuery.terms(in: record.text))
            let hits = terms.filter(words.contains).count
            return hits > 0 ? (record.id, -Double(hits)) : nil
        }.sorted { $0.1 < $1.1 }.prefix(limit).map { (chunkId: $0.0, bm25: $0.1) }
    }

    func termStatistics(_ terms: [String]) throws -> TermStatistics {
        var frequencies: [String: Int] = [:]
        for term in Set(terms) {
            frequencies[term] = records.filter { Terms.of($0.heading + " " + $0.text).contains(term) }.count
        }
        return TermStatistics(chunks: records.count, frequencies: frequencies)
    }

    func neighbours(of chunk: ChunkRecord) throws -> [ChunkRecord] {
        records.filter { $0.documentId == chunk.documentId && abs($0.ordinal - chunk.ordinal) == 1 }
    }

    func documents() throws -> [DocumentRef] {
        var seen = Set<Int64>()
        return records.filter { seen.insert($0.documentId).inserted }.map { DocumentRef(id: $0.documentId, path: $0.path, rootPath: $0.rootPath) }
    }

    func documentChunks(documentId: Int64) throws -> [ChunkRecord] {
        records.filter { $0.documentId == documentId }.sorted { $0.ordinal < $1.ordinal }
    }
}

/// Replies with a fixed text word by word. `hold` makes every call wait until `release` (to fill the queue);
/// calls are counted.
final class GateGenerator: TextGenerator, @unchecked Sendable {
    let contextLength = 8192
    var reply = "The cache stores keys and values [1]."
    private let lock = NSLock()
    private var gate: DispatchSemaphore?
    private var callCount = 0
    let entered = DispatchSemaphore(value: 0)

    var calls: Int { lock.lock(); defer { lock.unlock() }; return callCount }

    func hold() { lock.lock(); gate = DispatchSemaphore(value: 0); lock.unlock() }
    func release() { lock.lock(); let open = gate; gate = nil; lock.unlock(); for _ in 0..<100 { open?.signal() } }

    func countTokens(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
    func promptTokens(_ messages: [PromptMessage]) -> Int { messages.map { countTokens($0.content) + 4 }.reduce(0, +) }

    func generate(_ messages: [PromptMessage], options: GenerationOptions, onText: (String) -> Bool) throws -> GenerationOutcome {
        lock.lock()
        callCount += 1
        let waiting = gate
        lock.unlock()
        entered.signal()
        _ = waiting?.wait(timeout: .now() + 20)
        var text = ""
        for word in reply.split(separator: " ").prefix(options.maxTokens) {
            let piece = (text.isEmpty ? "" : " ") + word
            text += piece
            if !onText(piece) { break }
        }
        return GenerationOutcome(text: text, promptTokens: promptTokens(messages), generatedTokens: countTokens(text),
                                 prefillSeconds: 0, decodeSeconds: 0)
    }
}
