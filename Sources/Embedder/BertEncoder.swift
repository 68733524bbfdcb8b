import Foundation
import ModelKit

/// The BERT encoder with mean pooling and L2 normalization, over packed batches:
/// the token rows of all sequences are concatenated (no padding at all), dense layers run on all rows at once,
/// and attention runs per sequence, which is exactly a padded batch with the padded keys masked out.
///
/// Parallelism: `threads` workers each take a contiguous block of rows (dense layers, LayerNorm, GELU) or a share
/// of the (sequence, head) pairs (attention), calling single-threaded sgemm; two joins per layer.
/// A batch of fewer than `smallBatchRows` rows (a query) runs on one thread: sgemm packs the whole weight matrix whatever
/// the row count, so a second worker would pack it again, and OpenBLAS threading of such small products loses more to
/// synchronization than it gains (measured: median query latency 64 ms with it vs 17 ms without, on a busy machine).
final class BertEncoder: Sendable {
    let weights: BertWeights
    let threads: Int
    let pool: WorkerPool
    /// Rows per dense-layer tile: large enough to amortize sgemm packing, small enough for L2 ([256, 1536] = 1.5 MB).
    let tileRows = 256
    let smallBatchRows = 64

    init(weights: BertWeights, threads: Int) {
        self.weights = weights
        self.threads = max(1, threads)
        self.pool = WorkerPool(threads: self.threads)
    }

    var config: BertConfig { weights.config }

    /// L2-normalized mean-pooled embeddings, one per sequence of token ids (each ≤ maxPositions long, non-empty).
    func embed(_ sequences: [[Int32]]) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        let batch = PackedBatch(sequences)
        precondition(batch.lengths.allSatisfy { $0 > 0 && $0 <= config.maxPositions },
                     "sequence lengths must be in 1...\(config.maxPositions)")
        precondition(batch.tokens.allSatisfy { $0 >= 0 && Int($0) < config.vocabularySize },
                     "token ids must be in 0..<\(config.vocabularySize)")
        let hidden = config.hiddenSize
        let states = FloatBuffer(count: batch.totalRows * hidden)              // [tokens, hidden]
        let queryKeyValue = FloatBuffer(count: batch.totalRows * 3 * hidden)   // [tokens, 3·hidden]
        let context = FloatBuffer(count: batch.totalRows * hidden)             // [tokens, hidden]

