import CKernels
import Foundation
import ModelKit

/// Which positions of a forward pass need logits.
public enum LogitsRequest: Sendable {
    /// Only the last token (generation).
    case last
    /// Every token (perplexity, tests).
    case all
}

/// A llama-architecture transformer over GGUF weights kept as stored.
///
/// Per block: x += Wo·attn(RoPE(Wq·n), RoPE(Wk·n), Wv·n) with n = RMSNorm(x);
///            x += Wdown·(silu(Wgate·n) ⊙ Wup·n)    with n = RMSNorm(x);
/// then logits = Wout·RMSNorm(x). Activations are fp32 throughout.
/// Decode (few tokens) multiplies the quantized rows directly; prefill dequantizes weight panels and calls sgemm.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    /// Threads for our own loops (OpenBLAS runs single-threaded inside them during a forward pass).
    public let threads: Int
    /// Worker threads for matvec rows, panel dequantization and attention.
    public let pool: WorkerPool
    /// Batches of at least this many tokens use dequantized panels + sgemm; smaller ones use the quantized matvec kernels.
    public let sgemmMinimumTokens: Int
    /// base^(−2i/ropeDim) for i in 0..<ropeDim/2, in fp64.
    private let inverseFrequencies: [Double]
    /// One forward pass at a time per model: they share the worker pool (sequences on different caches simply queue).
    private let forwardLock = NSLock()

    public convenience init(path: String, threads: Int = ComputeThreads.defaultCount) throws {
        try self.init(file: try GGUFFile(path: path), threads: threads)
    }

    public init(file: GGUFFile, threads: Int = ComputeThreads.defaultCount, sgemmMinimumTokens: Int = 8) throws(GeneratorError) {
        let config = try LlamaConfig(gguf: file)
        self.config = config
        self.weights = try LlamaWeights(file: file, config: config)
        self.threads = max(1, threads)
        pool = WorkerPool(threads: self.threads)
        self.sgemmMinimumTokens = max(2, sgemmMinimumTokens)
        let ropeDim = config.ropeDimensionCount
        inverseFrequencies = (0..<(ropeDim / 2)).map { i in
            pow(Double(config.ropeFreqBase), -2.0 * Double(i) / Double(ropeDim))
        }
    }

    /// A cache for `capacity` positions (at most the model's context length is meaningful).
    public func makeCache(capacity: Int) -> KVCache { KVCache(config: config, capacity: capacity) }

    /// Scratch buffers for batches of up to `maxTokens` tokens.
    public func makeScratch(maxTokens: Int = 512) -> ForwardScratch {
        ForwardScratch(config: config, maxTokens: maxTokens, threads: threads)
    }

    /// Runs `tokens` at positions cache.count ..< cache.count + tokens.count, appending their keys/values to `cache`.
    /// Longer inputs than `scratch.maxTokens` run in consecutive batches. Logits land in `scratch.logits`
    /// ([1, vocab] for `.last`; [tokens.count, vocab] for `.all`, which needs tokens.count ≤ scratch.maxTokens).
    public func forward(_ tokens: [Int32], cache: KVCache, scratch: ForwardScratch,
                        attention: AttentionPolicy, logits request: LogitsRequest = .last) throws(GeneratorError) {
        guard !tokens.isEmpty else { throw .emptyPrompt }
        guard cache.count + tokens.count <= cache.positionLimit else {
            throw .contextOverflow(needed: cache.count + tokens.count, contextLength: cache.capacity)
        }
        for id in tokens where id < 0 || Int(id) >= config.vocabularySize {
            throw .tokenOutOfRange(id: id, vocabularySize: config.vocabularySize)
        }
        if case .all = request, tokens.count > scratch.maxTokens {
            throw .badConfig(path: weights.file.path, reason: "all-position logits for \(tokens.count) tokens need a scratch of that many tokens (have \(scratch.maxTokens))")
        }
        forwardLock.lock()
        defer { forwardLock.unlock() }
        // Our pool drives sgemm (one single-threaded call per part); restore the caller's BLAS threads afterwards.
        let blasThreads = BLAS.threadCount
        if blasThreads != 1 { BLAS.setThreadCount(1) }
        defer { if blasThreads != 1 { BLAS.setThreadCount(blasThreads) } }
        var start = 0
        while start < tokens.count {
            let end = min(tokens.count, start + scratch.maxTokens)
            let isLast = end == tokens.count
            tokens.withUnsafeBufferPointer { all in
                runBatch(UnsafeBufferPointer(rebasing: all[start..<end]), cache: cache, scratch: scratch, attention: attention,
                         logits: isLast ? request : nil)
            }
            start = end
        }
    }

    // MARK: One batch

    private func runBatch(_ tokens: UnsafeBufferPointer<Int32>, cache: KVCache, scratch s: ForwardScratch,
                          attention: AttentionPolicy, logits request: LogitsRequest?) {
        let t = tokens.count
        let d = config.embeddingLength
        let positions = cache.count..<(cache.count + t)

        // Embedding lookup: x[i] = token_embd[tokens[i]]   // [T, d_model]
        for i in 0..<t { weights.tokenEmbedding.dequantizeRow(Int(tokens[i]), into: s.x + i * d) }
        fillRotations(positions: positions, scratch: s)

        for (layerIndex, layer) in weights.layers.enumerated() {
            // Attention block.
            rmsNorm(s.x, layer.attentionNorm, into: s.normed, rows: t)
            linear(MatrixProducts((layer.query, s.query), (layer.key, s.key), (layer.value, s.value)), input: s.normed, tokens: t, scratch: s)
            applyRotary(s.query, heads: config.headCount, tokens: t, scratch: s)   // [T, nHeads, headDim]
            applyRotary(s.key, heads: config.headCountKV, tokens: t, scratch: s)   // [T, nKVHeads, headDim]
            storeKeysValues(layer: layerIndex, positions: positions, cache: cache, scratch: s)
            attention.didAppend(layer: layerIndex, positions: positions, cache: cache)
            let request = AttentionRequest(layer: layerIndex, queries: s.query, positions: positions, cache: cache,
                                           headCount: config.headCount, groupSize: config.groupSize,
                                           scale: 1 / Float(config.headDimension).squareRoot(), pool: pool)
            attention.attend(request, output: s.attention)
            linear(MatrixProducts((layer.attentionOutput, s.normed)), input: s.attention, tokens: t, scratch: s)
            add(s.normed, into: s.x, count: t * d)

            // Feed-forward block (SwiGLU).
            rmsNorm(s.x, layer.feedForwardNorm, into: s.normed, rows: t)
            linear(MatrixProducts((layer.gate, s.gate), (layer.up, s.up)), input: s.normed, tokens: t, scratch: s)
            swiGLU(s.gate, s.up, count: t * config.feedForwardLength)
            linear(MatrixProducts((layer.down, s.normed)), input: s.gate, tokens: t, scratch: s)
            add(s.normed, into: s.x, count: t * d)
        }
        cache.count = positions.upperBound

        guard let request else { return }
        switch request {
        case .last:
            rmsNorm(s.x + (t - 1) * d, weights.outputNorm, into: s.normed, rows: 1)
            s.logitRows = 1
            linear(MatrixProducts((weights.output, s.logits)), input: s.normed, tokens: 1, scratch: s)
        case .all:
            rmsNorm(s.x, weights.outputNorm, into: s.normed, rows: t)
            s.reserveLogits(rows: t)
            s.logitRows = t
            linear(MatrixProducts((weights.output, s.logits)), input: s.normed, tokens: t, scratch: s)
        }
    }

    // MARK: Linear layers

    /// outputs[k][token, :] = matrices[k] · input[token, :] for every token.   input: [T, K]; output k: [T, rows_k]
    /// All matrices share the input width K.
    private func linear(_ products: MatrixProducts, input: UnsafeMutablePointer<Float>, tokens: Int, scratch s: ForwardScratch) {
        let k = products.first.matrix.columns
        if tokens < sgemmMinimumTokens {
            for token in 0..<tokens {
                let x = input + token * k
                QuantizedMatrix.blockSums(of: x, count: k, into: s.blockSums)
                matvecs(products, x: x, outputOffset: token, scratch: s)
            }
        } else {
            products.forEach { matrix, output in
                panelMultiply(matrix, input: input, tokens: tokens, output: output, scratch: s)
            }
        }
    }

    /// One token through several matrices in one parallel region: each part takes its share of every matrix's rows.
    private func matvecs(_ products: MatrixProducts, x: UnsafeMutablePointer<Float>, outputOffset token: Int, scratch s: ForwardScratch) {
        // More parts than threads: whoever is free takes the next one, which evens out a busy machine.
        let parts = threads == 1 ? 1 : 2 * threads
        pool.run(parts: parts) { part in
            products.forEach { matrix, output in
                let start = matrix.rows * part / parts
                let end = matrix.rows * (part + 1) / parts
                guard start < end else { return }
                matrix.multiply(vector: x, blockSums: s.blockSums, into: output + token * matrix.rows,
                                rows: start..<end, rowScratch: s.rowScratch + part * matrix.columns)
            }
        }
    }

    /// output[T, rows] = input[T, K] · Wᵀ, dequantizing W a panel of rows at a time and multiplying with sgemm.
    /// Each pool part dequantizes its own slice of the panel and runs a single-threaded sgemm on it, so there is
    /// no barrier between the two steps and no second thread pool (OpenBLAS's) competing for the cores.
    private func panelMultiply(_ matrix: QuantizedMatrix, input: UnsafeMutablePointer<Float>, tokens: Int,
                               output: UnsafeMutablePointer<Float>, scratch s: ForwardScratch) {
        let k = matrix.columns
        let panelRows = max(1, min(matrix.rows, s.panelFloats / k))
        let parts = threads == 1 ? 1 : 2 * threads
        var panelStart = 0
        while panelStart < matrix.rows {
            let rows = min(panelRows, matrix.rows - panelStart)
            let first = panelStart
            pool.run(parts: min(parts, rows)) { part in
                let lo = rows * part / min(parts, rows), hi = rows * (part + 1) / min(parts, rows)
                guard lo < hi else { return }
                let slice = s.panel + lo * k   // [hi − lo, K]
                matrix.dequantizeRows((first + lo)..<(first + hi), into: slice)
                // output[:, first+lo ..< first+hi] = input · sliceᵀ
                BLAS.matmulTransposedB(input, slice, output + first + lo, m: tokens, n: hi - lo, k: k, ldc: matrix.rows)
            }
            panelStart += rows
        }
    }

    // MARK: Elementwise pieces

    /// out[r] = x[r] / sqrt(mean(x[r]²) + ε) ⊙ weight, for `rows` rows of d_model.
    private func rmsNorm(_ x: UnsafePointer<Float>, _ weight: [Float], into out: UnsafeMutablePointer<Float>, rows: Int) {
        let d = config.embeddingLength
        weight.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                let row = x + r * d
                var sumSquares: Double = 0
                for i in 0..<d { sumSquares += Double(row[i]) * Double(row[i]) }
                let scale = Float(1 / (sumSquares / Double(d) + Double(config.rmsNormEpsilon)).squareRoot())
                let o = out + r * d
                for i in 0..<d { o[i] = row[i] * scale * w[i] }
            }
        }
    }

    /// cos/sin of pos·base^(−2i/ropeDim) for each position of the batch.   // [T, ropeDim/2]
    private func fillRotations(positions: Range<Int>, scratch s: ForwardScratch) {
        let half = config.ropeDimensionCount / 2
        for (t, position) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(position) * inverseFrequencies[i]
                s.cosines[t * half + i] = Float(cos(angle))
                s.sines[t * half + i] = Float(sin(angle))
            }
        }
    }

    /// Rotates adjacent pairs (2i, 2i+1) of each head's leading ropeDim dimensions (GGUF llama Q/K layout).
    private func applyRotary(_ vectors: UnsafeMutablePointer<Float>, heads: Int, tokens: Int, scratch s: ForwardScratch) {
        let headDim = config.headDimension
        let half = config.ropeDimensionCount / 2
        for t in 0..<tokens {
            let cosines = s.cosines + t * half
            let sines = s.sines + t * half
            for h in 0..<heads {
                let v = vectors + (t * heads + h) * headDim
                for i in 0..<half {
                    let x0 = v[2 * i], x1 = v[2 * i + 1]
                    v[2 * i] = x0 * cosines[i] - x1 * sines[i]
                    v[2 * i + 1] = x0 * sines[i] + x1 * cosines[i]
                }
            }
        }
    }

    /// Copies this batch's keys/values into the cache slots of their positions.
    private func storeKeysValues(layer: Int, positions: Range<Int>, cache: KVCache, scratch s: ForwardScratch) {
        let headDim = config.headDimension
        let kvHeads = config.headCountKV
        for (t, position) in positions.enumerated() {
            let slot = cache.slot(of: position)
            for h in 0..<kvHeads {
                let source = (t * kvHeads + h) * headDim
                cache.store(layer: layer, kvHead: h, slot: slot, keys: s.key + source, values: s.value + source)
            }
        }
    }

    /// gate = silu(gate) ⊙ up, split across the pool for prefill batches.
    private func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        if count < 1 << 14 {
            rag_swiglu(gate, up, Int64(count))
            return
        }
        pool.parallelRanges(count) { range in
            rag_swiglu(gate + range.lowerBound, up + range.lowerBound, Int64(range.count))
        }
    }

    private func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] += source[i] }
    }
}

/// One to three (matrix, output) pairs that share an input, held inline so the token loop allocates nothing.
struct MatrixProducts {
    typealias Product = (matrix: QuantizedMatrix, output: UnsafeMutablePointer<Float>)
    let first: Product
    let second: Product?
    let third: Product?

    init(_ first: Product, _ second: Product? = nil, _ third: Product? = nil) {
        self.first = first
        self.second = second
        self.third = third
    }

    func forEach(_ body: (QuantizedMatrix, UnsafeMutablePointer<Float>) -> Void) {
        body(first.matrix, first.output)
        if let second { body(second.matrix, second.output) }
        if let third { body(third.matrix, third.output) }
    }
}

extension LlamaModel {
    /// Bytes a KV cache of `capacity` positions holds (keys and values, fp32).
    public func makeCacheByteCount(capacity: Int, precision: KVCachePrecision = .f32) -> Int {
        capacity * KVCache.bytesPerPosition(layers: config.blockCount, kvWidth: config.kvWidth, precision: precision)
    }
}
