import Embedder
import Foundation
import Index

/// `rag tokenize --embedder TEXT`: WordPiece ids with [CLS]/[SEP], truncated to 256 like the model input.
enum TokenizeEmbedder {
    static func run(_ invocation: Invocation) throws {
        let tokenizer = try WordPieceTokenizer(models: DataPaths.models(invocation.global))
        let ids = tokenizer.encodeForModel(invocation.arguments.positionals[0])
        invocation.console.result(JSONArray.integers(ids))
        let untruncated = tokenizer.tokenCount(invocation.arguments.positionals[0])
        if untruncated > ids.count {
            invocation.console.info("note: \(untruncated) tokens, truncated to \(ids.count) (the model's input limit)")
        }
    }
}
