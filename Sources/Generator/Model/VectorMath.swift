import Foundation

/// Small fp32 vector helpers of the attention policies, with explicit SIMD8 lanes.
public enum VectorMath {
    /// y += alpha·x
    @inline(__always)
    public static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ alpha: Float, count: Int) {
        var i = 0
        let ry = UnsafeMutableRawPointer(y), rx = UnsafeRawPointer(x)
        let a = SIMD8<Float>(repeating: alpha)
        while i + 8 <= count {
            let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + a * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }

    /// y *= factor
    @inline(__always)
    public static func scale(_ y: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        for i in 0..<count { y[i] *= factor }
    }
}

/// Scalar twin of `rag_swiglu`: gate = gate / (1 + e^(−gate)) · up, in fp64.
public enum SwiGLUReference {
    public static func apply(_ gate: inout [Float], _ up: [Float]) {
        for i in gate.indices {
            let g = Double(gate[i])
            gate[i] = Float(g / (1 + exp(-g)) * Double(up[i]))
        }
    }
}
