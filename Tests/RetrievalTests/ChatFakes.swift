import Foundation
import Index
import Retrieval

/// A generator for chat tests: tells condensing, summarizing and answering prompts apart by their
/// instruction, replies with what the test scripts for each, honours `maxTokens` and `onText` like the
/// real one, and records the size of every prompt it is given. Tokens are words.
final class ChatScriptGenerator: TextGenerator {
    enum Kind: Equatable { case condense, answer, other }

    struct Call {
        var kind: Kind
        var messages: [PromptMessage]
        var promptTokens: Int
        var maxTokens: Int
    }

    let contextLength = 8192
    var condenseReply: ([PromptMessage]) -> String = { _ in "What is the KV cache?" }
    var answerReply: ([PromptMessage]) -> String = { _ in "The cache stores keys and values [1]." }
    private(set) var calls: [Call] = []

    func countTokens(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
    func promptTokens(_ messages: [PromptMessage]) -> Int { messages.map { countTokens($0.content) + 4 }.reduce(0, +) }

    func calls(_ kind: Kind) -> [Call] { calls.filter { $0.kind == kind } }

    func generate(_ messages: [PromptMessage], options: GenerationOptions, onText: (String) -> Bool) throws -> GenerationOutcome {
        let kind: Kind
        switch messages.first?.content {
        case QuestionCondenser.instruction?: kind = .condense
        case GroundedPrompt.systemInstruction?: kind = .answer
        case let system? where system.hasPrefix(GroundedPrompt.systemInstruction): kind = .answer
        default: kind = .other
        }
        let tokens = promptTokens(messages)
        calls.append(Call(kind: kind, messages: messages, promptTokens: tokens, maxTokens: options.maxTokens))
        let reply: String
        switch kind {
        case .condense: reply = condenseReply(messages)
        case .answer: reply = answerReply(messages)
        case .other: reply = "A short section summary."
        }
        var text = ""
        for (index, word) in reply.split(separator: " ").prefix(options.maxTokens).enumerated() {
            let piece = (index == 0 ? "" : " ") + word
            text += piece
            if !onText(piece) { break }
        }
        return GenerationOutcome(text: text, promptTokens: tokens, generatedTokens: countTokens(text),
                                 prefillSeconds: 0, decodeSeconds: 0)
    }
}

enum ChatTestError: Error { case generatorFailed }

/// Text of `count` words drawn from the corpus vocabulary (so retrieval finds evidence for it).
func words(_ count: Int, seed: Int = 0) -> String {
    let vocabulary = ["cache", "keys", "values", "attention", "heads", "memory", "tokens", "layers", "query",
                      "window", "sparse", "dense", "rotary", "position", "context", "length"]
    return (0..<count).map { vocabulary[($0 * 7 + seed * 3) % vocabulary.count] }.joined(separator: " ")
}

/// A corpus whose retrieved sources fill a 1500-token budget (12 chunks of 300 words: 8 retrieved = 2400 words),
/// small enough that 200 turns of the fake lexical search stay quick.
func makeChatCorpus() throws -> MemoryCorpus {
    let documents = (0..<2).map { document in
        (path: "note-\(document).md", chunks: (0..<6).map { chunk in
            // 6 lines of 50 words: the packer can cut a source at a line to fill the budget.
            (0..<6).map { line in words(50, seed: document * 36 + chunk * 6 + line) }.joined(separator: "\n")
        })
    }
    return try MemoryCorpus(embedder: HashingEmbedder(), documents: documents)
}

func makeChatEngine(generator: ChatScriptGenerator, store: ChatSessionStore, name: String = "test",
                    budget: ChatBudget = ChatBudget()) throws -> ChatEngine {
    let retriever = try HybridRetriever(corpus: try makeChatCorpus(), embedder: HashingEmbedder())
    var settings = AnswerSettings()
    settings.evidenceModel = alwaysAnswering
    let answers = AnswerEngine(retriever: retriever, generator: generator, settings: settings)
    return try ChatEngine(answerEngine: answers, store: store, sessionName: name, budget: budget)
}

/// An evidence model that ranks by overlap and never refuses: the chat tests' answers always quote a unit.
let alwaysAnswering: EvidenceModel = {
    var ranker = Array(repeating: 0.0, count: EvidenceFeatures.names.count)
    ranker[EvidenceFeatures.names.firstIndex(of: "overlap")!] = 1
    return EvidenceModel(rankerWeights: ranker, rerankWeights: ranker,
                         answerabilityWeights: Array(repeating: 0, count: AnswerabilityFeatures.names.count + 1),
                         refusalThreshold: 0, likelihoodCandidates: 0)
}()
