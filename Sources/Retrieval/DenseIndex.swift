import COpenBLAS
import Foundation

/// Exact dense search: one matrix–vector product of the query against every chunk vector.
public struct DenseIndex: Sendable {
    public let matrix: VectorMatrix

    public init(matrix: VectorMatrix) {
        self.matrix = matrix
    }

    /// Cosine similarity (dot product of unit vectors) of `query` with every row: [count].
    public func scores(for query: [Float]) -> [Float] {
        precondition(query.count == matrix.dimension, "query dimension \(query.count) != index dimension \(matrix.dimension)")
        var scores = [Float](repeating: 0, count: matrix.count)
        guard matrix.count > 0 else { return scores }
        matrix.values.withUnsafeBufferPointer { a in
            query.withUnsafeBufferPointer { x in
                scores.withUnsafeMutableBufferPointer { y in
                    // y = A · x with A: [count, dimension] row-major.
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(matrix.count), Int32(matrix.dimension),
                                1, a.baseAddress, Int32(matrix.dimension), x.baseAddress, 1, 0, y.baseAddress, 1)
                }
            }
        }
        return scores
    }

    /// Scalar twin of `scores(for:)`, for tests.
    public func referenceScores(for query: [Float]) -> [Float] {
        (0..<matrix.count).map { row in
            var sum: Float = 0
            for column in 0..<matrix.dimension { sum += matrix.values[row * matrix.dimension + column] * query[column] }
            return sum
        }
    }
}

/// Selection of the k largest values without sorting everything.
enum TopK {
    static func indices(of values: [Float], k: Int) -> [Int] {
        let k = min(k, values.count)
        guard k > 0 else { return [] }
        // A small sorted buffer of the best k (k is tens, values up to millions): O(n log k).
        var best: [(index: Int, value: Float)] = []
        best.reserveCapacity(k + 1)
        for (index, value) in values.enumerated() {
            if best.count == k, let worst = best.last, value <= worst.value { continue }
            var low = 0, high = best.count
            while low < high {
                let mid = (low + high) / 2
                if best[mid].value >= value { low = mid + 1 } else { high = mid }
            }
            best.insert((index, value), at: low)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.index)
    }
}
