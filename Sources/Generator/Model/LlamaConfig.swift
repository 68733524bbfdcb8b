import Foundation
import ModelKit

/// Hyper-parameters of a llama-architecture model, read from GGUF metadata (`<arch>.*` keys).
public struct LlamaConfig: Codable, Equatable, Sendable {
    public var architecture: String
    /// d_model.
    public var embeddingLength: Int
    public var blockCount: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var headCountKV: Int
    public var headDimension: Int
    /// Leading dimensions of each head that RoPE rotates (the rest pass through).
    public var ropeDimensionCount: Int
    public var ropeFreqBase: Float
    public var rmsNormEpsilon: Float
    public var contextLength: Int
    public var vocabularySize: Int

    /// Query heads per KV head (grouped-query attention).
    public var groupSize: Int { headCount / headCountKV }
    public var queryWidth: Int { headCount * headDimension }
    public var kvWidth: Int { headCountKV * headDimension }

    public init(architecture: String = "llama", embeddingLength: Int, blockCount: Int, feedForwardLength: Int,
                headCount: Int, headCountKV: Int, ropeDimensionCount: Int? = nil, ropeFreqBase: Float = 10000,
                rmsNormEpsilon: Float = 1e-5, contextLength: Int, vocabularySize: Int) {
        self.architecture = architecture
        self.embeddingLength = embeddingLength
        self.blockCount = blockCount
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.headDimension = headCount > 0 ? embeddingLength / headCount : 0
        self.ropeDimensionCount = ropeDimensionCount ?? self.headDimension
        self.ropeFreqBase = ropeFreqBase
        self.rmsNormEpsilon = rmsNormEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Reads `general.architecture` and the `<arch>.*` keys; the vocabulary size falls back to the token list or the embedding tensor.
    public init(gguf: GGUFFile) throws(GeneratorError) {
        let path = gguf.path
        guard let arch = gguf.string("general.architecture") else {
            throw .badConfig(path: path, reason: "metadata key general.architecture is missing")
        }
        guard arch == "llama" else { throw .unsupportedArchitecture(path: path, architecture: arch) }
        func required(_ key: String) throws(GeneratorError) -> Int {
            guard let value = gguf.int("\(arch).\(key)"), value > 0 else {
                throw .badConfig(path: path, reason: "metadata key \(arch).\(key) is missing or not a positive integer")
            }
            return value
        }
        let embedding = try required("embedding_length")
        let heads = try required("attention.head_count")
        let vocabulary = gguf.int("\(arch).vocab_size")
            ?? gguf.stringArray("tokenizer.ggml.tokens")?.count
            ?? gguf.tensor(named: "token_embd.weight")?.rowCount ?? 0
        self.init(architecture: arch,
                  embeddingLength: embedding,
                  blockCount: try required("block_count"),
                  feedForwardLength: try required("feed_forward_length"),
                  headCount: heads,
                  headCountKV: gguf.int("\(arch).attention.head_count_kv") ?? heads,
                  ropeDimensionCount: gguf.int("\(arch).rope.dimension_count"),
                  ropeFreqBase: gguf.float("\(arch).rope.freq_base") ?? 10000,
                  rmsNormEpsilon: gguf.float("\(arch).attention.layer_norm_rms_epsilon") ?? 1e-5,
                  contextLength: gguf.int("\(arch).context_length") ?? 2048,
                  vocabularySize: vocabulary)
        try validate(path: path)
    }

    /// Rejects shapes the forward pass cannot run.
    public func validate(path: String) throws(GeneratorError) {
        func fail(_ reason: String) -> GeneratorError { .badConfig(path: path, reason: reason) }
        guard headCount > 0, headCountKV > 0, headCount % headCountKV == 0 else {
            throw fail("head_count \(headCount) is not a multiple of head_count_kv \(headCountKV)")
        }
        guard embeddingLength % headCount == 0 else {
            throw fail("embedding_length \(embeddingLength) is not a multiple of head_count \(headCount)")
        }
        guard headDimension % 2 == 0, ropeDimensionCount % 2 == 0, ropeDimensionCount <= headDimension else {
            throw fail("rope dimension \(ropeDimensionCount) does not fit head dimension \(headDimension)")
        }
        guard vocabularySize > 0 else { throw fail("vocabulary size is unknown") }
        guard ropeFreqBase > 0, rmsNormEpsilon >= 0 else { throw fail("rope.freq_base or rms epsilon is invalid") }
    }
}
