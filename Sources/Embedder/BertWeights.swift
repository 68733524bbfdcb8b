import Foundation
import ModelKit

/// How the encoder's dense layers compute.
public enum BertPrecision: String, Sendable {
    /// fp32 weights and activations (cblas_sgemm): matches the reference to ~1e-7.
    case float32
    /// int8 weights (per output row) × int8 activations (per token), int32 accumulation: cosine ≥ 0.999.
    case int8
}

/// One transformer layer's parameters.
struct BertLayerWeights: Sendable {
    let queryKeyValue: any BertLinear      // [3·hidden, hidden]: query, key, value rows stacked
    let attentionOutput: any BertLinear    // [hidden, hidden]
    let attentionNormGamma: FloatBuffer, attentionNormBeta: FloatBuffer
    let intermediate: any BertLinear       // [intermediate, hidden]
    let output: any BertLinear             // [hidden, intermediate]
    let outputNormGamma: FloatBuffer, outputNormBeta: FloatBuffer
}

/// All parameters of a BERT encoder, read from a safetensors file (names without a `bert.` prefix).
struct BertWeights: Sendable {
    let config: BertConfig
    let wordEmbeddings: FloatBuffer       // [vocab, hidden]
    let positionEmbeddings: FloatBuffer   // [maxPositions, hidden]
    let tokenTypeEmbedding: FloatBuffer   // [hidden]: type 0
    let embeddingNormGamma: FloatBuffer, embeddingNormBeta: FloatBuffer
    let layers: [BertLayerWeights]

    init(file: SafetensorsFile, config: BertConfig, precision: BertPrecision) throws {
        let hidden = config.hiddenSize
        let inner = config.intermediateSize
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            let prefixed = "bert." + name
            return try file.floats(file.tensors[name] == nil && file.tensors[prefixed] != nil ? prefixed : name, shape: shape)
        }
        /// Embeddings and norms: checked to be finite, as one bad value there spoils every vector.
        func buffer(_ name: String, _ shape: [Int]) throws -> FloatBuffer { FloatBuffer(try finite(tensor(name, shape), name)) }
        func finite(_ values: [Float], _ name: String) throws -> [Float] {
            guard values.allSatisfy(\.isFinite) else { throw BertEmbedderError.nonFiniteWeights(path: file.path, tensor: name) }
            return values
        }
        func linear(_ name: String, out: Int, in: Int) throws -> any BertLinear {
            try Self.makeLinear(weight: tensor(name + ".weight", [out, `in`]), bias: tensor(name + ".bias", [out]),
                                out: out, in: `in`, precision: precision)
        }

        self.config = config
        wordEmbeddings = try buffer("embeddings.word_embeddings.weight", [config.vocabularySize, hidden])
        positionEmbeddings = try buffer("embeddings.position_embeddings.weight", [config.maxPositions, hidden])
        let tokenTypes = "embeddings.token_type_embeddings.weight"
        tokenTypeEmbedding = FloatBuffer(Array(try finite(tensor(tokenTypes, [config.typeVocabularySize, hidden]), tokenTypes).prefix(hidden)))
        embeddingNormGamma = try buffer("embeddings.LayerNorm.weight", [hidden])
        embeddingNormBeta = try buffer("embeddings.LayerNorm.bias", [hidden])

        var layers: [BertLayerWeights] = []
        for index in 0..<config.layerCount {
            let prefix = "encoder.layer.\(index)."
            let attention = prefix + "attention.self."
            var qkvWeight: [Float] = [], qkvBias: [Float] = []
            for part in ["query", "key", "value"] {
                qkvWeight += try tensor(attention + part + ".weight", [hidden, hidden])
                qkvBias += try tensor(attention + part + ".bias", [hidden])
            }
            layers.append(BertLayerWeights(
                queryKeyValue: Self.makeLinear(weight: qkvWeight, bias: qkvBias, out: 3 * hidden, in: hidden, precision: precision),
                attentionOutput: try linear(prefix + "attention.output.dense", out: hidden, in: hidden),
                attentionNormGamma: try buffer(prefix + "attention.output.LayerNorm.weight", [hidden]),
                attentionNormBeta: try buffer(prefix + "attention.output.LayerNorm.bias", [hidden]),
                intermediate: try linear(prefix + "intermediate.dense", out: inner, in: hidden),
                output: try linear(prefix + "output.dense", out: hidden, in: inner),
                outputNormGamma: try buffer(prefix + "output.LayerNorm.weight", [hidden]),
                outputNormBeta: try buffer(prefix + "output.LayerNorm.bias", [hidden])))
        }
        self.layers = layers
    }

    private static func makeLinear(weight: [Float], bias: [Float], out: Int, in: Int, precision: BertPrecision) -> any BertLinear {
        switch precision {
        case .float32:
            return Float32Linear(inputSize: `in`, outputSize: out, weight: FloatBuffer(weight), bias: FloatBuffer(bias))
        case .int8:
            return Int8Linear(weight: weight, bias: bias, outputSize: out, inputSize: `in`)
        }
    }
}
