import Foundation

/// A chat message as retrieval builds it (the generator's template renders it).
public struct PromptMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

public struct GenerationOptions: Sendable {
    public var maxTokens = 256
    /// 0 = greedy.
    public var temperature: Double = 0
    public var topK: Int?
    public var topP: Double?
    public var seed: UInt64?
    public var repetitionPenalty: Double = 1.0
    /// n-gram blocking in the sampler (0: off). On by default for everything `rag` generates from documents:
    /// a 135M model loops, and a repeated 4-token sequence is never needed in a short answer or summary.
    public var noRepeatNGram = 4

    public init() {}
}

public struct GenerationOutcome: Sendable {
    public var text: String
    public var promptTokens: Int
    public var generatedTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    /// Time from the start of the call to the first streamed text.
    public var firstTokenSeconds: Double?

    public init(text: String, promptTokens: Int, generatedTokens: Int, prefillSeconds: Double, decodeSeconds: Double,
                firstTokenSeconds: Double? = nil) {
        self.text = text
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
        self.firstTokenSeconds = firstTokenSeconds
    }
}

/// What retrieval needs from a language model. `rag` injects the Generator-backed implementation;
/// tests use fakes. Retrieval never imports Generator.
public protocol TextGenerator: AnyObject {
    /// The model's context length in tokens.
    var contextLength: Int { get }
    /// Tokens of plain text (no template), for budgets.
    func countTokens(_ text: String) -> Int
    /// Tokens of the rendered prompt, template included.
    func promptTokens(_ messages: [PromptMessage]) -> Int
    /// Generates a reply; `onText` receives streamed text and returns false to stop early.
    func generate(_ messages: [PromptMessage], options: GenerationOptions,
                  onText: (String) -> Bool) throws -> GenerationOutcome
}
