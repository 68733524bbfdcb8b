import Foundation

/// The prompt that asks the generator to answer from numbered sources and cite them.
public enum GroundedPrompt {
    /// What the answer says when the sources do not hold the answer (also used by the evidence gate).
    public static let noAnswer = "The documents don't say."

    /// Measured on SmolLM2-135M-Instruct with `rag eval answers` (benchmarks/retrieval.md): a plain
    /// "Context / Question / Answer" layout gets the most facts right. Longer instructions (cite as [n],
    /// refuse when unsure) made this small model copy the instructions or refuse answerable questions, so
    /// refusals come from the evidence gate and citations from `Citations` or `Attribution`.
    public static let systemInstruction = "You are a helpful assistant. Answer the question using the context."

    public static func messages(question: String, context: PackedContext, history: [PromptMessage] = [],
                                summary: String? = nil) -> [PromptMessage] {
        var system = systemInstruction
        if let summary, !summary.isEmpty {
            system += "\n\nSummary of the conversation so far: " + summary
        }
        let sourcesBlock = context.sources.map(ContextPacker.render).joined(separator: "\n")
        let user = "Context:\n\(sourcesBlock)\nQuestion: \(question)\nAnswer:"
        return [PromptMessage(.system, system)] + history + [PromptMessage(.user, user)]
    }
}

/// Finds the source numbers an answer cites: `[1]`, `[1, 3]`, `[2][4]`, `[1 and 2]`, `[source 2]`.
public enum Citations {
    public static func numbers(in answer: String, sourceCount: Int) -> [Int] {
        var found: [Int] = []
        _ = CitationMarkers.rewrite(answer) { numbers in
            for number in numbers where (1...max(1, sourceCount)).contains(number) && !found.contains(number) {
                found.append(number)
            }
            return nil
        }
        return found
    }
}

/// Cuts text to at most `limit` tokens (whole Unicode scalars; binary search on the prefix length).
public func truncate(_ text: String, toTokens limit: Int, countTokens: (String) -> Int) -> String {
    guard countTokens(text) > limit else { return text }
    let scalars = Array(text.unicodeScalars)
    var low = 0, high = scalars.count
    while low < high {
        let mid = (low + high + 1) / 2
        if countTokens(String(String.UnicodeScalarView(scalars[0..<mid]))) <= limit { low = mid } else { high = mid - 1 }
    }
    return String(String.UnicodeScalarView(scalars[0..<low]))
}
