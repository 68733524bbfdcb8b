import Foundation

/// What an ingest of some folders would produce, without an embedder or an index:
/// walks, reads, loads and chunks every file and reports counts and the time of each stage.
/// (`rag ingest --dry-run`; also the cheap half of the ingest benchmark.)
public struct IngestPreview {
    public let chunker: Chunker
    public let loader: DocumentLoader
    public let maxFileBytes: Int64
    public let followLinks: Bool

    public init(counter: any EmbeddingTokenCounter, maxFileBytes: Int64 = IngestOptions().maxFileBytes, followLinks: Bool = false,
                loader: DocumentLoader = DocumentLoader()) {
        self.chunker = Chunker(counter: counter)
        self.loader = loader
        self.maxFileBytes = maxFileBytes
        self.followLinks = followLinks
    }

    public struct Result: Sendable {
        public var documents = 0
        public var chunks = 0
        /// Embedder tokens of all chunks, [CLS]/[SEP] included.
        public var tokens = 0
        public var bytes: Int64 = 0
        public var skipped: [(root: String, file: SkippedFile)] = []
        public var documentsByFormat: [String: Int] = [:]
        /// walk, read (+ SHA-256, as the ingest does), parse and chunk are filled; embed and write stay 0.
        public var timings = IngestTimings()
        public var seconds = 0.0
    }

    public func run(roots arguments: [String]) throws(IndexError) -> Result {
        let start = Date()
        var result = Result()
        for argument in arguments {
            // A file is walked as the one file of its folder.
            let resolved = try IngestPipeline.resolveArgument(argument)
            let root = resolved.isDirectory ? resolved.path : (resolved.path as NSString).deletingLastPathComponent
            let scope = resolved.isDirectory ? "" : (resolved.path as NSString).lastPathComponent
            let walkStart = Date()
            let walk = FileWalker(maxFileBytes: maxFileBytes, followLinks: followLinks).walk(root: root, scope: scope)
            result.timings.walk += Date().timeIntervalSince(walkStart)
            result.skipped += walk.skipped.map { (root, $0) }
            for file in walk.files {
                let name = (file.relativePath as NSString).lastPathComponent
                if case .knownBinary(let type) = FileKinds.kind(ofFileNamed: name) {
                    result.skipped.append((root, SkippedFile(path: file.relativePath, reason: .unsupportedType(type))))
                    continue
                }
                let readStart = Date()
                let opening = SourceFile.load(path: file.absolutePath, limit: maxFileBytes, root: followLinks ? nil : root)
                guard case .opened(let source) = opening else {
                    if case .skipped(let reason) = opening { result.skipped.append((root, SkippedFile(path: file.relativePath, reason: reason))) }
                    continue
                }
                _ = SHA256.digest(of: source.bytes)
                result.timings.read += Date().timeIntervalSince(readStart)
                let parseStart = Date()
                let outcome = loader.load(name: name, file: source, limit: maxFileBytes)
                result.timings.parse += Date().timeIntervalSince(parseStart)
                guard case .loaded(let document) = outcome else {
                    if case .skipped(let reason) = outcome { result.skipped.append((root, SkippedFile(path: file.relativePath, reason: reason))) }
                    continue
                }
                let chunkStart = Date()
                let chunks = chunker.chunk(document)
                result.timings.chunk += Date().timeIntervalSince(chunkStart)
                result.documents += 1
                result.bytes += file.size
                result.chunks += chunks.count
                result.tokens += chunks.reduce(0) { $0 + $1.tokenCount }
                result.documentsByFormat[document.format.rawValue, default: 0] += 1
            }
        }
        result.seconds = Date().timeIntervalSince(start)
        return result
    }
}
