import Foundation

/// `rag tokenize TEXT [--special]`: the generator's BPE ids.
enum TokenizeGenerator {
    static func run(_ invocation: Invocation) throws {
        throw notBuiltYet("tokenize", issue: 4)
    }
}
