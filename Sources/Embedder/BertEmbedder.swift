import Foundation
import Index
import ModelKit

extension BertPrecision {
    /// What the INT8 encoder adds to the embedder's name in its identity (`all-MiniLM-L6-v2-int8`).
    static let int8NameSuffix = "-int8"

    /// The precision an index's vectors were made with, read from the identity stored with them.
    public init(builtBy identity: EmbedderIdentity) {
        self = identity.name.hasSuffix(Self.int8NameSuffix) ? .int8 : .float32
    }
}

/// all-MiniLM-L6-v2 sentence embeddings: WordPiece → BERT encoder → mean pooling → L2 normalization.
/// fp32 (matches sentence-transformers to ~1e-7) or int8 dense layers (`precision: .int8`, its own identity).
public final class BertEmbedder: TextEmbedder {
    public let identity: EmbedderIdentity
    public let tokenizer: WordPieceTokenizer
    public let config: BertConfig
    public let precision: BertPrecision
    /// The safetensors file the weights came from (named in errors).
    public let weightsPath: String
    private let encoder: BertEncoder
    /// Tokens per forward pass: bounds activation memory (~60 MB at 8192).
    public let maxBatchTokens: Int

    /// The installed model (`minilm/` in the models directory).
    public convenience init(models: ModelLocator, precision: BertPrecision = .float32,
                            threads: Int = ComputeThreads.defaultCount) throws {
        try self.init(weightsPath: models.path(of: KnownModels.embedderWeights),
                      vocabularyPath: models.path(of: KnownModels.embedderVocab),
                      configPath: models.path(of: KnownModels.embedderConfig),
                      precision: precision, threads: threads)
    }

    /// Explicit files: `model.safetensors`, `vocab.txt`, `config.json`.
    public init(weightsPath: String, vocabularyPath: String, configPath: String,
                precision: BertPrecision = .float32, threads: Int = ComputeThreads.defaultCount,
                maxBatchTokens: Int = 8192) throws {
        let config = try BertConfig.load(path: configPath)
        let vocabulary = try WordPieceVocabulary(path: vocabularyPath)
        guard vocabulary.tokens.count == config.vocabularySize else {
            throw BertEmbedderError.vocabularyMismatch(vocabularyPath: vocabularyPath, tokens: vocabulary.tokens.count,
                                                       configVocabulary: config.vocabularySize)
        }
        let file = try SafetensorsFile(path: weightsPath)
        let weights = try BertWeights(file: file, config: config, precision: precision)
        self.weightsPath = weightsPath
        self.config = config
        self.precision = precision
        self.tokenizer = WordPieceTokenizer(vocabulary: vocabulary, maxTokens: min(256, config.maxPositions))
        self.encoder = BertEncoder(weights: weights, threads: threads)
        self.maxBatchTokens = max(maxBatchTokens, tokenizer.maxTokens)
        self.identity = EmbedderIdentity(
            name: KnownModels.embedderName + (precision == .int8 ? BertPrecision.int8NameSuffix : ""),
            modelSHA256: KnownModels.embedderWeights.sha256,
            dimension: config.hiddenSize)
    }

    /// Throws `BertEmbedderError.nonFiniteEmbedding` rather than return a NaN vector.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        let vectors = embed(tokenized: tokenize(texts))
        guard vectors.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw BertEmbedderError.nonFiniteEmbedding(path: weightsPath) }
        return vectors
    }

    /// Model inputs of `texts` ([CLS] … [SEP], truncated), tokenized in parallel.
    public func tokenize(_ texts: [String]) -> [[Int32]] {
        var inputs = [[Int32]](repeating: [], count: texts.count)
        inputs.withUnsafeMutableBufferPointer { output in
            encoder.pool.parallelRanges(texts.count, parts: texts.count >= 8 ? encoder.threads : 1) { range in
                for index in range { output[index] = tokenizer.encodeForModel(texts[index]) }
            }
        }
        return inputs
    }

    /// Embeddings of already tokenized model inputs (each from `tokenizer.encodeForModel`: 1...256 ids of this vocabulary;
    /// anything else is a programming error and traps).
    /// Sequences are sorted by length and packed into forward passes of at most `maxBatchTokens` tokens.
    public func embed(tokenized inputs: [[Int32]]) -> [[Float]] {
        var results = [[Float]](repeating: [], count: inputs.count)
        let order = inputs.indices.sorted { inputs[$0].count > inputs[$1].count }
        var start = 0
        while start < order.count {
            var end = start, tokens = 0
            while end < order.count, end == start || tokens + inputs[order[end]].count <= maxBatchTokens {
                tokens += inputs[order[end]].count
                end += 1
            }
            let batch = Array(order[start..<end])
            for (index, vector) in zip(batch, encoder.embed(batch.map { inputs[$0] })) {
                results[index] = vector
            }
            start = end
        }
        return results
    }
}
