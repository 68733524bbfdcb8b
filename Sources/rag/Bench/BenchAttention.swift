import Foundation
import Generator
import ModelKit

/// `rag bench attention [--contexts 1024,4096,...] [--decode N] [--attention POLICY --window W --budget B] [--kv-cache f32|f16]`:
/// decode speed and memory of one attention policy at several context lengths. For each context the policy's cache
/// is filled with that many positions of synthetic keys/values (decode cost does not depend on their values; this
/// avoids a 32K-token prefill per point), then `--decode` tokens run through the real model one at a time.
/// Contexts run in ascending order, so the process peak resident memory after each one is that context's peak.
enum BenchAttention {
    static let defaultContexts = [1024, 4096, 8192, 16384, 32768]

    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let contexts = try BenchLists.integers(arguments, "contexts", default: defaultContexts, range: 1...131_072).sorted()
        let decodeTokens = try arguments.int("decode", default: 32, range: 1...4096)!
        let threads = try arguments.int("threads", default: ComputeThreads.defaultCount, range: 1...256)!
        let settings = try GeneratorOptions.attention(arguments, budgetOption: "budget")
        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let model = try LlamaModel(path: path, threads: threads)
        let scratch = model.makeScratch(maxTokens: 512)
        var points: [[String: Any]] = []
        var policyName = ""
        for context in contexts {
            let attention = try settings.makePolicy(config: model.config)
            policyName = attention.name
            let cache = attention.makeCache(config: model.config, positions: context + decodeTokens + 1, batchSize: scratch.maxTokens)
            cache.appendSyntheticPositions(context, attention: attention)
            var random = SeededRandom(seed: UInt64(context))
            var token = Int32(random.next() % UInt64(model.config.vocabularySize))
            // One warm-up step, then the timed ones.
            try model.forward([token], cache: cache, scratch: scratch, attention: attention)
            let start = DispatchTime.now()
            let startCPU = ProcessCPUTime.seconds()
            for _ in 0..<decodeTokens {
                token = Int32(random.next() % UInt64(model.config.vocabularySize))
                try model.forward([token], cache: cache, scratch: scratch, attention: attention)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let cpuSeconds = ProcessCPUTime.seconds() - startCPU
            var point: [String: Any] = [
                "context": context,
                "decode_tokens": decodeTokens,
                "decode_seconds": seconds,
                "decode_tokens_per_second": Double(decodeTokens) / seconds,
                // CPU time of all threads: on a shared machine less noisy than wall time (with --threads 1, the cost).
                "decode_cpu_seconds": cpuSeconds,
                "decode_tokens_per_cpu_second": Double(decodeTokens) / cpuSeconds,
                "kv_cache_bytes": cache.byteCount,
                "kv_cache_slots": cache.capacity,
                "peak_resident_bytes": ProcessMemory.peakResidentBytes() ?? -1,
            ]
            if let topk = attention as? TopKPageAttention { point["page_summary_bytes"] = topk.summaries.byteCount }
            invocation.console.info(String(format: "bench attention: %@ context %d: %.2f tok/s (%.2f per CPU second), cache %.1f MiB",
                                           attention.name, context, Double(decodeTokens) / seconds, Double(decodeTokens) / cpuSeconds,
                                           Double(cache.byteCount) / 1_048_576))
            points.append(point)
        }
        let config = model.config
        var report: [String: Any] = [
            "benchmark": "attention",
            "model": KnownModels.generator.relativePath,
            "attention": policyName,
            "threads": threads,
            "kv_cache": settings.kvCache.rawValue,
            "kv_bytes_per_token": KVCache.bytesPerPosition(layers: config.blockCount, kvWidth: config.kvWidth, precision: settings.kvCache),
            "points": points,
        ]
        if let window = settings.window { report["window"] = window }
        if let budget = settings.budget { report["budget"] = budget }
        if settings.kind == .topk {
            report["page_summary_bytes_per_token"] = KeyPageSummaries.bytesPerPosition(layers: config.blockCount, kvWidth: config.kvWidth)
            report["page_size"] = TopKPageAttention.pageSize
        }
        invocation.console.result(try JSONOutput.line(report))
    }
}

/// CPU time used by this process so far (all threads), in seconds.
enum ProcessCPUTime {
    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
