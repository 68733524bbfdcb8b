import CKernels
import Foundation

/// The element-wise and row-wise kernels of the BERT encoder: GELU and softmax in C (AVX2/FMA, embedder_math.c),
/// LayerNorm with 16-lane SIMD. `ReferenceBertKernels` holds their scalar twins (libm `erf`/`exp`, Double sums);
/// tests compare the two.
public enum BertKernels {
    /// Exact-erf GELU in place: x · ½ · (1 + erf(x/√2)).
    public static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        rag_gelu_erf(values, count)
    }

    /// Softmax of each row in place: rows × columns, row stride `columns`.
    public static func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        rag_softmax_rows(values, Int32(rows), Int32(columns))
    }

    /// row ← LayerNorm(row + residual) · gamma + beta, for each of `rows` rows of `width` (width a multiple of 16).
    public static func addLayerNorm(_ rowsPointer: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                                    rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float) {
        precondition(width % 16 == 0, "LayerNorm width \(width) must be a multiple of 16")
        for row in 0..<rows {
            let x = rowsPointer + row * width
            var sums = SIMD16<Float>()
            var index = 0
            while index < width {
                var v = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD16<Float>.self)
                if let residual {
                    v += UnsafeRawPointer(residual + row * width + index).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(x + index).storeBytes(of: v, as: SIMD16<Float>.self)
                }
                sums += v
                index += 16
            }
            let mean = sums.sum() / Float(width)
            var squares = SIMD16<Float>()
            index = 0
            while index < width {
                let d = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD16<Float>.self) - mean
                squares += d * d
                index += 16
            }
            let inverse = 1 / (squares.sum() / Float(width) + epsilon).squareRoot()
            index = 0
            while index < width {
                let v = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD16<Float>.self)
                let g = UnsafeRawPointer(gamma + index).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(beta + index).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(x + index).storeBytes(of: (v - mean) * inverse * g + b, as: SIMD16<Float>.self)
                index += 16
            }
        }
    }
}

/// Scalar twins of `BertKernels`: the definitions written plainly, with libm and Double accumulation.
public enum ReferenceBertKernels {
    public static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = Double(values[i])
            values[i] = Float(0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())))
        }
    }

    public static func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for row in 0..<rows {
            let base = values + row * columns
            var maximum = -Double.infinity
            for j in 0..<columns { maximum = max(maximum, Double(base[j])) }
            var sum = 0.0
            for j in 0..<columns { sum += Foundation.exp(Double(base[j]) - maximum) }
            for j in 0..<columns { base[j] = Float(Foundation.exp(Double(base[j]) - maximum) / sum) }
        }
    }

    public static func addLayerNorm(_ rowsPointer: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?,
                                    rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float) {
        for row in 0..<rows {
            let x = rowsPointer + row * width
            var values = (0..<width).map { Double(x[$0]) + Double(residual?[row * width + $0] ?? 0) }
            let mean = values.reduce(0, +) / Double(width)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            let inverse = 1 / (variance + Double(epsilon)).squareRoot()
            values = values.enumerated().map { ($0.element - mean) * inverse * Double(gamma[$0.offset]) + Double(beta[$0.offset]) }
            for j in 0..<width { x[j] = Float(values[j]) }
        }
    }
}
