import Foundation
import Generator
import ModelKit
import XCTest

/// `ByteLevelBPETokenizer(gguf:)` and `ChatTemplate(gguf:tokenizer:)` on tiny GGUF files holding only tokenizer metadata.
final class TokenizerGGUFTests: XCTestCase {
    private let vocabulary = SyntheticVocabulary(merges: [("h", "i"), (" ", "hi")])

    private func standardMetadata() -> [(String, TokenizerMetadataFile.Value)] {
        [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .strings(vocabulary.tokens)),
            ("tokenizer.ggml.token_type", .int32s(vocabulary.tokenTypes)),
            ("tokenizer.ggml.merges", .strings(vocabulary.merges)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.chat_template", .string("{{ '<|im_start|>system\nBe kind<|im_end|>\n' }}{{ '<|im_start|>' + message['role'] }}")),
        ]
    }

    func testTokenizerAndTemplateFromMetadata() throws {
        let file = try TokenizerMetadataFile(standardMetadata()).open()
        let tokenizer = try ByteLevelBPETokenizer(gguf: file)
        XCTAssertEqual(tokenizer.vocabularySize, vocabulary.tokens.count)
        XCTAssertEqual(tokenizer.preTokenizer.kind, .smollm)
        XCTAssertEqual(tokenizer.encode("hi hi 12"),
                       [vocabulary.id("hi"), vocabulary.id(" hi"), vocabulary.id(" "), vocabulary.id("1"), vocabulary.id("2")])
        XCTAssertEqual(tokenizer.stopTokenIds, [0, 2])
        let template = try ChatTemplate(gguf: file, tokenizer: tokenizer)
        XCTAssertEqual(template.defaultSystemPrompt, "Be kind")
    }

    func testGPT2PreTokenizerKeepsNumberRuns() throws {
        var metadata = standardMetadata()
        metadata[1] = ("tokenizer.ggml.pre", .string("gpt2"))
        let tokenizer = try ByteLevelBPETokenizer(gguf: try TokenizerMetadataFile(metadata).open())
        XCTAssertEqual(tokenizer.preTokenizer.kind, .gpt2)
    }

    func testMissingAndUnsupportedMetadataAreNamed() throws {
        var noTokens = standardMetadata()
        noTokens.remove(at: 2)
        let withoutTokens = try TokenizerMetadataFile(noTokens).open()
        XCTAssertThrowsError(try ByteLevelBPETokenizer(gguf: withoutTokens)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingMetadata(path: withoutTokens.path, key: "tokenizer.ggml.tokens"))
        }
        var sentencePiece = standardMetadata()
        sentencePiece[0] = ("tokenizer.ggml.model", .string("llama"))
        XCTAssertThrowsError(try ByteLevelBPETokenizer(gguf: try TokenizerMetadataFile(sentencePiece).open())) { error in
            XCTAssertTrue(String(describing: error).contains("'llama'"), String(describing: error))
        }
        var otherPre = standardMetadata()
        otherPre[1] = ("tokenizer.ggml.pre", .string("llama-bpe"))
        XCTAssertThrowsError(try ByteLevelBPETokenizer(gguf: try TokenizerMetadataFile(otherPre).open())) { error in
            XCTAssertTrue(String(describing: error).contains("'llama-bpe'"), String(describing: error))
        }
    }

    func testTemplateThatIsNotChatMLIsRefused() throws {
        var llamaTemplate = standardMetadata()
        llamaTemplate[6] = ("tokenizer.chat_template", .string("{{ bos_token }}[INST] {{ message['content'] }} [/INST]"))
        let file = try TokenizerMetadataFile(llamaTemplate).open()
        let tokenizer = try ByteLevelBPETokenizer(gguf: file)
        XCTAssertThrowsError(try ChatTemplate(gguf: file, tokenizer: tokenizer))
        var noTemplate = standardMetadata()
        noTemplate.removeLast()
        let bare = try TokenizerMetadataFile(noTemplate).open()
        XCTAssertNil(try ChatTemplate(gguf: bare, tokenizer: try ByteLevelBPETokenizer(gguf: bare)).defaultSystemPrompt)
    }
}

/// Writes a GGUF v3 file with metadata only (no tensors) to a temporary path.
struct TokenizerMetadataFile {
    enum Value {
        case string(String)
        case uint32(UInt32)
        case strings([String])
        case int32s([Int32])
    }

    let metadata: [(String, Value)]

    init(_ metadata: [(String, Value)]) {
        self.metadata = metadata
    }

    func open() throws -> GGUFFile {
        var bytes: [UInt8] = Array("GGUF".utf8)
        append(UInt32(3), to: &bytes)
        append(UInt64(0), to: &bytes)  // tensors
        append(UInt64(metadata.count), to: &bytes)
        for (key, value) in metadata {
            appendString(key, to: &bytes)
            switch value {
            case .string(let text):
                append(UInt32(8), to: &bytes)
                appendString(text, to: &bytes)
            case .uint32(let number):
                append(UInt32(4), to: &bytes)
                append(number, to: &bytes)
            case .strings(let texts):
                append(UInt32(9), to: &bytes)
                append(UInt32(8), to: &bytes)
                append(UInt64(texts.count), to: &bytes)
                for text in texts { appendString(text, to: &bytes) }
            case .int32s(let numbers):
                append(UInt32(9), to: &bytes)
                append(UInt32(5), to: &bytes)
                append(UInt64(numbers.count), to: &bytes)
                for number in numbers { append(number, to: &bytes) }
            }
        }
        while bytes.count % 32 != 0 { bytes.append(0) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rag-tokenizer-\(UUID()).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try GGUFFile(path: url.path)
    }

    private func append<Number: FixedWidthInteger>(_ number: Number, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: number.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private func appendString(_ text: String, to bytes: inout [UInt8]) {
        append(UInt64(text.utf8.count), to: &bytes)
        bytes.append(contentsOf: text.utf8)
    }
}
