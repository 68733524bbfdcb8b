import Foundation

/// Turns texts into unit-length vectors. The BERT embedder implements it; tests use fakes.
public protocol TextEmbedder: AnyObject, Sendable {
    /// Stored in the index `meta` table; an index built by another embedder is refused.
    var identity: EmbedderIdentity { get }
    /// Embeds a batch; returns `texts.count` rows of `identity.dimension` floats, L2-normalized.
    func embed(_ texts: [String]) throws -> [[Float]]
}

/// Counts the tokens the embedder would see, including [CLS] and [SEP] (the chunker's bound).
public protocol EmbeddingTokenCounter: Sendable {
    func tokenCount(_ text: String) -> Int
    /// The embedder's input limit including special tokens (256 for all-MiniLM-L6-v2).
    var maxTokens: Int { get }
}

/// What identifies the vectors in an index: mixing vectors of two embedders is never allowed.
public struct EmbedderIdentity: Sendable, Equatable, Codable {
    public var name: String        // e.g. "all-MiniLM-L6-v2" or "all-MiniLM-L6-v2-int8"
    public var modelSHA256: String
    public var dimension: Int

    public init(name: String, modelSHA256: String, dimension: Int) {
        self.name = name
        self.modelSHA256 = modelSHA256
        self.dimension = dimension
    }
}
