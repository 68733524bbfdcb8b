/// Why a tokenizer could not be built from a vocabulary (GGUF metadata or plain arrays).
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A required metadata key is absent from the model file.
    case missingMetadata(path: String, key: String)
    /// The model file declares a tokenizer model or pre-tokenizer this code does not implement.
    case unsupported(path: String, what: String, value: String)
    /// `tokens` and `tokenTypes` disagree in length.
    case tokenTypeCountMismatch(tokens: Int, tokenTypes: Int)
    /// A merge line is not two tokens separated by one space.
    case malformedMerge(index: Int, text: String)
    /// A merge names a token (or produces a token) that is not in the vocabulary.
    case mergeTokenNotInVocabulary(index: Int, token: String)
    /// A special token the chat format needs is not in the vocabulary.
    case missingSpecialToken(String)
    /// A special token id lies outside the vocabulary.
    case specialTokenOutOfRange(name: String, id: Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case .missingMetadata(let path, let key):
            return "tokenizer: model \(path) has no '\(key)' metadata (use a GGUF model converted with its tokenizer)"
        case .unsupported(let path, let what, let value):
            return "tokenizer: model \(path) has \(what) '\(value)'; only byte-level BPE 'gpt2' with pre-tokenizer 'smollm' or 'gpt2' is supported"
        case .tokenTypeCountMismatch(let tokens, let tokenTypes):
            return "tokenizer: \(tokens) tokens but \(tokenTypes) token types (the model file's tokenizer metadata is inconsistent)"
        case .malformedMerge(let index, let text):
            return "tokenizer: merge #\(index) '\(text)' is not two tokens separated by a space (the model file's merges are corrupt)"
        case .mergeTokenNotInVocabulary(let index, let token):
            return "tokenizer: merge #\(index) uses token '\(token)' that is not in the vocabulary (the model file's merges do not match its tokens)"
        case .missingSpecialToken(let text):
            return "tokenizer: vocabulary has no special token '\(text)' (the chat format needs it; use a ChatML model such as SmolLM2-Instruct)"
        case .specialTokenOutOfRange(let name, let id, let vocabularySize):
            return "tokenizer: \(name) id \(id) is outside the vocabulary of \(vocabularySize) tokens (the model file's metadata is inconsistent)"
        }
    }
}
