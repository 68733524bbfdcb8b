import Embedder
import Foundation
import Index

/// `rag embed TEXT`: the text's 384-d embedding (L2-normalized) as a JSON array on stdout.
enum EmbedCommand {
    static let spec = CommandSpec(
        name: "embed",
        summary: "print the 384-d embedding of a text as a JSON array",
        usage: ["embed [options] TEXT"],
        options: [
            OptionSpec("int8", help: "use the INT8 embedder (all-MiniLM-L6-v2-int8)"),
        ],
        positionals: 1...1,
        details: "The embedding is all-MiniLM-L6-v2's: mean pooling over all tokens, L2-normalized; texts longer than 256 word pieces are truncated.",
        run: { invocation in
            let embedder = try BertEmbedder(models: DataPaths.models(invocation.global),
                                            precision: invocation.arguments.flag("int8") ? .int8 : .float32)
            let vector = try embedder.embed([invocation.arguments.positionals[0]])[0]
            invocation.console.result(JSONArray.floats(vector))
        })
}

/// Compact JSON arrays of numbers, one line.
enum JSONArray {
    /// Floats in their shortest round-trip form (`Float.description`), e.g. `[0.0123, -0.5]`.
    static func floats(_ values: [Float]) -> String {
        "[" + values.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ", ") + "]"
    }

    static func integers(_ values: [Int32]) -> String {
        "[" + values.map(String.init).joined(separator: ", ") + "]"
    }
}
