import CKernels
import Foundation

/// A dense layer with int8 weights (symmetric, one scale per output row) and int8 activations
/// (symmetric, one scale per token row and group of 32 inputs, quantized on the fly: BERT's hidden states have a few
/// outlier channels, and a per-row scale would flatten every other channel), int32 accumulation per group in C kernels
/// (AVX512-VNNI / AVX2 / portable, see int8_gemm.c), fp32 group sums, bias and output.
final class Int8Linear: BertLinear, @unchecked Sendable {
    let inputSize: Int
    let outputSize: Int
    /// Inputs rounded up to a multiple of the activation group size (32).
    let paddedInputSize: Int
    let packedWeights: UnsafeMutablePointer<Int8>   // [ceil(out/16), k/4, 16, 4]
    let groupSums: [Int32]                           // [k/32, ceil(out/16)·16]: Σ over the group of w[o, k]
    let weightScales: [Float]                        // [out]
    let bias: [Float]                                // [out]
    let kernel: Int32

    /// Quantizes `weight` ([out, in] row-major fp32) per output row.
    init(weight: [Float], bias: [Float], outputSize: Int, inputSize: Int, kernel: Int32 = rag_int8_gemm_kernel()) {
        precondition(weight.count == outputSize * inputSize && bias.count == outputSize, "Int8Linear: weight/bias sizes")
        self.inputSize = inputSize
        self.outputSize = outputSize
        let group = Int(RAG_INT8_GROUP_SIZE)
        let paddedInputSize = (inputSize + group - 1) / group * group
        self.paddedInputSize = paddedInputSize
        self.bias = bias
        self.kernel = kernel
        let quantized = Int8Quantizer.quantizeRows(weight, rows: outputSize, columns: inputSize)
        weightScales = quantized.scales
        let blocks = (outputSize + 15) / 16
        let packed = UnsafeMutablePointer<Int8>.allocate(capacity: blocks * 16 * paddedInputSize)
        var sums = [Int32](repeating: 0, count: paddedInputSize / group * blocks * 16)
        quantized.values.withUnsafeBufferPointer { values in
            rag_int8_pack_weights(values.baseAddress, Int32(outputSize), Int32(inputSize), Int32(paddedInputSize), packed, &sums)
        }
        packedWeights = packed
        groupSums = sums
    }

    deinit { packedWeights.deallocate() }

    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let activations = UnsafeMutablePointer<UInt8>.allocate(capacity: rows * paddedInputSize)   // [rows, k]
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: rows * paddedInputSize / Int(RAG_INT8_GROUP_SIZE))
        defer { activations.deallocate(); scales.deallocate() }
        rag_int8_quantize_rows(input, Int32(rows), Int32(inputSize), Int32(paddedInputSize), activations, scales)
        rag_int8_gemm(kernel, activations, scales, Int32(rows), Int32(paddedInputSize), packedWeights, groupSums,
                      weightScales, bias, Int32(outputSize), output, Int32(outputSize))
    }
}

/// Symmetric int8 quantization of rows: scale = max|row| / 127, q = round-half-even(x · 127 / max).
public enum Int8Quantizer {
    public static func quantizeRows(_ values: [Float], rows: Int, columns: Int) -> (values: [Int8], scales: [Float]) {
        var quantized = [Int8](repeating: 0, count: rows * columns)
        var scales = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            let slice = values[(row * columns)..<((row + 1) * columns)]
            let maximum = slice.reduce(Float(0)) { max($0, abs($1)) }
            let inverse: Float = maximum > 0 ? 127 / maximum : 0
            scales[row] = maximum / 127
            for (offset, value) in slice.enumerated() {
                quantized[row * columns + offset] = Int8((value * inverse).rounded(.toNearestOrEven))
            }
        }
        return (quantized, scales)
    }
}

/// Scalar twin of the int8 path, written from the definition on unpacked weights; tests compare the C kernels with it:
/// activations quantized per row and group of `groupSize` inputs (`Int8Quantizer`), weights per output row,
/// output[r, o] = sw[o] · Σ_g sa[r, g] · Σ_{k∈g} qa[r, k] · qw[o, k] + bias[o].
public enum ReferenceInt8Gemm {
    public static let groupSize = Int(RAG_INT8_GROUP_SIZE)

    public static func apply(input: [Float], rows: Int, inputSize: Int,
                             weights: [Int8], weightScales: [Float], bias: [Float], outputSize: Int) -> [Float] {
        let groups = (inputSize + groupSize - 1) / groupSize
        var quantized = [Int8](repeating: 0, count: rows * inputSize)
        var scales = [Float](repeating: 0, count: rows * groups)
        for r in 0..<rows {
            for g in 0..<groups {
                let columns = (g * groupSize)..<min((g + 1) * groupSize, inputSize)
                let slice = Array(input[(r * inputSize + columns.lowerBound)..<(r * inputSize + columns.upperBound)])
                let part = Int8Quantizer.quantizeRows(slice, rows: 1, columns: slice.count)
                scales[r * groups + g] = part.scales[0]
                for (offset, value) in part.values.enumerated() { quantized[r * inputSize + columns.lowerBound + offset] = value }
            }
        }
        var output = [Float](repeating: 0, count: rows * outputSize)
        for r in 0..<rows {
            for o in 0..<outputSize {
                var sum: Float = 0
                for g in 0..<groups {
                    var dot: Int32 = 0
                    for k in (g * groupSize)..<min((g + 1) * groupSize, inputSize) {
                        dot += Int32(quantized[r * inputSize + k]) * Int32(weights[o * inputSize + k])
                    }
                    sum += Float(dot) * scales[r * groups + g]
                }
                output[r * outputSize + o] = sum * weightScales[o] + bias[o]
            }
        }
        return output
    }
}
