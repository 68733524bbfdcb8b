import Foundation
import Generator
import ModelKit
import XCTest

/// The real SmolLM2 tokenizer and the golden fixtures (../shared/fixtures/smollm2 next to the package root).
enum SmolLMFixtures {
    static let directory: String = {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // GeneratorTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
        return packageRoot.deletingLastPathComponent().path + "/shared/fixtures/smollm2"
    }()

    /// Decodes every line of a JSON-lines fixture file.
    static func cases<Case: Decodable>(_ fileName: String, as type: Case.Type) throws -> [Case] {
        let text = try String(contentsOfFile: directory + "/" + fileName, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            try decoder.decode(Case.self, from: Data(line.utf8))
        }
    }

    /// The tokenizer of the installed SmolLM2 model, loaded once; skips the test when the model is not installed.
    static func tokenizer() throws -> ByteLevelBPETokenizer {
        try loaded.get().tokenizer
    }

    /// The chat template read from the installed model.
    static func chatTemplate() throws -> ChatTemplate {
        try loaded.get().template
    }

    private static let loaded: Result<(tokenizer: ByteLevelBPETokenizer, template: ChatTemplate), any Error> = Result {
        let path: String
        do {
            path = try ModelLocator().path(of: KnownModels.generator)
        } catch ModelLocatorError.missing(let missingPath) {
            throw XCTSkip("SmolLM2 model not installed (\(missingPath)); run scripts/setup to enable the real-model tokenizer tests")
        }
        let file = try GGUFFile(path: path)
        let tokenizer = try ByteLevelBPETokenizer(gguf: file)
        return (tokenizer, try ChatTemplate(gguf: file, tokenizer: tokenizer))
    }
}

/// A tiny byte-level vocabulary for unit tests: the three ChatML special tokens (ids 0, 1, 2), one token per byte
/// (ids 3…258, in byte order), then the result of each merge in rank order.
struct SyntheticVocabulary {
    var tokens: [String]
    var tokenTypes: [Int32]
    var merges: [String]

    /// - Parameter merges: pairs in plain text (`("t", "h")`, `(" ", "t")`), spelled byte-level here.
    /// - Parameter extraSpecial: more control tokens, appended at the end.
    init(merges plainMerges: [(String, String)], extraSpecial: [String] = []) {
        self.init(byteMerges: plainMerges.map { (Array($0.0.utf8), Array($0.1.utf8)) }, extraSpecial: extraSpecial)
    }

    /// - Parameter byteMerges: pairs of byte strings, which may hold parts of UTF-8 characters.
    init(byteMerges: [([UInt8], [UInt8])], extraSpecial: [String] = []) {
        tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        tokenTypes = [3, 3, 3]
        for byte in 0..<256 {
            tokens.append(Self.byteLevel([UInt8(byte)]))
            tokenTypes.append(1)
        }
        merges = []
        for (left, right) in byteMerges {
            let leftSpelling = Self.byteLevel(left)
            let rightSpelling = Self.byteLevel(right)
            merges.append(leftSpelling + " " + rightSpelling)
            if !tokens.contains(leftSpelling + rightSpelling) {
                tokens.append(leftSpelling + rightSpelling)
                tokenTypes.append(1)
            }
        }
        for text in extraSpecial {
            tokens.append(text)
            tokenTypes.append(3)
        }
    }

    func tokenizer() throws -> ByteLevelBPETokenizer {
        try ByteLevelBPETokenizer(tokens: tokens, tokenTypes: tokenTypes, merges: merges)
    }

    /// Id of a plain-text token in this vocabulary.
    func id(_ text: String) -> Int32 {
        id(bytes: Array(text.utf8))
    }

    /// Id of the token standing for `bytes`.
    func id(bytes: [UInt8]) -> Int32 {
        Int32(tokens.firstIndex(of: Self.byteLevel(bytes))!)
    }

    /// GPT-2 byte-level spelling, written out independently of the code under test.
    static func byteLevel(_ bytes: [UInt8]) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(byteLevelScalars[Int(byte)]) }
        return String(text)
    }

    /// Printable bytes stand for themselves; the others take U+0100, U+0101, … in byte order.
    private static let byteLevelScalars: [Unicode.Scalar] = {
        let printable = Set<UInt8>(Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF))
        var shifted: UInt32 = 256
        return (0...255).map { byte in
            if printable.contains(UInt8(byte)) { return Unicode.Scalar(UInt8(byte)) }
            defer { shifted += 1 }
            return Unicode.Scalar(shifted)!
        }
    }()
}
