import Foundation
import ModelKit

/// Everything needed to turn text into text: the model, its tokenizer and its chat template, from one GGUF file.
public final class LoadedGenerator: Sendable {
    public let file: GGUFFile
    public let model: LlamaModel
    public let tokenizer: ByteLevelBPETokenizer
    public let chatTemplate: ChatTemplate

    public init(path: String, threads: Int = ComputeThreads.defaultCount) throws {
        let file = try GGUFFile(path: path)
        self.file = file
        model = try LlamaModel(file: file, threads: threads)
        tokenizer = try ByteLevelBPETokenizer(gguf: file)
        chatTemplate = try ChatTemplate(gguf: file, tokenizer: tokenizer)
    }
}
