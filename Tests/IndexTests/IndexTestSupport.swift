import Foundation
import Index
import XCTest

/// A deliberately pessimistic stand-in for the WordPiece counter: every whitespace-separated word costs
/// one token per 3 UTF-8 bytes (at least 1), plus [CLS] and [SEP]. Real WordPiece averages well under that.
final class FakeTokenCounter: EmbeddingTokenCounter, @unchecked Sendable {
    let maxTokens: Int
    private let lock = NSLock()
    private var bytesCounted = 0
    private var longest = 0

    init(maxTokens: Int = 256) { self.maxTokens = maxTokens }

    func tokenCount(_ text: String) -> Int {
        var tokens = 2
        var wordBytes = 0
        for byte in text.utf8 {
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D {
                if wordBytes > 0 { tokens += (wordBytes + 2) / 3 }
                wordBytes = 0
            } else {
                wordBytes += 1
            }
        }
        if wordBytes > 0 { tokens += (wordBytes + 2) / 3 }
        lock.lock()
        bytesCounted += text.utf8.count
        longest = max(longest, text.utf8.count)
        lock.unlock()
        return tokens
    }

    /// The longest text (in UTF-8 bytes) passed to `tokenCount` so far.
    var longestTextCounted: Int {
        lock.lock()
        defer { lock.unlock() }
        return longest
    }

    /// Total bytes passed to `tokenCount` so far.
    var totalBytesCounted: Int {
        lock.lock()
        defer { lock.unlock() }
        return bytesCounted
    }
}

/// A deterministic bag-of-words embedder: each lowercased word adds 1 to a hashed dimension; L2-normalized.
/// Texts sharing words get similar vectors, which is all the index tests need.
final class FakeEmbedder: TextEmbedder, @unchecked Sendable {
    let identity: EmbedderIdentity
    private let lock = NSLock()
    private var embeddedTexts = 0
    /// Pause per call, so a child process can be killed mid-ingest.
    let delayPerCall: TimeInterval

    init(name: String = "fake-hash", dimension: Int = 32, delayPerCall: TimeInterval = 0) {
        identity = EmbedderIdentity(name: name, modelSHA256: String(repeating: "ab", count: 32), dimension: dimension)
        self.delayPerCall = delayPerCall
    }

    var textsEmbedded: Int {
        lock.lock()
        defer { lock.unlock() }
        return embeddedTexts
    }

    func embed(_ texts: [String]) throws -> [[Float]] {
        if delayPerCall > 0 { Thread.sleep(forTimeInterval: delayPerCall) }
        lock.lock()
        embeddedTexts += texts.count
        lock.unlock()
        return texts.map(vector)
    }

    func vector(_ text: String) -> [Float] {
        var values = [Float](repeating: 0, count: identity.dimension)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            var hash: UInt64 = 14_695_981_039_346_656_037
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
            values[Int(hash % UInt64(identity.dimension))] += 1
        }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm == 0 { values[0] = 1; return values }
        return values.map { $0 / norm }
    }
}

/// A scratch folder removed at the end of the test.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("rag-index-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        chmod(path, 0o755)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `contents` at `relative` (creating folders); returns the absolute path.
    @discardableResult
    func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, bytes: Array(contents.utf8))
    }

    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    func subpath(_ relative: String) -> String { path + "/" + relative }
}

/// Sentences of ordinary English, for documents of any length.
enum SampleText {
    static let words = ["index", "query", "vector", "chunk", "heading", "paragraph", "sqlite", "table", "column", "search",
                        "embedding", "token", "document", "answer", "question", "folder", "file", "line", "cache", "model"]

    static func sentence(_ seed: Int, words count: Int = 12) -> String {
        var generator = SeededGenerator(seed: UInt64(seed))
        let body = (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: " ")
        return body.prefix(1).uppercased() + body.dropFirst() + "."
    }

    static func paragraph(_ seed: Int, sentences: Int = 5) -> String {
        (0..<sentences).map { sentence(seed * 31 + $0, words: 6 + ($0 * 7 + seed) % 14) }.joined(separator: " ")
    }
}

/// SplitMix64: reproducible pseudo-random numbers.
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

/// Chunking invariants every document must satisfy.
func assertChunkInvariants(_ chunks: [TextChunk], of document: LoadedDocument, counter: any EmbeddingTokenCounter,
                           file: StaticString = #filePath, line: UInt = #line) {
    let bytes = Array(document.text.utf8)
    let hasContent = bytes.contains { !($0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D || $0 == 0x0C) }
    guard hasContent else {
        XCTAssertTrue(chunks.isEmpty, "blank text gives no chunks", file: file, line: line)
        return
    }
    XCTAssertFalse(chunks.isEmpty, "text gives chunks", file: file, line: line)
    XCTAssertEqual(chunks.first?.byteRange.lowerBound, 0, "first chunk starts at 0", file: file, line: line)
    XCTAssertEqual(chunks.last?.byteRange.upperBound, bytes.count, "last chunk ends at the end", file: file, line: line)
    let scalars = Array(document.text.unicodeScalars)
    let lines = document.text.split(separator: "\n", omittingEmptySubsequences: false)
    for (index, chunk) in chunks.enumerated() {
        if index > 0 {
            let previous = chunks[index - 1]
            XCTAssertLessThanOrEqual(chunk.byteRange.lowerBound, previous.byteRange.upperBound, "no gap before chunk \(index)", file: file, line: line)
            XCTAssertGreaterThan(chunk.byteRange.lowerBound, previous.byteRange.lowerBound, "chunk \(index) starts after the previous one", file: file, line: line)
            XCTAssertGreaterThan(chunk.byteRange.upperBound, previous.byteRange.upperBound, "chunk \(index) ends after the previous one", file: file, line: line)
        }
        XCTAssertEqual(chunk.text, String(decoding: bytes[chunk.byteRange], as: UTF8.self), "text is the byte range", file: file, line: line)
        XCTAssertEqual(String(String.UnicodeScalarView(scalars[chunk.characterRange])), chunk.text, "character range matches", file: file, line: line)
        XCTAssertLessThanOrEqual(chunk.tokenCount, counter.maxTokens, "token bound", file: file, line: line)
        XCTAssertLessThanOrEqual(counter.tokenCount(chunk.text), counter.maxTokens, "recounted token bound", file: file, line: line)
        // The chunk's non-blank content is exactly lines start...end of the text.
        let content = chunk.text.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertGreaterThanOrEqual(chunk.lineRange.lowerBound, 1, file: file, line: line)
        XCTAssertLessThanOrEqual(chunk.lineRange.upperBound, lines.count, file: file, line: line)
        guard chunk.lineRange.lowerBound >= 1, chunk.lineRange.upperBound <= lines.count else { continue }
        let spanned = lines[(chunk.lineRange.lowerBound - 1)...(chunk.lineRange.upperBound - 1)].joined(separator: "\n")
        XCTAssertTrue(spanned.contains(content), "chunk \(index) lies within its lines", file: file, line: line)
        if let first = content.split(separator: "\n").first {
            XCTAssertTrue(lines[chunk.lineRange.lowerBound - 1].contains(first), "first line of chunk \(index) is its start line", file: file, line: line)
        }
        if let last = content.split(separator: "\n").last {
            XCTAssertTrue(lines[chunk.lineRange.upperBound - 1].contains(last), "last line of chunk \(index) is its end line", file: file, line: line)
        }
    }
}
