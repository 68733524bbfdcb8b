import COpenBLAS

/// A read-only row-major matrix in memory: element (r, c) is at `base[r * rowStride + c]`.
/// A view can be a column slice of a wider matrix (e.g. one attention head of a [tokens, 3·hidden] buffer).
public struct MatrixView {
    public let base: UnsafePointer<Float>
    public let rows: Int
    public let columns: Int
    public let rowStride: Int

    public init(_ base: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.columns = columns
        self.rowStride = rowStride ?? columns
        precondition(self.rowStride >= columns, "row stride \(self.rowStride) is smaller than \(columns) columns")
    }
}

/// A writable row-major matrix view (see `MatrixView`).
public struct MutableMatrixView {
    public let base: UnsafeMutablePointer<Float>
    public let rows: Int
    public let columns: Int
    public let rowStride: Int

    public init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.columns = columns
        self.rowStride = rowStride ?? columns
        precondition(self.rowStride >= columns, "row stride \(self.rowStride) is smaller than \(columns) columns")
    }
}

/// Whether a gemm operand is used as stored or transposed.
public enum MatrixOperation: Sendable {
    case asIs
    case transposed
}

/// `C = alpha · op(A) · op(B) + beta · C` through OpenBLAS `cblas_sgemm`, with shapes checked.
public enum BLAS {
    public static func gemm(_ a: MatrixView, _ opA: MatrixOperation, _ b: MatrixView, _ opB: MatrixOperation,
                            into c: MutableMatrixView, alpha: Float = 1, beta: Float = 0) {
        let shape = GemmShape(a, opA, b, opB, c)
        cblas_sgemm(CblasRowMajor,
                    opA == .asIs ? CblasNoTrans : CblasTrans,
                    opB == .asIs ? CblasNoTrans : CblasTrans,
                    Int32(shape.m), Int32(shape.n), Int32(shape.k),
                    alpha, a.base, Int32(a.rowStride), b.base, Int32(b.rowStride),
                    beta, c.base, Int32(c.rowStride))
    }
}

/// The scalar twin of `BLAS.gemm`: plain loops, used by tests as the reference.
public enum ReferenceGemm {
    public static func gemm(_ a: MatrixView, _ opA: MatrixOperation, _ b: MatrixView, _ opB: MatrixOperation,
                            into c: MutableMatrixView, alpha: Float = 1, beta: Float = 0) {
        let shape = GemmShape(a, opA, b, opB, c)
        func elementA(_ i: Int, _ p: Int) -> Float {
            opA == .asIs ? a.base[i * a.rowStride + p] : a.base[p * a.rowStride + i]
        }
        func elementB(_ p: Int, _ j: Int) -> Float {
            opB == .asIs ? b.base[p * b.rowStride + j] : b.base[j * b.rowStride + p]
        }
        for i in 0..<shape.m {
            for j in 0..<shape.n {
                var sum: Float = 0
                for p in 0..<shape.k { sum += elementA(i, p) * elementB(p, j) }
                let old = beta == 0 ? 0 : beta * c.base[i * c.rowStride + j]
                c.base[i * c.rowStride + j] = alpha * sum + old
            }
        }
    }
}

/// m, n, k of a gemm call, after checking that the operands agree.
struct GemmShape {
    let m: Int, n: Int, k: Int

    init(_ a: MatrixView, _ opA: MatrixOperation, _ b: MatrixView, _ opB: MatrixOperation, _ c: MutableMatrixView) {
        let (m, kA) = opA == .asIs ? (a.rows, a.columns) : (a.columns, a.rows)
        let (kB, n) = opB == .asIs ? (b.rows, b.columns) : (b.columns, b.rows)
        precondition(kA == kB, "gemm: inner dimensions differ (\(kA) vs \(kB))")
        precondition(c.rows == m && c.columns == n, "gemm: result is \(c.rows)×\(c.columns), expected \(m)×\(n)")
        self.m = m
        self.n = n
        self.k = kA
    }
}

extension BLAS {
    /// Runs `body` with OpenBLAS limited to `count` threads, then restores the previous setting.
    /// Used by callers that parallelize over rows themselves and call single-threaded sgemm from each worker.
    public static func withThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(Int32(count))
        defer { openblas_set_num_threads(previous) }
        return try body()
    }
}

extension BLAS {
    /// C[m, n] = A[m, k] · B[n, k]ᵀ (+ C when `accumulate`). Row-major, leading dimensions = row lengths.
    /// (The raw-pointer form the generator's prefill uses; `gemm` above is the shape-checked general form.)
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
