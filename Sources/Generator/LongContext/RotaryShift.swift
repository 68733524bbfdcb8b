import CKernels
import Foundation

/// Re-rotates RoPE'd query vectors by a whole number of positions.
///
/// Queries and keys are rotated by their absolute position before keys are cached (GGUF llama layout: adjacent pairs
/// (2i, 2i+1) of each head's leading ropeDim dimensions, angle pos·base^(−2i/ropeDim)). A score q·k depends only on
/// the distance between the two rotations, so to make a cached key at position s look as if it were at distance D from
/// the query, it is enough to rotate the query by δ = (s + D) − P instead of touching the key. Sparse policies use this
/// to place attention sinks and far pages at distances the model was trained on.
///
/// cos/sin of δ·θ_i come from a table grown on demand (`reserve`) and read concurrently afterwards. The table is a
/// raw allocation rather than two arrays: top-k selection rotates ~40,000 query vectors per decoded token at 32K, and
/// the arrays' retain/release around each `withUnsafeBufferPointer` cost ≈ 0.8 ms of a 18 ms token.
public final class RotaryShift: @unchecked Sendable {
    // @unchecked: `reserve` runs before the parallel region of a layer; workers only read the table.
    public let headDimension: Int
    /// Rotated pairs per head (ropeDim / 2).
    public let pairs: Int
    private let inverseFrequencies: [Double]
    /// [shifts, pairs] for shift magnitudes 0..<coveredShifts, each.
    private var cosines: UnsafeMutablePointer<Float>?
    private var sines: UnsafeMutablePointer<Float>?
    public private(set) var coveredShifts = 0

    public init(config: LlamaConfig) {
        headDimension = config.headDimension
        pairs = config.ropeDimensionCount / 2
        let ropeDim = config.ropeDimensionCount
        inverseFrequencies = (0..<pairs).map { i in pow(Double(config.ropeFreqBase), -2.0 * Double(i) / Double(ropeDim)) }
    }

    deinit {
        cosines?.deallocate()
        sines?.deallocate()
    }

    /// Makes shifts with |δ| ≤ `magnitude` available to `rotate`.
    public func reserve(magnitude: Int) {
        guard magnitude >= coveredShifts else { return }
        let newCount = max(magnitude + 1, coveredShifts * 2, 1024)
        let newCosines = UnsafeMutablePointer<Float>.allocate(capacity: max(1, newCount * pairs))
        let newSines = UnsafeMutablePointer<Float>.allocate(capacity: max(1, newCount * pairs))
        if let cosines, let sines {
            newCosines.update(from: cosines, count: coveredShifts * pairs)
            newSines.update(from: sines, count: coveredShifts * pairs)
            cosines.deallocate()
            sines.deallocate()
        }
        for shift in coveredShifts..<newCount {
            for i in 0..<pairs {
                let angle = Double(shift) * inverseFrequencies[i]
                newCosines[shift * pairs + i] = Float(cos(angle))
                newSines[shift * pairs + i] = Float(sin(angle))
            }
        }
        cosines = newCosines
        sines = newSines
        coveredShifts = newCount
    }

    /// out[r] = R(δ) · vectors[r] for `rows` head vectors of headDim floats ([rows, headDim]); |δ| must be reserved.
    public func rotate(_ vectors: UnsafePointer<Float>, rows: Int, by shift: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(abs(shift) < coveredShifts, "RotaryShift: shift \(shift) not reserved")
        let base = abs(shift) * pairs
        let sign: Float = shift < 0 ? -1 : 1
        rag_rotate_pairs(vectors, Int64(rows), Int64(headDimension), Int64(pairs), cosines! + base, sines! + base, sign, out)
    }
}
