import Foundation

/// The element-wise and row-wise kernels of the BERT encoder, vectorized with 16-lane SIMD.
/// `ReferenceBertKernels` holds their scalar twins (libm `erf`/`exp`, Double sums); tests compare the two.
public enum BertKernels {
    /// Exact-erf GELU in place: x · ½ · (1 + erf(x/√2)), erf from a rational approximation (|error| < 1e-6).
    public static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 16 <= count {
            let x = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(values + index).storeBytes(of: gelu16(x), as: SIMD16<Float>.self)
            index += 16
        }
        while index < count {
            values[index] = gelu16(SIMD16(repeating: values[index]))[0]
            index += 1
        }
    }

    @inline(__always)
    static func gelu16(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x * 0.5 * (1 + erf16(x * 0.70710678118654752))
    }

    /// erf as an odd rational function of x on [-4, 4] (erf is ±1 in Float beyond), coefficients as in Eigen's float erf.
    @inline(__always)
    static func erf16(_ input: SIMD16<Float>) -> SIMD16<Float> {
        let x = input.clamped(lowerBound: SIMD16(repeating: -4), upperBound: SIMD16(repeating: 4))
        let x2 = x * x
        var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
        p = x2 * p + -2.10102402082508e-06
        p = x2 * p + -5.69250639462346e-05
        p = x2 * p + -7.34990630326855e-04
        p = x2 * p + -2.95459980854025e-03
        p = x2 * p + -1.60960333262415e-02
        p = x * p
        var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04
        q = x2 * q + -1.68282697438203e-03
        q = x2 * q + -7.37332916720468e-03
        q = x2 * q + -1.42647390514189e-02
        return p / q
    }

    /// e^x for x ≤ 0 (softmax inputs after subtracting the row maximum); relative error ~1e-7.
    @inline(__always)
    static func exp16(_ input: SIMD16<Float>) -> SIMD16<Float> {
        let x = input.clamped(lowerBound: SIMD16(repeating: -87), upperBound: SIMD16(repeating: 88))
        // n = round(x / ln 2) with the 1.5·2²³ trick: the integer lands in the low mantissa bits of `shifted`.
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        // r = x − n·ln 2 in two parts (Cody–Waite), |r| ≤ ln2/2.
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        // e^r by its Taylor/minimax polynomial (Cephes expf).
        var p = r * 1.9875691500e-4 + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * (r * r) + r + 1
        // 2^n built from the exponent bits.
        let integerN = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        let scale = unsafeBitCast((integerN &+ 127) &<< 23, to: SIMD16<Float>.self)
        return er * scale
    }

    /// Softmax of each row in place: rows × columns, row stride `columns`.
    public static func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for row in 0..<rows {
            let base = values + row * columns
            var maxima = SIMD16<Float>(repeating: -.infinity)
            var index = 0
            while index + 16 <= columns {
                maxima = pointwiseMax(maxima, UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<Float>.self))
                index += 16
            }
            var maximum = maxima.max()
            for tail in index..<columns { maximum = max(maximum, base[tail]) }

            var sums = SIMD16<Float>()
            index = 0
            while index + 16 <= columns {
                let e = exp16(UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<Float>.self) - maximum)
                UnsafeMutableRawPointer(base + index).storeBytes(of: e, as: SIMD16<Float>.self)
                sums += e
                index += 16
            }
            var sum = sums.sum()
            for tail in index..<columns {
                let e = exp16(SIMD16(repeating: base[tail] - maximum))[0]
                base[tail] = e
                sum += e
            }
            scale(base, count: columns, by: 1 / sum)
        }
    }

    /// values[i] *= factor.
    public static func scale(_ values: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        var index = 0
        while index + 16 <= count {
            let v = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD16<Float>.self) * factor
            UnsafeMutableRawPointer(values + index).storeBytes(of: v, as: SIMD16<Float>.self)
            index += 16
        }
        for tail in index..<count { values[tail] *= factor }
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
