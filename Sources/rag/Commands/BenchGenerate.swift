import Foundation
import Generator
import ModelKit

/// `rag bench generate [--context N] [--threads N]`: prefill N prompt tokens (default 512), then decode 128 tokens,
/// like `llama-bench -p 512 -n 128`, three times. Prints the median tokens per second (and each run) and the peak
/// resident memory as JSON.
enum BenchGenerate {
    static let decodeTokens = 128
    static let repetitions = 3

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let promptTokens = try arguments.int("context", default: 512, range: 1...65536)!
        let threads = try arguments.int("threads", default: ComputeThreads.defaultCount, range: 1...256)!
        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let model = try LlamaModel(path: path, threads: threads)
        let attention = try AttentionChoice.policy(from: arguments, config: model.config)
        guard promptTokens + decodeTokens <= model.config.contextLength else {
            throw CommandFailure(message: "--context \(promptTokens) plus \(decodeTokens) decoded tokens exceed the model context of \(model.config.contextLength)")
        }

        // A fixed pseudo-random prompt (like llama-bench): the cost does not depend on the text.
        var random = SeededRandom(seed: 42)
        let prompt = (0..<promptTokens).map { _ in Int32(random.next() % UInt64(model.config.vocabularySize)) }
        let generation = TextGeneration(model: model, attention: attention)
        let options = GenerationOptions(maxTokens: decodeTokens, sampler: .greedy, stopTokens: [], batchSize: 512)

        invocation.console.info("bench generate: warm-up")
        _ = try generation.generate(prompt: Array(prompt.prefix(16)), options: GenerationOptions(maxTokens: 4, stopTokens: []))
        var prefillRates: [Double] = []
        var decodeRates: [Double] = []
        var decoded = 0
        for run in 1...repetitions {
            invocation.console.info("bench generate: run \(run)/\(repetitions): prefill \(promptTokens) tokens, decode \(decodeTokens) tokens, \(threads) threads")
            let result = try generation.generate(prompt: prompt, options: options)
            prefillRates.append(Double(promptTokens) / result.prefillSeconds)
            // The first decoded token comes from the prefill logits; each later one costs one forward.
            decodeRates.append(Double(max(1, result.tokens.count - 1)) / result.decodeSeconds)
            decoded = result.tokens.count
        }
        let cacheBytes = model.makeCacheByteCount(capacity: promptTokens + decodeTokens)
        let report: [String: Any] = [
            "benchmark": "generate",
            "model": KnownModels.generator.relativePath,
            "threads": threads,
            "attention": attention.name,
            "prompt_tokens": promptTokens,
            "decode_tokens": decoded,
            "repetitions": repetitions,
            "prefill_tokens_per_second": median(prefillRates),
            "decode_tokens_per_second": median(decodeRates),
            "prefill_tokens_per_second_runs": prefillRates,
            "decode_tokens_per_second_runs": decodeRates,
            "peak_resident_bytes": ProcessMemory.peakResidentBytes() ?? -1,
            "model_file_bytes": KnownModels.generator.byteCount,
            "kv_cache_bytes": cacheBytes,
        ]
        invocation.console.result(try JSONOutput.line(report))
    }
}

/// Peak resident memory of this process (VmHWM in /proc/self/status).
enum ProcessMemory {
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            if let kilobytes = digits.first { return kilobytes * 1024 }
        }
        return nil
    }
}

/// One JSON object on one line with sorted keys.
enum JSONOutput {
    static func line(_ object: [String: Any]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// `--attention dense|window|topk`, `--window W`, `--budget B` for `generate` and the benchmarks.
enum AttentionChoice {
    static func policy(from arguments: ParsedArguments, config: LlamaConfig) throws -> AttentionPolicy {
        try GeneratorOptions.attention(arguments, budgetOption: "budget").makePolicy(config: config)
    }
}