        let workers = batch.totalRows < smallBatchRows ? 1 : threads
        return BLAS.withThreads(1) {
            embedTokens(batch, into: states, workers: workers)
            for layer in weights.layers {
                forEachTile(rows: batch.totalRows, workers: workers) { rows, _ in
                    layer.queryKeyValue.apply(states.pointer + rows.lowerBound * hidden, rows: rows.count,
                                              into: queryKeyValue.pointer + rows.lowerBound * 3 * hidden)
                }
                attention(batch, queryKeyValue: queryKeyValue, into: context, workers: workers)
                feedForward(layer, rows: batch.totalRows, states: states, context: context, workers: workers)
            }
            return meanPoolAndNormalize(batch, states: states)
        }
    }

    /// states[t] = LayerNorm(word[id] + position[p] + tokenType[0]).
    private func embedTokens(_ batch: PackedBatch, into states: FloatBuffer, workers: Int) {
        let hidden = config.hiddenSize
        forEachTile(rows: batch.totalRows, workers: workers) { rows, _ in
            for row in rows {
                let target = states.pointer + row * hidden
                let word = weights.wordEmbeddings.pointer + Int(batch.tokens[row]) * hidden
                let position = weights.positionEmbeddings.pointer + batch.positions[row] * hidden
                let tokenType = weights.tokenTypeEmbedding.pointer
                for i in 0..<hidden { target[i] = word[i] + position[i] + tokenType[i] }
            }
            BertKernels.addLayerNorm(states.pointer + rows.lowerBound * hidden, residual: nil, rows: rows.count, width: hidden,
                                     gamma: weights.embeddingNormGamma.pointer, beta: weights.embeddingNormBeta.pointer,
                                     epsilon: config.layerNormEpsilon)
        }
    }

    /// Scaled dot-product attention of every (sequence, head) pair: softmax(Q·Kᵀ/√d)·V into `context`.
    private func attention(_ batch: PackedBatch, queryKeyValue: FloatBuffer, into context: FloatBuffer, workers: Int) {
        let hidden = config.hiddenSize, heads = config.headCount, headSize = config.headSize
        let stride = 3 * hidden
        let scale = 1 / Float(headSize).squareRoot()
        let longest = batch.lengths.max() ?? 0
        pool.parallelRanges(batch.lengths.count * heads, parts: workers) { items in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: longest * longest)   // [n, n]
            defer { scores.deallocate() }
            for item in items {
                let sequence = item / heads, head = item % heads
                let n = batch.lengths[sequence]
                let firstRow = batch.starts[sequence]
                let base = queryKeyValue.pointer + firstRow * stride + head * headSize
                let query = MatrixView(base, rows: n, columns: headSize, rowStride: stride)              // [n, d]
                let key = MatrixView(base + hidden, rows: n, columns: headSize, rowStride: stride)       // [n, d]
                let value = MatrixView(base + 2 * hidden, rows: n, columns: headSize, rowStride: stride) // [n, d]
                BLAS.gemm(query, .asIs, key, .transposed, into: MutableMatrixView(scores, rows: n, columns: n), alpha: scale)
                BertKernels.softmaxRows(scores, rows: n, columns: n)
                BLAS.gemm(MatrixView(scores, rows: n, columns: n), .asIs, value, .asIs,
                          into: MutableMatrixView(context.pointer + firstRow * hidden + head * headSize,
                                                  rows: n, columns: headSize, rowStride: hidden))
            }
        }
    }

    /// Per tile of rows: attention output + residual + LayerNorm, then GELU feed-forward + residual + LayerNorm.
    private func feedForward(_ layer: BertLayerWeights, rows totalRows: Int, states: FloatBuffer, context: FloatBuffer,
                             workers: Int) {
        let hidden = config.hiddenSize, inner = config.intermediateSize, epsilon = config.layerNormEpsilon
        forEachTile(rows: totalRows, workers: workers) { rows, scratch in
            let x = states.pointer + rows.lowerBound * hidden
            let sum = scratch.sum            // [tile, hidden]
            let intermediate = scratch.wide  // [tile, intermediate]
            layer.attentionOutput.apply(context.pointer + rows.lowerBound * hidden, rows: rows.count, into: sum)
            BertKernels.addLayerNorm(x, residual: sum, rows: rows.count, width: hidden,
                                     gamma: layer.attentionNormGamma.pointer, beta: layer.attentionNormBeta.pointer, epsilon: epsilon)
            layer.intermediate.apply(x, rows: rows.count, into: intermediate)
            BertKernels.gelu(intermediate, count: rows.count * inner)
            layer.output.apply(intermediate, rows: rows.count, into: sum)
            BertKernels.addLayerNorm(x, residual: sum, rows: rows.count, width: hidden,
                                     gamma: layer.outputNormGamma.pointer, beta: layer.outputNormBeta.pointer, epsilon: epsilon)
        }
    }

    /// Mean of each sequence's rows (all real tokens, [CLS] and [SEP] included), divided by its L2 norm.
    private func meanPoolAndNormalize(_ batch: PackedBatch, states: FloatBuffer) -> [[Float]] {
        let hidden = config.hiddenSize
        return batch.lengths.indices.map { sequence in
            var sum = [Double](repeating: 0, count: hidden)
            for row in batch.starts[sequence]..<(batch.starts[sequence] + batch.lengths[sequence]) {
                let x = states.pointer + row * hidden
                for i in 0..<hidden { sum[i] += Double(x[i]) }
            }
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let divisor = norm > 0 ? norm : 1
            return sum.map { Float($0 / divisor) }
        }
    }

    /// Per-worker scratch for one tile.
    struct TileScratch {
        let sum: UnsafeMutablePointer<Float>    // [tileRows, hidden]
        let wide: UnsafeMutablePointer<Float>   // [tileRows, intermediate]
    }

    /// Splits `rows` among the workers, and each worker's share into tiles of `tileRows`.
    private func forEachTile(rows: Int, workers: Int, _ body: (Range<Int>, TileScratch) -> Void) {
        let hidden = config.hiddenSize, inner = config.intermediateSize, tileRows = tileRows
        pool.parallelRanges(rows, parts: workers) { share in
            let scratch = TileScratch(sum: .allocate(capacity: tileRows * hidden), wide: .allocate(capacity: tileRows * inner))
            defer { scratch.sum.deallocate(); scratch.wide.deallocate() }
            var start = share.lowerBound
            while start < share.upperBound {
                let end = min(start + tileRows, share.upperBound)
                body(start..<end, scratch)
                start = end
            }
        }
    }
}

/// Token sequences laid out back to back: row r belongs to one sequence at one position.
struct PackedBatch {
    let tokens: [Int32]      // [totalRows]
    let positions: [Int]     // [totalRows]: position inside its sequence
    let starts: [Int]        // first row of each sequence
    let lengths: [Int]

    init(_ sequences: [[Int32]]) {
        var tokens: [Int32] = [], positions: [Int] = [], starts: [Int] = []
        for sequence in sequences {
            starts.append(tokens.count)
            tokens += sequence
            positions += 0..<sequence.count
        }
        self.tokens = tokens
        self.positions = positions
        self.starts = starts
        self.lengths = sequences.map(\.count)
    }

    var totalRows: Int { tokens.count }
}
