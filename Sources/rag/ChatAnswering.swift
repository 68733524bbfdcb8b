import Foundation
import Retrieval

/// Builds the answer pipeline a chat runs on: the index, the embedder and the generator, as `rag ask` does.
enum ChatAnswering {
    static func makeAnswerEngine(_ invocation: Invocation, options: AskOptions) throws -> AnswerEngine {
        // The index store, the embedder and the generator are built by 'rag ask' (issue #6); chat reuses them.
        throw CommandFailure(message: "'rag chat' answers through the pipeline of 'rag ask', which is not built yet (tracked in issue #6); 'rag chat --list' and '--delete' work")
    }
}
