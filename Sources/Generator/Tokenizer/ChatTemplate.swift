import ModelKit

/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// `system`, `user` or `assistant`.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// The ChatML prompt format of SmolLM2-Instruct, rendered without a Jinja engine:
///
///     <|im_start|>system
///     You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
///     <|im_start|>user
///     What is the capital of France?<|im_end|>
///     <|im_start|>assistant
///
/// Only the template's own markers become special tokens: each message is
/// `[imStart] + encode(role + "\n" + content) + [imEnd] + encode("\n")`, so marker text inside a message
/// stays plain text. The generation prompt is `[imStart] + encode("assistant\n")`; the model's answer ends with `imEnd`.
public struct ChatTemplate: Sendable {
    /// The system message SmolLM2's template inserts when a conversation does not start with one.
    public static let smolLMDefaultSystemPrompt = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    public let tokenizer: ByteLevelBPETokenizer
    /// Inserted as the first message when the first message is not a system message (nil: nothing is inserted).
    public let defaultSystemPrompt: String?

    public init(tokenizer: ByteLevelBPETokenizer, defaultSystemPrompt: String? = ChatTemplate.smolLMDefaultSystemPrompt) {
        self.tokenizer = tokenizer
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// Reads the default system prompt from the model's `tokenizer.chat_template`, which must be ChatML.
    /// A model without a chat template gets ChatML with no default system prompt.
    public init(gguf: GGUFFile, tokenizer: ByteLevelBPETokenizer) throws(TokenizerError) {
        guard let jinja = gguf.string("tokenizer.chat_template") else {
            self.init(tokenizer: tokenizer, defaultSystemPrompt: nil)
            return
        }
        guard jinja.contains(SpecialTokenIds.imStartText), jinja.contains(SpecialTokenIds.imEndText) else {
            throw .unsupported(path: gguf.path, what: "chat template (not ChatML)", value: String(jinja.prefix(60)))
        }
        self.init(tokenizer: tokenizer, defaultSystemPrompt: Self.defaultSystemPrompt(inJinja: jinja))
    }

    /// The text and token ids of `messages`; with `addGenerationPrompt`, ends with the opening of an assistant turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> (text: String, ids: [Int32]) {
        var conversation = messages
        if let defaultSystemPrompt, let first = messages.first, first.role != "system" {
            conversation.insert(.system(defaultSystemPrompt), at: 0)
        }
        var text = ""
        var ids: [Int32] = []
        let newlineIds = tokenizer.encode("\n")
        for message in conversation {
            let body = message.role + "\n" + message.content
            text += SpecialTokenIds.imStartText + body + SpecialTokenIds.imEndText + "\n"
            ids.append(tokenizer.imStart)
            ids += tokenizer.encode(body)
            ids.append(tokenizer.imEnd)
            ids += newlineIds
        }
        if addGenerationPrompt {
            text += SpecialTokenIds.imStartText + "assistant\n"
            ids.append(tokenizer.imStart)
            ids += tokenizer.encode("assistant\n")
        }
        return (text, ids)
    }

    /// The literal system message a ChatML Jinja template inserts, e.g. from
    /// `{{ '<|im_start|>system\nYou are …<|im_end|>\n' }}`; nil when the template has none.
    public static func defaultSystemPrompt(inJinja jinja: String) -> String? {
        for opening in [SpecialTokenIds.imStartText + "system\n", SpecialTokenIds.imStartText + "system\\n"] {
            var searchStart = jinja.startIndex
            while let openingRange = jinja.range(of: opening, range: searchStart..<jinja.endIndex) {
                searchStart = openingRange.upperBound
                guard let closing = jinja.range(of: SpecialTokenIds.imEndText, range: openingRange.upperBound..<jinja.endIndex) else {
                    break
                }
                let literal = jinja[openingRange.upperBound..<closing.lowerBound]
                if let prompt = unescapedLiteral(literal) { return prompt }
            }
        }
        return nil
    }

    /// The text of a piece of a Jinja string literal, or nil when it is not plain literal text
    /// (it closes the string, or holds an expression such as `' + message['content'] + '`).
    private static func unescapedLiteral(_ literal: Substring) -> String? {
        var result = ""
        var escaped = false
        for character in literal {
            if escaped {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "'" || character == "\"" || character == "{" || character == "}" {
                return nil
            } else {
                result.append(character)
            }
        }
        return escaped || result.isEmpty ? nil : result
    }
}
