import Foundation

/// Preallocated activations for a forward pass over up to `maxTokens` tokens, reused across calls
/// so that the token loop allocates nothing. Owned by the caller together with its `KVCache`.
public final class ForwardScratch: @unchecked Sendable {
    // @unchecked: used by one forward pass at a time; worker threads write disjoint ranges.
    public let maxTokens: Int
    let x: UnsafeMutablePointer<Float>          // [T, d_model] residual stream
    let normed: UnsafeMutablePointer<Float>     // [T, d_model]
    let query: UnsafeMutablePointer<Float>      // [T, nHeads, headDim]
    let key: UnsafeMutablePointer<Float>        // [T, nKVHeads, headDim]
    let value: UnsafeMutablePointer<Float>      // [T, nKVHeads, headDim]
    let attention: UnsafeMutablePointer<Float>  // [T, nHeads, headDim]
    let gate: UnsafeMutablePointer<Float>       // [T, ffn]
    let up: UnsafeMutablePointer<Float>         // [T, ffn]
    let blockSums: UnsafeMutablePointer<Float>  // [max(d_model, ffn) / 32]
    let rowScratch: UnsafeMutablePointer<Float> // [2·threads (parts), max(d_model, ffn)] for types without a fused kernel
    let panel: UnsafeMutablePointer<Float>      // [panelFloats] dequantized weight rows for prefill
    let cosines: UnsafeMutablePointer<Float>    // [T, ropeDim / 2]
    let sines: UnsafeMutablePointer<Float>      // [T, ropeDim / 2]
    /// Logits of the last forward: [logitRows, vocab].
    public private(set) var logits: UnsafeMutablePointer<Float>
    public internal(set) var logitRows = 0
    let vocabularySize: Int
    private var logitCapacityRows: Int
    let panelFloats: Int
    private var owned: [UnsafeMutablePointer<Float>] = []

    /// Floats of dequantized weights held at once during prefill (4 MiB).
    static let defaultPanelFloats = 1 << 20

    public init(config: LlamaConfig, maxTokens: Int, threads: Int) {
        self.maxTokens = max(1, maxTokens)
        let t = self.maxTokens
        let wide = max(config.embeddingLength, config.feedForwardLength, config.queryWidth)
        var owned: [UnsafeMutablePointer<Float>] = []
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            owned.append(p)
            return p
        }
        x = make(t * config.embeddingLength)
        normed = make(t * config.embeddingLength)
        query = make(t * config.queryWidth)
        key = make(t * config.kvWidth)
        value = make(t * config.kvWidth)
        attention = make(t * config.queryWidth)
        gate = make(t * config.feedForwardLength)
        up = make(t * config.feedForwardLength)
        blockSums = make(t * wide / 32 + 1)
        rowScratch = make(2 * max(1, threads) * wide)
        panelFloats = max(ForwardScratch.defaultPanelFloats, wide * 32)
        panel = make(panelFloats)
        cosines = make(t * config.ropeDimensionCount / 2)
        sines = make(t * config.ropeDimensionCount / 2)
        vocabularySize = config.vocabularySize
        logitCapacityRows = 1
        logits = make(config.vocabularySize)
        self.owned = owned
    }

    deinit {
        for p in owned { p.deallocate() }
    }

    /// Makes room for `rows` rows of logits (grows only when a forward asks for all positions).
    func reserveLogits(rows: Int) {
        guard rows > logitCapacityRows else { return }
        let p = UnsafeMutablePointer<Float>.allocate(capacity: rows * vocabularySize)
        p.initialize(repeating: 0, count: rows * vocabularySize)
        if let index = owned.firstIndex(of: logits) { owned.remove(at: index) }
        logits.deallocate()
        logits = p
        owned.append(p)
        logitCapacityRows = rows
    }

    /// Logits of row `row` of the last forward: [vocab].
    public func logits(row: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logits + row * vocabularySize, count: vocabularySize)
    }

    /// Logits of the last row of the last forward: [vocab].
    public var lastLogits: UnsafeBufferPointer<Float> { logits(row: max(0, logitRows - 1)) }
}
