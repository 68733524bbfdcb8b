import Foundation
import Generator
import ModelKit

/// `rag bench generate [--context N] [--threads N]`: prefill then decode 128 tokens, three times each, medians as JSON.
/// Without `--context`: prefill rates at 512 and 2,048 prompt tokens and decode rates after 16 and 2,048 (the
/// standard set). With `--context N`: one length, like `llama-bench -p N -n 128`, with every run's rate.
enum BenchGenerate {
    static let decodeTokens = 128
    static let repetitions = 3

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    /// Median prefill and decode rates over `repetitions` runs of `promptTokens` + `decodeTokens`.
    struct Measurement {
        let promptTokens: Int
        let prefillRates: [Double]
        let decodeRates: [Double]
        let decoded: Int
    }

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let explicitContext = try arguments.int("context", range: 1...65536)
        let threads = try arguments.int("threads", default: ComputeThreads.defaultCount, range: 1...256)!
        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let model = try LlamaModel(path: path, threads: threads)
        let attention = try AttentionChoice.policy(from: arguments, config: model.config)
        // Without --context: the standard set (prefill at 512 and 2,048 tokens; decode after 16 and 2,048).
        let lengths = explicitContext.map { [$0] } ?? [16, 512, 2048]
        for length in lengths where length + decodeTokens > model.config.contextLength {
            throw CommandFailure(message: "--context \(length) plus \(decodeTokens) decoded tokens exceed the model context of \(model.config.contextLength)")
        }

        // A fixed pseudo-random prompt (like llama-bench): the cost does not depend on the text.
        var random = SeededRandom(seed: 42)
        let longest = lengths.max()!
        let prompt = (0..<longest).map { _ in Int32(random.next() % UInt64(model.config.vocabularySize)) }
        let generation = TextGeneration(model: model, attention: attention)
        let options = GenerationOptions(maxTokens: decodeTokens, sampler: .greedy, stopTokens: [], batchSize: 512)

        invocation.console.info("bench generate: warm-up")
        _ = try generation.generate(prompt: Array(prompt.prefix(16)), options: GenerationOptions(maxTokens: 4, stopTokens: []))
        var measurements: [Measurement] = []
        for length in lengths {
            var prefillRates: [Double] = []
            var decodeRates: [Double] = []
            var decoded = 0
            for run in 1...repetitions {
                invocation.console.info("bench generate: run \(run)/\(repetitions): prefill \(length) tokens, decode \(decodeTokens) tokens, \(threads) threads")
                let result = try generation.generate(prompt: Array(prompt.prefix(length)), options: options)
                prefillRates.append(Double(length) / result.prefillSeconds)
                // The first decoded token comes from the prefill logits; each later one costs one forward.
                decodeRates.append(Double(max(1, result.tokens.count - 1)) / result.decodeSeconds)
                decoded = result.tokens.count
            }
            measurements.append(Measurement(promptTokens: length, prefillRates: prefillRates, decodeRates: decodeRates, decoded: decoded))
        }

        var report: [String: Any] = [
            "benchmark": "generate",
            "model": KnownModels.generator.relativePath,
            "threads": threads,
            "attention": attention.name,
            "kv_cache": attention.cachePrecision.rawValue,
            "decode_tokens": measurements[0].decoded,
            "repetitions": repetitions,
            "peak_resident_bytes": ProcessMemory.peakResidentBytes() ?? -1,
            "model_file_bytes": KnownModels.generator.byteCount,
            "kv_cache_bytes": model.makeCacheByteCount(capacity: longest + decodeTokens, precision: attention.cachePrecision),
        ]
        if let only = measurements.first, explicitContext != nil {
            report["prompt_tokens"] = only.promptTokens
            report["prefill_tokens_per_second"] = median(only.prefillRates)
            report["decode_tokens_per_second"] = median(only.decodeRates)
            report["prefill_tokens_per_second_runs"] = only.prefillRates
            report["decode_tokens_per_second_runs"] = only.decodeRates
        } else {
            for m in measurements {
                if m.promptTokens >= 512 { report["prefill_\(m.promptTokens)_tokens_per_second"] = median(m.prefillRates) }
                if m.promptTokens != 512 { report["decode_after_\(m.promptTokens)_tokens_per_second"] = median(m.decodeRates) }
            }
        }
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
