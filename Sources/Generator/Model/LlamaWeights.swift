import Foundation
import ModelKit

/// The weights of one transformer block. Matrices stay in their stored (quantized) form; norms are fp32 copies.
public struct LlamaLayerWeights: Sendable {
    public let attentionNorm: [Float]      // [d_model]
    public let query: QuantizedMatrix      // [nHeads·headDim, d_model]
    public let key: QuantizedMatrix        // [nKVHeads·headDim, d_model]
    public let value: QuantizedMatrix      // [nKVHeads·headDim, d_model]
    public let attentionOutput: QuantizedMatrix  // [d_model, nHeads·headDim]
    public let feedForwardNorm: [Float]    // [d_model]
    public let gate: QuantizedMatrix       // [ffn, d_model]
    public let up: QuantizedMatrix         // [ffn, d_model]
    public let down: QuantizedMatrix       // [d_model, ffn]
}

/// All weights of a llama model, viewing the GGUF mapping (which this object keeps alive).
public final class LlamaWeights: Sendable {
    public let file: GGUFFile
    public let tokenEmbedding: QuantizedMatrix  // [vocab, d_model]
    public let layers: [LlamaLayerWeights]
    public let outputNorm: [Float]              // [d_model]
    /// `output.weight`, or the token embedding when the output is tied.
    public let output: QuantizedMatrix          // [vocab, d_model]

    public init(file: GGUFFile, config: LlamaConfig) throws(GeneratorError) {
        self.file = file
        let d = config.embeddingLength
        func matrix(_ name: String, rows: Int, columns: Int) throws(GeneratorError) -> QuantizedMatrix {
            guard let info = file.tensor(named: name) else {
                throw .badTensor(path: file.path, name: name, reason: "is missing")
            }
            guard info.dimensions == [columns, rows] else {
                throw .badTensor(path: file.path, name: name, reason: "has shape \(info.dimensions), expected [\(columns), \(rows)]")
            }
            guard Dequantize.supported.contains(info.type) else {
                throw .badTensor(path: file.path, name: name, reason: "has unsupported type \(info.type)")
            }
            return QuantizedMatrix(type: info.type, rows: rows, columns: columns, base: file.tensorBytes(info).baseAddress!)
        }
        func vector(_ name: String, count: Int) throws(GeneratorError) -> [Float] {
            guard let info = file.tensor(named: name) else {
                throw .badTensor(path: file.path, name: name, reason: "is missing")
            }
            guard info.elementCount == count, info.dimensions.count == 1 else {
                throw .badTensor(path: file.path, name: name, reason: "has shape \(info.dimensions), expected [\(count)]")
            }
            let values: [Float]
            do {
                values = try Dequantize.array(info.type, file.tensorBytes(info), count: count)
            } catch {
                throw .badTensor(path: file.path, name: name, reason: error.description)
            }
            guard values.allSatisfy(\.isFinite) else { throw .badTensor(path: file.path, name: name, reason: "holds NaN or infinite values") }
            return values
        }
        tokenEmbedding = try matrix("token_embd.weight", rows: config.vocabularySize, columns: d)
        guard Self.isFinite(tokenEmbedding) else {
            throw .badTensor(path: file.path, name: "token_embd.weight", reason: "holds NaN or infinite values")
        }
        var layers: [LlamaLayerWeights] = []
        for i in 0..<config.blockCount {
            let p = "blk.\(i)."
            layers.append(LlamaLayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", count: d),
                query: try matrix(p + "attn_q.weight", rows: config.queryWidth, columns: d),
                key: try matrix(p + "attn_k.weight", rows: config.kvWidth, columns: d),
                value: try matrix(p + "attn_v.weight", rows: config.kvWidth, columns: d),
                attentionOutput: try matrix(p + "attn_output.weight", rows: d, columns: config.queryWidth),
                feedForwardNorm: try vector(p + "ffn_norm.weight", count: d),
                gate: try matrix(p + "ffn_gate.weight", rows: config.feedForwardLength, columns: d),
                up: try matrix(p + "ffn_up.weight", rows: config.feedForwardLength, columns: d),
                down: try matrix(p + "ffn_down.weight", rows: d, columns: config.feedForwardLength)))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight", count: d)
        if file.tensor(named: "output.weight") != nil {
            output = try matrix("output.weight", rows: config.vocabularySize, columns: d)
        } else {
            output = tokenEmbedding
        }
    }

    /// Every value of `matrix` is finite (checked a block of rows at a time).
    static func isFinite(_ matrix: QuantizedMatrix) -> Bool {
        let rowsPerBlock = max(1, 65_536 / max(1, matrix.columns))
        var buffer = [Float](repeating: 0, count: rowsPerBlock * matrix.columns)
        var start = 0
        while start < matrix.rows {
            let end = min(matrix.rows, start + rowsPerBlock)
            let finite = buffer.withUnsafeMutableBufferPointer { values in
                matrix.dequantizeRows(start..<end, into: values.baseAddress!)
                return values[0..<((end - start) * matrix.columns)].allSatisfy(\.isFinite)
            }
            if !finite { return false }
            start = end
        }
        return true
    }
}
