import Foundation
import ModelKit

/// Why the generator could not load a model or run.
public enum GeneratorError: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(path: String, architecture: String)
    case badConfig(path: String, reason: String)
    case badTensor(path: String, name: String, reason: String)
    case contextOverflow(needed: Int, contextLength: Int)
    case emptyPrompt
    case tokenOutOfRange(id: Int32, vocabularySize: Int)
    /// The forward pass produced NaN logits (corrupt weights the load did not catch).
    case nonFiniteLogits(path: String)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let path, let architecture):
            return "model \(path) has architecture '\(architecture)'; only 'llama' models are supported"
        case .badConfig(let path, let reason):
            return "model \(path) has an unusable configuration: \(reason)"
        case .badTensor(let path, let name, let reason):
            return "model \(path): tensor '\(name)' \(reason) (the file does not match its metadata; re-download it)"
        case .contextOverflow(let needed, let contextLength):
            return "the prompt and answer need \(needed) tokens but the context holds \(contextLength) (shorten the prompt, lower --max-tokens, or let the start be dropped with --truncate)"
        case .emptyPrompt:
            return "the prompt is empty: give at least one token"
        case .tokenOutOfRange(let id, let vocabularySize):
            return "token id \(id) is outside the vocabulary of \(vocabularySize) tokens"
        case .nonFiniteLogits(let path):
            return "model \(path) produced NaN logits (its weights are corrupt; re-download it or run scripts/setup)"
        }
    }
}
