import CKernels
import Embedder
import Foundation
import Index
import ModelKit
import XCTest

/// The SIMD / BLAS kernels of the embedder against their scalar twins, on synthetic data.
final class BertKernelsTests: XCTestCase {
    private var generator = SeededGenerator(seed: 7)

    private func randomFloats(_ count: Int, in range: ClosedRange<Float>) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &generator) }
    }

    func testGeluMatchesScalarErfTwin() {
        var values = randomFloats(1003, in: -9...9) + [0, -0, 1e-30, -5.5, 3.99, 4.01, 30, -30]
        var expected = values
        values.withUnsafeMutableBufferPointer { BertKernels.gelu($0.baseAddress!, count: $0.count) }
        expected.withUnsafeMutableBufferPointer { ReferenceBertKernels.gelu($0.baseAddress!, count: $0.count) }
        for (got, want) in zip(values, expected) {
            XCTAssertEqual(got, want, accuracy: 2e-6 * max(1, abs(want)))
        }
    }

    func testSoftmaxMatchesScalarTwin() {
        for columns in [1, 7, 8, 13, 64, 255] {
            let rows = 3
            var values = randomFloats(rows * columns, in: -30...30)
            values[0] = -80   // very negative scores underflow towards 0, never NaN
            var expected = values
            values.withUnsafeMutableBufferPointer { BertKernels.softmaxRows($0.baseAddress!, rows: rows, columns: columns) }
            expected.withUnsafeMutableBufferPointer { ReferenceBertKernels.softmaxRows($0.baseAddress!, rows: rows, columns: columns) }
            for (got, want) in zip(values, expected) {
                XCTAssertEqual(got, want, accuracy: 1e-6 * max(want, 1e-3), "columns \(columns)")
            }
            for row in 0..<rows {
                XCTAssertEqual(values[(row * columns)..<((row + 1) * columns)].reduce(0, +), 1, accuracy: 1e-5)
            }
        }
    }

    func testLayerNormWithResidualMatchesScalarTwin() {
        let rows = 5, width = 48
        var values = randomFloats(rows * width, in: -4...4)
        values[3] = 60   // an outlier channel
        let residual = randomFloats(rows * width, in: -1...1)
        let gamma = randomFloats(width, in: 0.5...1.5), beta = randomFloats(width, in: -0.2...0.2)
        var expected = values
        values.withUnsafeMutableBufferPointer { x in
            BertKernels.addLayerNorm(x.baseAddress!, residual: residual, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: 1e-12)
        }
        expected.withUnsafeMutableBufferPointer { x in
            ReferenceBertKernels.addLayerNorm(x.baseAddress!, residual: residual, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: 1e-12)
        }
        for (got, want) in zip(values, expected) { XCTAssertEqual(got, want, accuracy: 1e-5) }
    }

    func testBLASGemmMatchesScalarTwinWithTransposesAndStrides() {
        // A is a column slice of a wider buffer (stride 11), like one attention head of a [tokens, 3·hidden] matrix.
        let m = 5, n = 6, k = 7
        let wide = randomFloats(m * 11, in: -1...1)
        let bData = randomFloats(n * k, in: -1...1)      // [n, k]: used transposed
        let bPlain = randomFloats(k * n, in: -1...1)     // [k, n]
        let initial = randomFloats(m * n, in: -1...1)
        wide.withUnsafeBufferPointer { a in
            for (b, op) in [(bData, MatrixOperation.transposed), (bPlain, .asIs)] {
                b.withUnsafeBufferPointer { b in
                    let aView = MatrixView(a.baseAddress! + 2, rows: m, columns: k, rowStride: 11)
                    let bView = op == .transposed ? MatrixView(b.baseAddress!, rows: n, columns: k) : MatrixView(b.baseAddress!, rows: k, columns: n)
                    var got = initial, want = initial
                    got.withUnsafeMutableBufferPointer { c in
                        BLAS.gemm(aView, .asIs, bView, op, into: MutableMatrixView(c.baseAddress!, rows: m, columns: n), alpha: 0.5, beta: 1)
                    }
                    want.withUnsafeMutableBufferPointer { c in
                        ReferenceGemm.gemm(aView, .asIs, bView, op, into: MutableMatrixView(c.baseAddress!, rows: m, columns: n), alpha: 0.5, beta: 1)
                    }
                    for (x, y) in zip(got, want) { XCTAssertEqual(x, y, accuracy: 1e-5) }
                }
            }
        }
    }

    func testBLASGemmTransposedA() {
        let a = randomFloats(4 * 3, in: -1...1)   // stored [k=4, m=3], used transposed
        let b = randomFloats(4 * 2, in: -1...1)   // [k=4, n=2]
        var got = [Float](repeating: 0, count: 6), want = got
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let aView = MatrixView(a.baseAddress!, rows: 4, columns: 3), bView = MatrixView(b.baseAddress!, rows: 4, columns: 2)
                got.withUnsafeMutableBufferPointer { BLAS.gemm(aView, .transposed, bView, .asIs, into: MutableMatrixView($0.baseAddress!, rows: 3, columns: 2)) }
                want.withUnsafeMutableBufferPointer { ReferenceGemm.gemm(aView, .transposed, bView, .asIs, into: MutableMatrixView($0.baseAddress!, rows: 3, columns: 2)) }
            }
        }
        for (x, y) in zip(got, want) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }
}

