import CKernels
import Embedder
import Foundation
import Index
import XCTest

/// The C int8-weight kernels (each instruction set this CPU has) against the Swift scalar twin.
final class EmbedInt8KernelTests: XCTestCase {
    private var generator = SeededGenerator(seed: 11)

    private func randomFloats(_ count: Int, in range: ClosedRange<Float>) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &generator) }
    }

    /// Runs the C path (quantize, pack, gemm with `kernel`) on unpadded row-major data.
    private func cGemm(kernel: Int32, input: [Float], rows: Int, inputSize: Int,
                       weights: Int8WeightQuantizer, bias: [Float], outputSize: Int) -> [Float] {
        let padded = weights.paddedInputSize
        let paddedOutputs = (outputSize + 15) / 16 * 16
        var packed = [Int8](repeating: 0, count: paddedOutputs * padded)
        rag_int8_pack_weights(weights.values, Int32(outputSize), Int32(inputSize), Int32(padded), &packed)
        var scales = [Float](repeating: 0, count: weights.groupCount * paddedOutputs)
        for o in 0..<outputSize {
            for g in 0..<weights.groupCount { scales[g * paddedOutputs + o] = weights.scales[o * weights.groupCount + g] }
        }
        var activations = [Int16](repeating: 0, count: rows * padded)
        var activationScales = [Float](repeating: 0, count: rows)
        rag_int16_quantize_rows(input, Int32(rows), Int32(inputSize), Int32(padded), &activations, &activationScales)
        var output = [Float](repeating: .nan, count: rows * outputSize)
        rag_int8_gemm(kernel, activations, activationScales, Int32(rows), Int32(padded), packed, scales, bias,
                      Int32(outputSize), &output, Int32(outputSize))
        return output
    }

    func testEveryKernelMatchesTheScalarTwin() {
        let best = rag_int8_gemm_kernel()
        // Odd sizes: padded inputs, partial output blocks, row counts that leave micro-tile remainders.
        for (rows, inputSize, outputSize) in [(1, 32, 16), (7, 70, 37), (9, 384, 50), (4, 96, 48)] {
            let input = randomFloats(rows * inputSize, in: -3...3).enumerated().map { $0.offset == 5 ? 40 : $0.element }
            let weight = randomFloats(outputSize * inputSize, in: -0.2...0.2)
            let bias = randomFloats(outputSize, in: -1...1)
            let quantized = Int8WeightQuantizer(weight: weight, outputSize: outputSize, inputSize: inputSize)
            let expected = ReferenceInt8Gemm.apply(input: input, rows: rows, inputSize: inputSize,
                                                   weights: quantized, bias: bias, outputSize: outputSize)
            for kernel in 0...best {
                let got = cGemm(kernel: kernel, input: input, rows: rows, inputSize: inputSize,
                                weights: quantized, bias: bias, outputSize: outputSize)
                for (index, (x, y)) in zip(got, expected).enumerated() {
                    XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y)),
                                   "kernel \(kernel), \(rows)×\(inputSize)→\(outputSize), element \(index)")
                }
            }
        }
    }

    func testQuantizedProductIsCloseToFloat() {
        let rows = 3, inputSize = 64, outputSize = 16
        let input = randomFloats(rows * inputSize, in: -2...2)
        let weight = randomFloats(outputSize * inputSize, in: -0.5...0.5)
        let quantized = Int8WeightQuantizer(weight: weight, outputSize: outputSize, inputSize: inputSize)
        let got = ReferenceInt8Gemm.apply(input: input, rows: rows, inputSize: inputSize, weights: quantized,
                                          bias: [Float](repeating: 0, count: outputSize), outputSize: outputSize)
        // Rounding bound: each weight is off by at most half its group's step, each activation by half the row's step.
        let group = Int8WeightQuantizer.groupSize
        for r in 0..<rows {
            let activationStep = input[(r * inputSize)..<((r + 1) * inputSize)].map(abs).max()! / 32767
            for o in 0..<outputSize {
                var exact: Float = 0, bound: Float = 1e-5
                for k in 0..<inputSize {
                    exact += input[r * inputSize + k] * weight[o * inputSize + k]
                    let weightStep = quantized.scales[o * quantized.groupCount + k / group]
                    bound += abs(input[r * inputSize + k]) * weightStep / 2 + (abs(weight[o * inputSize + k]) + weightStep) * activationStep / 2
                }
                XCTAssertEqual(got[r * outputSize + o], exact, accuracy: bound)
                XCTAssertLessThan(bound, 0.2)   // steps of 1/127 and 1/32767 of the ranges, not coarser
            }
        }
    }

    func testActivationQuantizersAgree() {
        let rows = 3, k = 45, padded = 64
        let input = randomFloats(rows * k, in: -5...5) + []
        var fast = [Int16](repeating: 1, count: rows * padded), portable = fast
        var fastScales = [Float](repeating: 0, count: rows), portableScales = fastScales
        rag_int16_quantize_rows(input, Int32(rows), Int32(k), Int32(padded), &fast, &fastScales)
        rag_int16_quantize_rows_portable(input, Int32(rows), Int32(k), Int32(padded), &portable, &portableScales)
        XCTAssertEqual(fast, portable)
        XCTAssertEqual(fastScales, portableScales)
        XCTAssertEqual(fast[(k)..<padded].allSatisfy { $0 == 0 }, true)
        XCTAssertEqual(fast[0..<k].map { abs(Int($0)) }.max(), 32767)
    }
}
