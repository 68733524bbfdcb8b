import Foundation
import Generator
import ModelKit

/// `rag bench passkey [--lengths 2048,4096,...] [--depths N] [--attention POLICY --window W --budget B]`:
/// passkey retrieval (a 5-digit key hidden in repeated filler, asked for at the end; greedy answer) at each length
/// and `--depths` evenly spaced depths (the prompt is `length` minus the 8 answer tokens). Prints one JSON object with the accuracy per length and every case.
/// Dense attention is out of its trained range beyond the model's context and is refused there.
enum BenchPasskey {
    static let defaultLengths = [2048, 4096, 8192, 16384, 32768]
    static let answerTokens = 8

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let lengths = try BenchLists.integers(arguments, "lengths", default: defaultLengths, range: 64...131_072).sorted()
        let depthCount = try arguments.int("depths", default: 10, range: 1...100)!
        let threads = try arguments.int("threads", default: ComputeThreads.defaultCount, range: 1...256)!
        let settings = try GeneratorOptions.attention(arguments, budgetOption: "budget")
        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let generator = try LoadedGenerator(path: path, threads: threads)
        let config = generator.model.config
        if settings.kind == .dense, let long = lengths.first(where: { $0 > config.contextLength }) {
            throw CommandFailure(message: "--lengths \(long) is beyond the model's trained context of \(config.contextLength) tokens for dense attention (use --attention window or topk)")
        }
        let task = PasskeyTask(tokenizer: generator.tokenizer)
        var policyName = ""
        var perLength: [[String: Any]] = []
        for length in lengths {
            var cases: [[String: Any]] = []
            var correct = 0
            for depthIndex in 0..<depthCount {
                let depth = (Double(depthIndex) + 0.5) / Double(depthCount)
                let passkey = PasskeyTask.passkey(length: length, depthIndex: depthIndex)
                // The prompt plus the answer make `length` tokens (so 8192 stays inside dense attention's range).
                let prompt = task.prompt(length: length - answerTokens, depth: depth, passkey: passkey)
                let attention = try settings.makePolicy(config: config)
                policyName = attention.name
                let result = try LongContextRun(model: generator.model, attention: attention)
                    .run(prompt: prompt, maxTokens: answerTokens, stopTokens: generator.tokenizer.stopTokenIds)
                let answer = generator.tokenizer.decode(result.tokens, skipSpecialTokens: true)
                let ok = PasskeyTask.isCorrect(answer: answer, passkey: passkey)
                if ok { correct += 1 }
                invocation.console.info(String(format: "bench passkey: %@ length %d depth %.2f: %@ (%@) prefill %.1fs",
                                               attention.name, length, depth, ok ? "ok" : "miss",
                                               answer.trimmingCharacters(in: .whitespacesAndNewlines), result.prefillSeconds))
                cases.append(["depth": depth, "passkey": passkey, "answer": answer, "correct": ok,
                              "prompt_tokens": prompt.count, "prefill_seconds": result.prefillSeconds])
            }
            // Lengths run in ascending order, so the process peak so far is this length's peak.
            perLength.append(["length": length, "accuracy": Double(correct) / Double(depthCount), "cases": cases,
                              "peak_resident_bytes": ProcessMemory.peakResidentBytes() ?? -1])
        }
        var report: [String: Any] = [
            "benchmark": "passkey",
            "model": KnownModels.generator.relativePath,
            "attention": policyName,
            "kv_cache": settings.kvCache.rawValue,
            "depths": depthCount,
            "threads": threads,
            "results": perLength,
        ]
        if let window = settings.window { report["window"] = window }
        if let budget = settings.budget { report["budget"] = budget }
        invocation.console.result(try JSONOutput.line(report))
    }
}

/// Comma-separated integer lists for benchmark options.
enum BenchLists {
    static func integers(_ arguments: ParsedArguments, _ name: String, default fallback: [Int],
                         range: ClosedRange<Int>) throws -> [Int] {
        guard let text = arguments.string(name) else { return fallback }
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && range.contains($0!) }) else {
            throw UsageError(message: "invalid value for --\(name): '\(text)' (expected comma-separated integers in \(range.lowerBound)...\(range.upperBound))", command: arguments.command)
        }
        return values.map { $0! }
    }
}
