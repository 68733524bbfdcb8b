import CKernels
import Foundation

/// A dense layer with int8 weights (symmetric, one scale per output row) and int8 activations
/// (symmetric, one scale per token row, quantized on the fly), int32 accumulation in C kernels
/// (AVX512-VNNI / AVX2 / portable, see int8_gemm.c), fp32 bias and output.
final class Int8Linear: BertLinear, @unchecked Sendable {
    let inputSize: Int
    let outputSize: Int
    /// Inputs rounded up to a multiple of 4 (one VNNI group).
    let paddedInputSize: Int
    let packedWeights: UnsafeMutablePointer<Int8>   // [ceil(out/16), k/4, 16, 4]
    let rowSums: [Int32]                             // [ceil(out/16)·16]: Σ_k w[o, k]
    let weightScales: [Float]                        // [out]
    let bias: [Float]                                // [out]
    let kernel: Int32

    /// Quantizes `weight` ([out, in] row-major fp32) per output row.
    init(weight: [Float], bias: [Float], outputSize: Int, inputSize: Int, kernel: Int32 = rag_int8_gemm_kernel()) {
        precondition(weight.count == outputSize * inputSize && bias.count == outputSize, "Int8Linear: weight/bias sizes")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.paddedInputSize = (inputSize + 3) / 4 * 4
        self.bias = bias
        self.kernel = kernel
        let quantized = Int8Quantizer.quantizeRows(weight, rows: outputSize, columns: inputSize)
        weightScales = quantized.scales
        let blocks = (outputSize + 15) / 16
        var sums = [Int32](repeating: 0, count: blocks * 16)
        for row in 0..<outputSize {
            sums[row] = quantized.values[(row * inputSize)..<((row + 1) * inputSize)].reduce(0) { $0 + Int32($1) }
        }
        rowSums = sums
        packedWeights = .allocate(capacity: blocks * 16 * paddedInputSize)
        quantized.values.withUnsafeBufferPointer { values in
            rag_int8_pack_weights(values.baseAddress, Int32(outputSize), Int32(inputSize), Int32(paddedInputSize), packedWeights)
        }
    }

    deinit { packedWeights.deallocate() }

    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let activations = UnsafeMutablePointer<UInt8>.allocate(capacity: rows * paddedInputSize)   // [rows, k]
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { activations.deallocate(); scales.deallocate() }
        rag_int8_quantize_rows(input, Int32(rows), Int32(inputSize), Int32(paddedInputSize), activations, scales)
        rag_int8_gemm(kernel, activations, scales, Int32(rows), Int32(paddedInputSize), packedWeights, rowSums,
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

/// Scalar twin of the int8 path (quantize activations per row, integer dot products, scale, bias),
/// written from the definition on unpacked weights; tests compare the C kernels against it.
public enum ReferenceInt8Gemm {
    /// output[r, o] = sa[r] · sw[o] · Σ_k qa[r,k] · qw[o,k] + bias[o], with qa, sa from `Int8Quantizer` on `input`.
    public static func apply(input: [Float], rows: Int, inputSize: Int,
                             weights: [Int8], weightScales: [Float], bias: [Float], outputSize: Int) -> [Float] {
        let activations = Int8Quantizer.quantizeRows(input, rows: rows, columns: inputSize)
        var output = [Float](repeating: 0, count: rows * outputSize)
        for r in 0..<rows {
            for o in 0..<outputSize {
                var dot: Int32 = 0
                for k in 0..<inputSize {
                    dot += Int32(activations.values[r * inputSize + k]) * Int32(weights[o * inputSize + k])
                }
                output[r * outputSize + o] = Float(dot) * (activations.scales[r] * weightScales[o]) + bias[o]
            }
        }
        return output
    }
}
