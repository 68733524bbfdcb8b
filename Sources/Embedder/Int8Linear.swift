import CKernels
import Foundation

/// A dense layer with int8 weights (symmetric, one scale per output row and group of 32 inputs) and int16 activations
/// (symmetric, one scale per token, quantized on the fly), integer products in C kernels (AVX512-VNNI vpdpwssd /
/// AVX2 vpmaddwd / portable, see int8_gemm.c), fp32 group sums, bias and output.
/// int8 activations lose too much on this model's outlier channels (see docs/embedder.md).
final class Int8Linear: BertLinear, @unchecked Sendable {
    let inputSize: Int
    let outputSize: Int
    /// Inputs rounded up to a multiple of the weight group size (32).
    let paddedInputSize: Int
    let packedWeights: UnsafeMutablePointer<Int8>   // [ceil(out/16), k/2, 16, 2]
    let weightScales: [Float]                        // [k/32, ceil(out/16)·16]
    let bias: [Float]                                // [out]
    let kernel: Int32

    /// Quantizes `weight` ([out, in] row-major fp32) per output row and group of 32 inputs.
    init(weight: [Float], bias: [Float], outputSize: Int, inputSize: Int, kernel: Int32 = rag_int8_gemm_kernel()) {
        precondition(weight.count == outputSize * inputSize && bias.count == outputSize, "Int8Linear: weight/bias sizes")
        let quantized = Int8WeightQuantizer(weight: weight, outputSize: outputSize, inputSize: inputSize)
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.paddedInputSize = quantized.paddedInputSize
        self.bias = bias
        self.kernel = kernel
        // Scales transposed to [group, padded output] so kernels load 16 consecutive outputs.
        let paddedOutputs = (outputSize + 15) / 16 * 16
        var scales = [Float](repeating: 0, count: quantized.groupCount * paddedOutputs)
        for output in 0..<outputSize {
            for group in 0..<quantized.groupCount {
                scales[group * paddedOutputs + output] = quantized.scales[output * quantized.groupCount + group]
            }
        }
        weightScales = scales
        let packed = UnsafeMutablePointer<Int8>.allocate(capacity: paddedOutputs * quantized.paddedInputSize)
        quantized.values.withUnsafeBufferPointer { values in
            rag_int8_pack_weights(values.baseAddress, Int32(outputSize), Int32(inputSize), Int32(quantized.paddedInputSize), packed)
        }
        packedWeights = packed
    }

    deinit { packedWeights.deallocate() }

    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let activations = UnsafeMutablePointer<Int16>.allocate(capacity: rows * paddedInputSize)   // [rows, k]
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { activations.deallocate(); scales.deallocate() }
        rag_int16_quantize_rows(input, Int32(rows), Int32(inputSize), Int32(paddedInputSize), activations, scales)
        rag_int8_gemm(kernel, activations, scales, Int32(rows), Int32(paddedInputSize), packedWeights,
                      weightScales, bias, Int32(outputSize), output, Int32(outputSize))
    }
}

/// Symmetric int8 quantization of a weight matrix [out, in]: one scale per output row and group of 32 inputs,
/// scale = max|w| / 127 over the group, q = round-half-even(w · 127 / max).
public struct Int8WeightQuantizer {
    public static let groupSize = Int(RAG_INT8_GROUP_SIZE)
    public let values: [Int8]      // [out, in]
    public let scales: [Float]     // [out, groupCount]
    public let groupCount: Int
    public let paddedInputSize: Int

    public init(weight: [Float], outputSize: Int, inputSize: Int) {
        let group = Self.groupSize
        groupCount = (inputSize + group - 1) / group
        paddedInputSize = groupCount * group
        var values = [Int8](repeating: 0, count: outputSize * inputSize)
        var scales = [Float](repeating: 0, count: outputSize * groupCount)
        for row in 0..<outputSize {
            for g in 0..<groupCount {
                let columns = (g * group)..<min((g + 1) * group, inputSize)
                let maximum = columns.reduce(Float(0)) { max($0, abs(weight[row * inputSize + $1])) }
                let inverse: Float = maximum > 0 ? 127 / maximum : 0
                scales[row * groupCount + g] = maximum / 127
                for column in columns {
                    values[row * inputSize + column] = Int8((weight[row * inputSize + column] * inverse).rounded(.toNearestOrEven))
                }
            }
        }
        self.values = values
        self.scales = scales
    }
}

/// Scalar twin of the int8 path, from the definition on unpacked weights; tests compare the C kernels with it.
/// Activations: int16 per row, scale = max|x| / 32767. output[r, o] = sa[r] · Σ_g sw[o, g] · Σ_{k∈g} qa[r, k] · qw[o, k] + bias[o].
public enum ReferenceInt8Gemm {
    public static func apply(input: [Float], rows: Int, inputSize: Int,
                             weights: Int8WeightQuantizer, bias: [Float], outputSize: Int) -> [Float] {
        let group = Int8WeightQuantizer.groupSize
        var output = [Float](repeating: 0, count: rows * outputSize)
        for r in 0..<rows {
            let row = input[(r * inputSize)..<((r + 1) * inputSize)]
            let maximum = row.reduce(Float(0)) { max($0, abs($1)) }
            let inverse: Float = maximum > 0 ? 32767 / maximum : 0
            let scale = maximum / 32767
            let quantized = row.map { Int32(($0 * inverse).rounded(.toNearestOrEven)) }
            for o in 0..<outputSize {
                var sum: Float = 0
                for g in 0..<weights.groupCount {
                    var dot: Int32 = 0
                    for k in (g * group)..<min((g + 1) * group, inputSize) {
                        dot += quantized[k] * Int32(weights.values[o * inputSize + k])
                    }
                    sum += Float(dot) * weights.scales[o * weights.groupCount + g]
                }
                output[r * outputSize + o] = sum * scale + bias[o]
            }
        }
        return output
    }
}
