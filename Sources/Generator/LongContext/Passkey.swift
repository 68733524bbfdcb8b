import Foundation

/// The passkey-retrieval task (Mohtashami & Jaggi 2023): a 5-digit pass key hidden at a chosen depth in repeated
/// filler text, asked for at the end. Prompts are built at the token level so their length is exact.
public struct PasskeyTask: Sendable {
    public static let introduction = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there."
    public static let filler = " The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
    public static let question = "\nWhat is the pass key? The pass key is"

    public let tokenizer: ByteLevelBPETokenizer
    private let introductionIds: [Int32]
    private let fillerIds: [Int32]
    private let questionIds: [Int32]

    public init(tokenizer: ByteLevelBPETokenizer) {
        self.tokenizer = tokenizer
        introductionIds = tokenizer.encode(Self.introduction)
        fillerIds = tokenizer.encode(Self.filler)
        questionIds = tokenizer.encode(Self.question)
    }

    public static func needle(passkey: Int) -> String {
        " The pass key is \(passkey). Remember it. \(passkey) is the pass key."
    }

    /// A deterministic 5-digit pass key for a (length, depth) case.
    public static func passkey(length: Int, depthIndex: Int, seed: UInt64 = 7) -> Int {
        var random = SeededRandom(seed: seed &+ UInt64(length) &* 1_000_003 &+ UInt64(depthIndex) &* 7919)
        return 10_000 + Int(random.next() % 90_000)
    }

    /// A prompt of exactly `length` tokens (when the fixed parts fit) with the needle after the filler unit nearest
    /// to `depth` (0 = start of the filler, 1 = end).
    public func prompt(length: Int, depth: Double, passkey: Int) -> [Int32] {
        let needleIds = tokenizer.encode(Self.needle(passkey: passkey))
        let fillerCount = max(0, length - introductionIds.count - needleIds.count - questionIds.count)
        // Whole filler units before the needle; the remaining filler tokens after it (the last unit may be cut).
        let units = fillerCount / fillerIds.count
        let before = Int((Double(units) * min(max(depth, 0), 1)).rounded()) * fillerIds.count
        var ids = introductionIds
        ids.reserveCapacity(length)
        for i in 0..<before { ids.append(fillerIds[i % fillerIds.count]) }
        ids += needleIds
        for i in 0..<(fillerCount - before) { ids.append(fillerIds[i % fillerIds.count]) }
        ids += questionIds
        return ids
    }

    /// True when the first run of digits in `answer` is the pass key.
    public static func isCorrect(answer: String, passkey: Int) -> Bool {
        let digits = answer.drop(while: { !$0.isNumber }).prefix(while: { $0.isNumber })
        return digits == String(passkey)
    }
}

/// One long sequence through a model under an attention policy: chunked prefill then greedy decoding.
/// Memory: the policy's cache (a ring for a sliding window) and a scratch of `batchSize` tokens.
public struct LongContextRun {
    public let model: LlamaModel
    public let attention: AttentionPolicy
    public let batchSize: Int

    public init(model: LlamaModel, attention: AttentionPolicy, batchSize: Int = 512) {
        self.model = model
        self.attention = attention
        self.batchSize = batchSize
    }

    public struct Result: Sendable {
        public var tokens: [Int32]
        public var prefillSeconds: Double
        public var decodeSeconds: Double
        public var cacheBytes: Int
    }

    /// Prefills `prompt`, then greedily decodes up to `maxTokens` tokens, stopping after any of `stopTokens`.
    /// Prompts longer than the model's context need a policy with `extendsContext`.
    public func run(prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32> = []) throws(GeneratorError) -> Result {
        if !attention.extendsContext && prompt.count + maxTokens > model.config.contextLength {
            throw .contextOverflow(needed: prompt.count + maxTokens, contextLength: model.config.contextLength)
        }
        let cache = attention.makeCache(config: model.config, positions: prompt.count + maxTokens, batchSize: batchSize)
        let scratch = model.makeScratch(maxTokens: batchSize)
        attention.cacheDidShrink(to: 0)
        let start = DispatchTime.now()
        try model.forward(prompt, cache: cache, scratch: scratch, attention: attention)
        let prefilled = DispatchTime.now()
        var generated: [Int32] = []
        while generated.count < maxTokens {
            let next = Self.argmax(scratch.lastLogits)
            generated.append(next)
            if stopTokens.contains(next) || generated.count == maxTokens { break }
            try model.forward([next], cache: cache, scratch: scratch, attention: attention)
        }
        let end = DispatchTime.now()
        return Result(tokens: generated,
                      prefillSeconds: Double(prefilled.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9,
                      decodeSeconds: Double(end.uptimeNanoseconds - prefilled.uptimeNanoseconds) / 1e9,
                      cacheBytes: cache.byteCount)
    }

    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return Int32(best)
    }
}
