import Foundation

/// Why the BERT embedder could not be built.
public enum BertEmbedderError: Error, Equatable, CustomStringConvertible {
    case unreadableConfig(path: String, detail: String)
    case unsupportedConfig(path: String, detail: String)
    case vocabularyMismatch(vocabularyPath: String, tokens: Int, configVocabulary: Int)
    /// A norm or embedding weight holds NaN or an infinity: every vector would be NaN.
    case nonFiniteWeights(path: String, tensor: String)
    /// The encoder produced NaN or infinite values (broken weights the load did not catch).
    case nonFiniteEmbedding(path: String)

    public var description: String {
        switch self {
        case .unreadableConfig(let path, let detail):
            return "cannot read BERT config \(path): \(detail) (run scripts/setup to restore it)"
        case .unsupportedConfig(let path, let detail):
            return "BERT config \(path) is not supported: \(detail)"
        case .vocabularyMismatch(let vocabularyPath, let tokens, let configVocabulary):
            return "vocabulary \(vocabularyPath) has \(tokens) tokens but config.json says \(configVocabulary): files of different models (run scripts/setup)"
        case .nonFiniteWeights(let path, let tensor):
            return "embedder weights \(path): tensor '\(tensor)' holds NaN or infinite values (the file is corrupt; run scripts/setup to restore it)"
        case .nonFiniteEmbedding(let path):
            return "embedder \(path) produced NaN or infinite values (the weights are corrupt; run scripts/setup to restore them)"
        }
    }
}

/// The fields of a Hugging Face BERT `config.json` that the encoder needs.
public struct BertConfig: Codable, Sendable, Equatable {
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var layerNormEpsilon: Float
    public var maxPositions: Int
    public var vocabularySize: Int
    public var typeVocabularySize: Int
    public var hiddenActivation: String
    public var positionEmbeddingType: String?

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case layerNormEpsilon = "layer_norm_eps"
        case maxPositions = "max_position_embeddings"
        case vocabularySize = "vocab_size"
        case typeVocabularySize = "type_vocab_size"
        case hiddenActivation = "hidden_act"
        case positionEmbeddingType = "position_embedding_type"
    }

    public var headSize: Int { hiddenSize / headCount }

    public init(hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int, layerNormEpsilon: Float,
                maxPositions: Int, vocabularySize: Int, typeVocabularySize: Int = 2, hiddenActivation: String = "gelu") {
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.layerNormEpsilon = layerNormEpsilon
        self.maxPositions = maxPositions
        self.vocabularySize = vocabularySize
        self.typeVocabularySize = typeVocabularySize
        self.hiddenActivation = hiddenActivation
        self.positionEmbeddingType = "absolute"
    }

    /// Reads and checks `config.json`.
    public static func load(path: String) throws(BertEmbedderError) -> BertConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadableConfig(path: path, detail: "file not found or unreadable")
        }
        let config: BertConfig
        do {
            config = try JSONDecoder().decode(BertConfig.self, from: data)
        } catch {
            throw .unreadableConfig(path: path, detail: "not a BERT config.json (missing or mistyped fields)")
        }
        try config.validate(path: path)
        return config
    }

    public func validate(path: String) throws(BertEmbedderError) {
        guard hiddenActivation == "gelu" else {
            throw .unsupportedConfig(path: path, detail: "hidden_act '\(hiddenActivation)' (only exact 'gelu')")
        }
        guard positionEmbeddingType == nil || positionEmbeddingType == "absolute" else {
            throw .unsupportedConfig(path: path, detail: "position_embedding_type '\(positionEmbeddingType ?? "")' (only 'absolute')")
        }
        guard hiddenSize > 0, headCount > 0, hiddenSize % headCount == 0, hiddenSize % 16 == 0 else {
            throw .unsupportedConfig(path: path, detail: "hidden_size \(hiddenSize) must be a multiple of 16 and of num_attention_heads \(headCount)")
        }
        guard layerCount > 0, intermediateSize > 0, maxPositions >= 2, vocabularySize > 0, typeVocabularySize > 0,
              layerNormEpsilon >= 0 else {
            throw .unsupportedConfig(path: path, detail: "sizes must be positive")
        }
    }
}
