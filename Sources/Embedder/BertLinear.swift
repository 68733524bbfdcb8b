import Foundation
import ModelKit

/// A dense layer y = x · Wᵀ + b over a block of rows (tokens), W stored [out, in] row-major.
protocol BertLinear: Sendable {
    var inputSize: Int { get }
    var outputSize: Int { get }
    /// output[rows, outputSize] = input[rows, inputSize] · Wᵀ + bias.
    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>)
}

/// Owns a fixed-size Float buffer (weights, activations) with a stable address.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }
}

/// fp32 weights through `cblas_sgemm`.
struct Float32Linear: BertLinear {
    let inputSize: Int
    let outputSize: Int
    let weight: FloatBuffer   // [out, in]
    let bias: FloatBuffer     // [out]

    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            (output + row * outputSize).update(from: bias.pointer, count: outputSize)
        }
        BLAS.gemm(MatrixView(input, rows: rows, columns: inputSize), .asIs,
                  MatrixView(weight.pointer, rows: outputSize, columns: inputSize), .transposed,
                  into: MutableMatrixView(output, rows: rows, columns: outputSize), beta: 1)
    }
}
