import Foundation

/// The OpenAI wire format of `/v1/chat/completions` and `/v1/embeddings`, as far as `rag serve` speaks it.
enum OpenAI {
    struct ChatRequest: Decodable {
        var model: String
        var messages: [Message]
        var stream: Bool?
        var maxTokens: Int?
        var maxCompletionTokens: Int?
        var temperature: Double?
        var seed: UInt64?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature, seed
            case maxTokens = "max_tokens"
            case maxCompletionTokens = "max_completion_tokens"
        }
    }

    struct Message: Decodable {
        var role: String
        var content: Content?
    }

    /// A message's content: a string, or a list of parts of which the text parts are read.
    struct Content: Decodable {
        var text: String

        struct Part: Decodable {
            var type: String
            var text: String?
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self.text = text
            } else if container.decodeNil() {
                self.text = ""
            } else {
                let parts = try container.decode([Part].self)
                self.text = parts.filter { $0.type == "text" }.compactMap(\.text).joined(separator: "\n")
            }
        }
    }

    struct Usage: Encodable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int { promptTokens + completionTokens }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case totalTokens = "total_tokens"
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(promptTokens, forKey: .promptTokens)
            try container.encode(completionTokens, forKey: .completionTokens)
            try container.encode(totalTokens, forKey: .totalTokens)
        }
    }

    struct ReplyMessage: Encodable {
        var role = "assistant"
        var content: String
    }

    struct Choice: Encodable {
        var index = 0
        var message: ReplyMessage
        var finishReason: String

        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    /// A whole answer, with the sources it was given beside the choices.
    struct ChatCompletion: Encodable {
        var id: String
        var object = "chat.completion"
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage
        var sources: [AnswerJSON.Source]
    }

    struct Delta: Encodable {
        var role: String?
        var content: String?
    }

    struct ChunkChoice: Encodable {
        var index = 0
        var delta: Delta
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(delta, forKey: .delta)
            try container.encode(finishReason, forKey: .finishReason)  // null until the last chunk
        }
    }

    /// One streamed event; the last one carries `finish_reason`, `usage` and `sources`.
    struct ChatChunk: Encodable {
        var id: String
        var object = "chat.completion.chunk"
        var created: Int
        var model: String
        var choices: [ChunkChoice]
        var usage: Usage?
        var sources: [AnswerJSON.Source]?
    }

    struct EmbeddingRequest: Decodable {
        var model: String
        var input: Input
        var encodingFormat: String?

        enum CodingKeys: String, CodingKey {
            case model, input
            case encodingFormat = "encoding_format"
        }
    }

    /// `input`: a string or a list of strings (token-id inputs are not supported).
    struct Input: Decodable {
        var texts: [String]

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                texts = [text]
            } else {
                texts = try container.decode([String].self)
            }
        }
    }

    struct Embedding: Encodable {
        var object = "embedding"
        var index: Int
        var embedding: [Float]
    }

    struct EmbeddingList: Encodable {
        var object = "list"
        var data: [Embedding]
        var model: String
        var usage: EmbeddingUsage
    }

    struct EmbeddingUsage: Encodable {
        var promptTokens: Int
        var totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }

    struct Model: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "rag"

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }

    struct ModelList: Encodable {
        var object = "list"
        var data: [Model]
    }
}
