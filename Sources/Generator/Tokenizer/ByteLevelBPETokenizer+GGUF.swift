import ModelKit

extension ByteLevelBPETokenizer {
    /// Builds the tokenizer from a GGUF model's `tokenizer.ggml.*` metadata
    /// (`model` must be `gpt2`; `pre` selects the pre-tokenizer: `smollm` or `gpt2`).
    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        func require<Value>(_ key: String, _ read: (String) -> Value?) throws(TokenizerError) -> Value {
            guard let value = read(key) else { throw .missingMetadata(path: gguf.path, key: key) }
            return value
        }
        let model = try require("tokenizer.ggml.model", gguf.string)
        guard model == "gpt2" else { throw .unsupported(path: gguf.path, what: "tokenizer model", value: model) }
        let pre = gguf.string("tokenizer.ggml.pre") ?? "gpt2"
        guard let kind = PreTokenizer.Kind(rawValue: pre) else {
            throw .unsupported(path: gguf.path, what: "pre-tokenizer", value: pre)
        }
        let tokens = try require("tokenizer.ggml.tokens", gguf.stringArray)
        let tokenTypes = gguf.intArray("tokenizer.ggml.token_type") ?? [Int](repeating: Int(TokenType.normal.rawValue), count: tokens.count)
        let merges = try require("tokenizer.ggml.merges", gguf.stringArray)
        let endOfSequence = gguf.int("tokenizer.ggml.eos_token_id").map { Int32(truncatingIfNeeded: $0) }
        try self.init(tokens: tokens, tokenTypes: tokenTypes.map { Int32(truncatingIfNeeded: $0) }, merges: merges,
                      preTokenizer: kind, endOfSequence: endOfSequence)
    }
}
