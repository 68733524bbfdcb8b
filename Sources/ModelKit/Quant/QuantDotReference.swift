import Foundation

/// Scalar Swift twins of the C quantized dot kernels (`rag_matvec_q4_1`, `rag_matvec_q8_0`):
/// plain dequantize-then-multiply, summed in fp64 so tests can bound the kernels' fp32 rounding.
public enum QuantDotReference {
    /// dot(row, x) for one row of `type` blocks holding `count` elements.
    public static func dot(_ type: GGMLType, row: UnsafeRawPointer, x: UnsafePointer<Float>, count: Int) throws(Dequantize.Failure) -> Double {
        var weights = [Float](repeating: 0, count: count)
        try weights.withUnsafeMutableBufferPointer { (w: inout UnsafeMutableBufferPointer<Float>) throws(Dequantize.Failure) in
            try Dequantize.row(type, row, w.baseAddress!, count: count)
        }
        var total = 0.0
        for i in 0..<count { total += Double(weights[i]) * Double(x[i]) }
        return total
    }
}
