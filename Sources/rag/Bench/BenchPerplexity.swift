import Foundation
import Generator
import ModelKit

/// `rag bench perplexity FILE --context N`: perplexity of a text file under the generator.
/// Method: tokenize the whole file (no BOS), cut it into consecutive non-overlapping windows of N tokens
/// (the final partial window is dropped), score tokens 1..N−1 of each window given their prefix in the window,
/// PPL = exp(mean negative log-likelihood).
enum BenchPerplexity {
    static func run(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        guard arguments.positionals.count == 2 else {
            throw UsageError(message: "missing FILE for 'bench perplexity' (usage: rag bench perplexity FILE --context N)", command: "bench")
        }
        let filePath = arguments.positionals[1]
        guard let context = try arguments.int("context", range: 2...65536) else {
            throw UsageError(message: "'bench perplexity' needs --context N", command: "bench")
        }
        let threads = try arguments.int("threads", default: ComputeThreads.defaultCount, range: 1...256)!
        guard let text = try? String(contentsOfFile: filePath, encoding: .utf8) else {
            throw CommandFailure(message: "cannot read \(filePath) as UTF-8 text")
        }
        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let file = try GGUFFile(path: path)
        let model = try LlamaModel(file: file, threads: threads)
        let tokenizer = try ByteLevelBPETokenizer(gguf: file)
        guard context <= model.config.contextLength else {
            throw CommandFailure(message: "--context \(context) exceeds the model context of \(model.config.contextLength)")
        }
        let ids = tokenizer.encode(text)
        let windows = ids.count / context
        guard windows > 0 else {
            throw CommandFailure(message: "\(filePath) has \(ids.count) tokens, fewer than one window of --context \(context)")
        }
        let attention = try AttentionChoice.policy(from: arguments, config: model.config)
        let evaluator = PerplexityEvaluator(model: model, attention: attention, window: context)
        let start = DispatchTime.now()
        let result = try evaluator.evaluate(ids) { done in
            invocation.console.info("bench perplexity: window \(done)/\(windows)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        var report: [String: Any] = [
            "benchmark": "perplexity",
            "file": filePath,
            "context": context,
            "attention": attention.name,
            "kv_cache": attention.cachePrecision.rawValue,
            "tokens": ids.count,
            "scored_tokens": result.scoredTokens,
            "perplexity": result.perplexity,
            "seconds": seconds,
            "tokens_per_second": Double(windows * context) / seconds,
            "threads": threads,
        ]
        if let topk = attention as? TopKPageAttention {
            report["budget"] = topk.budget
            report["window"] = topk.window
            report["page_size"] = TopKPageAttention.pageSize
        } else if let window = attention as? SlidingWindowAttention {
            report["window"] = window.window
        }
        invocation.console.result(try JSONOutput.line(report))
    }
}
