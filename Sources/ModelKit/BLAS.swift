import COpenBLAS
import Foundation

/// Thin wrappers over the CBLAS calls the models use (row-major throughout).
public enum BLAS {
    /// C[m, n] = A[m, k] · B[n, k]ᵀ (+ C when `accumulate`). Row-major, leading dimensions = row lengths.
    public static func matmulTransposedB(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                         m: Int, n: Int, k: Int, ldc: Int? = nil, accumulate: Bool = false) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(k), accumulate ? 1 : 0, c, Int32(ldc ?? n))
    }

    /// Threads OpenBLAS uses for one call.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses for one call (process-wide).
    public static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// Σ x[i]·y[i].
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        cblas_sdot(Int32(count), x, 1, y, 1)
    }
}
