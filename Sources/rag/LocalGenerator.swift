import Foundation
import Generator
import ModelKit
import Retrieval

/// The Generator engine behind Retrieval's `TextGenerator` protocol: chat template, streaming
/// detokenization, sampling settings and timings. One instance keeps its KV cache between calls.
///
/// Prompts longer than `longPromptThreshold` tokens (whole documents on the long-context routes) run
/// through `longPromptAttention` (top-k page attention) when the user did not choose a policy.
final class LocalGenerator: TextGenerator, LikelihoodScoring {
    static let longPromptThreshold = 3072

    let loaded: LoadedGenerator
    let generation: TextGeneration
    let longGeneration: TextGeneration?

    init(loaded: LoadedGenerator, attention: AttentionPolicy = DenseAttention(), longPromptAttention: AttentionPolicy? = nil) {
        self.loaded = loaded
        self.generation = TextGeneration(model: loaded.model, attention: attention)
        self.longGeneration = longPromptAttention.map { TextGeneration(model: loaded.model, attention: $0) }
    }

    var contextLength: Int { loaded.model.config.contextLength }

    private lazy var likelihood = ContinuationLikelihood(model: loaded.model)

    func meanLogLikelihoods(_ pairs: [(context: String, continuation: String)]) throws -> [Double] {
        try pairs.map { pair in
            try likelihood.meanLogLikelihood(context: loaded.tokenizer.encode(pair.context),
                                             continuation: loaded.tokenizer.encode(pair.continuation))
        }
    }

    func countTokens(_ text: String) -> Int { loaded.tokenizer.count(text) }

    func promptTokens(_ messages: [PromptMessage]) -> Int {
        loaded.chatTemplate.render(chatMessages(messages), addGenerationPrompt: true).ids.count
    }

    func generate(_ messages: [PromptMessage], options: Retrieval.GenerationOptions,
                  onText: (String) -> Bool) throws -> GenerationOutcome {
        let prompt = loaded.chatTemplate.render(chatMessages(messages), addGenerationPrompt: true).ids
        var settings = Generator.GenerationOptions(maxTokens: options.maxTokens, stopTokens: loaded.tokenizer.stopTokenIds)
        settings.sampler = SamplerSettings(temperature: Float(options.temperature), topK: options.topK ?? 0,
                                           topP: Float(options.topP ?? 1), repetitionPenalty: Float(options.repetitionPenalty),
                                           noRepeatNGram: options.noRepeatNGram,
                                           seed: options.seed ?? 0)
        var detokenizer = StreamingDetokenizer(tokenizer: loaded.tokenizer, skipSpecialTokens: true)
        var text = ""
        var firstToken: Double?
        let start = DispatchTime.now()
        let engine = prompt.count > Self.longPromptThreshold ? (longGeneration ?? generation) : generation
        let result = try engine.generate(prompt: prompt, options: settings) { id in
            if firstToken == nil { firstToken = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }
            let piece = detokenizer.feed(id)
            guard !piece.isEmpty else { return true }
            text += piece
            return onText(piece)
        }
        let tail = detokenizer.finish()
        if !tail.isEmpty {
            text += tail
            _ = onText(tail)
        }
        return GenerationOutcome(text: text, promptTokens: result.promptTokenCount, generatedTokens: result.tokens.count,
                                 prefillSeconds: result.prefillSeconds, decodeSeconds: result.decodeSeconds,
                                 firstTokenSeconds: firstToken)
    }

    private func chatMessages(_ messages: [PromptMessage]) -> [ChatMessage] {
        messages.map { message in
            switch message.role {
            case .system: return .system(message.content)
            case .user: return .user(message.content)
            case .assistant: return .assistant(message.content)
            }
        }
    }
}
