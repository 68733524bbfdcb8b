import Foundation

/// How to pick the next token from logits.
public struct SamplerSettings: Equatable, Sendable {
    /// 0 picks the most likely token (greedy); higher values flatten the distribution.
    public var temperature: Float
    /// Keep only the k most likely tokens (0: off).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1: off).
    public var topP: Float
    /// Drop tokens whose probability is below minP × the top probability (0: off).
    public var minP: Float
    /// Divides positive (multiplies negative) logits of recently seen tokens (1: off).
    public var repetitionPenalty: Float
    /// How many recent tokens the repetition penalty looks at.
    public var repetitionWindow: Int
    /// n-gram blocking (0: off): a token that would repeat an n-gram already generated is never picked, so the
    /// output cannot loop ("key-value-key-value-…"). Only generated tokens count, so copying from the prompt stays free.
    public var noRepeatNGram: Int
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, repetitionWindow: Int = 64, noRepeatNGram: Int = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.noRepeatNGram = noRepeatNGram
        self.seed = seed
    }

    public static let greedy = SamplerSettings()
}

/// Picks tokens from logits: repetition penalty → greedy, or temperature → top-k → top-p → min-p → draw.
/// Deterministic for a given seed. Keeps its buffers between calls (no allocation per token after the first).
public struct Sampler: Sendable {
    public let settings: SamplerSettings
    private var random: SeededRandom
    private var adjusted: [Float] = []
    private var candidates: [Int32] = []
    private var probabilities: [Float] = []

    public init(_ settings: SamplerSettings) {
        self.settings = settings
        random = SeededRandom(seed: settings.seed)
    }

    /// The next token for `logits` ([vocab]), given the tokens so far (`history`, for the repetition penalty) and
    /// the generated ones among them (`generated`, for n-gram blocking).
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32> = [],
                                generated: ArraySlice<Int32> = []) -> Int32 {
        adjusted.removeAll(keepingCapacity: true)
        adjusted.append(contentsOf: logits)
        applyRepetitionPenalty(history)
        blockRepeatedNGrams(generated)
        if settings.temperature <= 0 { return Int32(argmax(adjusted)) }

        // Candidates: all tokens, or the top k by logit.
        buildCandidates()
        // Softmax with temperature over the candidates (sorted by descending logit when k or p is active).
        let inverseTemperature = 1 / settings.temperature
        let maxLogit = adjusted[Int(candidates[0])]
        probabilities.removeAll(keepingCapacity: true)
        var total: Double = 0
        for id in candidates {
            let p = expf((adjusted[Int(id)] - maxLogit) * inverseTemperature)
            probabilities.append(p)
            total += Double(p)
        }
        var keep = candidates.count
        // Top-p over the sorted candidates.
        if settings.topP < 1 {
            var cumulative: Double = 0
            for i in 0..<keep {
                cumulative += Double(probabilities[i]) / total
                if cumulative >= Double(settings.topP) { keep = i + 1; break }
            }
        }
        // Min-p relative to the most likely candidate (probabilities[0] is the maximum: the candidates start with the argmax).
        if settings.minP > 0 {
            let threshold = probabilities[0] * settings.minP
            var kept = 0
            for i in 0..<keep where probabilities[i] >= threshold {
                candidates[kept] = candidates[i]
                probabilities[kept] = probabilities[i]
                kept += 1
            }
            keep = max(1, kept)
        }
        var mass: Double = 0
        for i in 0..<keep { mass += Double(probabilities[i]) }
        var target = random.nextUnit() * mass
        for i in 0..<keep {
            target -= Double(probabilities[i])
            if target < 0 { return candidates[i] }
        }
        return candidates[keep - 1]
    }

    private mutating func applyRepetitionPenalty(_ history: ArraySlice<Int32>) {
        let penalty = settings.repetitionPenalty
        guard penalty != 1, settings.repetitionWindow > 0 else { return }
        var seen = Set<Int32>()
        for id in history.suffix(settings.repetitionWindow) where seen.insert(id).inserted {
            let i = Int(id)
            guard i >= 0, i < adjusted.count else { continue }
            adjusted[i] = adjusted[i] > 0 ? adjusted[i] / penalty : adjusted[i] * penalty
        }
    }

    /// Every token that would complete an n-gram already in `generated` gets −∞ (the n − 1 tokens before it match
    /// the last n − 1 generated tokens).
    private mutating func blockRepeatedNGrams(_ generated: ArraySlice<Int32>) {
        let n = settings.noRepeatNGram
        guard n > 1, generated.count >= n else { return }
        let first = generated.startIndex, prefixStart = generated.endIndex - (n - 1)
        for start in first...(generated.endIndex - n) {
            var matches = true
            for k in 0..<(n - 1) where generated[start + k] != generated[prefixStart + k] {
                matches = false
                break
            }
            let banned = Int(generated[start + n - 1])
            if matches, banned >= 0, banned < adjusted.count { adjusted[banned] = -.infinity }
        }
    }

    /// Fills `candidates`, always starting with the argmax. Sorted by descending logit when top-k or top-p needs an order.
    private mutating func buildCandidates() {
        candidates.removeAll(keepingCapacity: true)
        let count = adjusted.count
        let needsOrder = settings.topK > 0 || settings.topP < 1
        if settings.topK > 0 && settings.topK < count {
            // Keep the k largest with a bounded min-heap, then sort them.
            var heap: [(Float, Int32)] = []
            heap.reserveCapacity(settings.topK)
            for i in 0..<count {
                let v = adjusted[i]
                if heap.count < settings.topK {
                    heap.append((v, Int32(i)))
                    if heap.count == settings.topK { heap.sort { $0.0 < $1.0 } }
                } else if v > heap[0].0 {
                    // Replace the smallest and restore order by insertion (k is small).
                    heap[0] = (v, Int32(i))
                    var j = 0
                    while j + 1 < heap.count && heap[j].0 > heap[j + 1].0 { heap.swapAt(j, j + 1); j += 1 }
                }
            }
            heap.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            candidates.append(contentsOf: heap.map(\.1))
            return
        }
        if needsOrder {
            // Exact top-p without sorting the whole vocabulary when the mass is concentrated:
            // sort the tokens within a logit margin of the max first; fall back to everything if they hold too little mass.
            let maxLogit = adjusted.max() ?? 0
            let margin = 20 * max(settings.temperature, 1e-3)   // exp(−20) ≈ 2e−9 relative probability
            for i in 0..<count where adjusted[i] >= maxLogit - margin { candidates.append(Int32(i)) }
            if candidates.count < count && !nearbyMassSuffices(maxLogit: maxLogit) {
                candidates = (0..<Int32(count)).map { $0 }
            }
            candidates.sort { adjusted[Int($0)] > adjusted[Int($1)] || (adjusted[Int($0)] == adjusted[Int($1)] && $0 < $1) }
            return
        }
        let best = argmax(adjusted)
        candidates.append(Int32(best))
        for i in 0..<count where i != best { candidates.append(Int32(i)) }
    }

    /// Whether the current candidate set already reaches the top-p mass (so tokens outside it can never be kept).
    private func nearbyMassSuffices(maxLogit: Float) -> Bool {
        let inverseTemperature = 1 / settings.temperature
        var inside: Double = 0, all: Double = 0
        for id in candidates { inside += Double(expf((adjusted[Int(id)] - maxLogit) * inverseTemperature)) }
        for value in adjusted { all += Double(expf((value - maxLogit) * inverseTemperature)) }
        return inside / all >= Double(settings.topP)
    }

    private func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in 1..<values.count where values[i] > values[best] { best = i }
        return best
    }
}
