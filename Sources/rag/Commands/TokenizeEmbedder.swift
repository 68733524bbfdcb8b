import Foundation

/// `rag tokenize --embedder TEXT`: WordPiece ids with [CLS]/[SEP].
enum TokenizeEmbedder {
    static func run(_ invocation: Invocation) throws {
        throw notBuiltYet("tokenize --embedder", issue: 5)
    }
}
