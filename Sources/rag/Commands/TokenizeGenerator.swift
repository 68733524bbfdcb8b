import Foundation
import Generator
import ModelKit

/// `rag tokenize TEXT [--special]`: the generator's BPE ids.
enum TokenizeGenerator {
    static func run(_ invocation: Invocation) throws {
        let text = invocation.arguments.positionals[0]
        let path = try DataPaths.models(invocation.global).path(of: KnownModels.generator)
        let tokenizer = try ByteLevelBPETokenizer(gguf: try GGUFFile(path: path))
        let ids = tokenizer.encode(text, allowSpecial: invocation.arguments.flag("special"))
        invocation.console.result("[" + ids.map(String.init).joined(separator: ",") + "]")
    }
}
