import Generator
import XCTest

/// The ChatML template on the real SmolLM2 tokenizer against conversations rendered by jinja2 from the GGUF template.
final class ChatTemplateFixtureTests: XCTestCase {
    private struct ChatCase: Decodable {
        struct Message: Decodable {
            let role: String
            let content: String
        }
        let messages: [Message]
        let add_generation_prompt: Bool
        let text: String
        let ids: [Int32]
    }

    func testEveryConversationRendersExactly() throws {
        let template = try SmolLMFixtures.chatTemplate()
        let cases = try SmolLMFixtures.cases("chat_template_cases.jsonl", as: ChatCase.self)
        XCTAssertGreaterThan(cases.count, 0)
        for (index, testCase) in cases.enumerated() {
            let messages = testCase.messages.map { ChatMessage(role: $0.role, content: $0.content) }
            let rendered = template.render(messages, addGenerationPrompt: testCase.add_generation_prompt)
            XCTAssertEqual(rendered.text, testCase.text, "case \(index)")
            XCTAssertEqual(rendered.ids, testCase.ids, "case \(index)")
        }
    }

    func testDefaultSystemPromptIsReadFromTheModel() throws {
        let template = try SmolLMFixtures.chatTemplate()
        XCTAssertEqual(template.defaultSystemPrompt, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    }

    /// Without marker text in the content, the ids equal tokenizing the rendered text with special tokens allowed.
    func testIdsEqualSpecialModeEncodingOfTheText() throws {
        let template = try SmolLMFixtures.chatTemplate()
        let rendered = template.render([.user("Summarize: 2+2=4, and naïve café ☕️ are fine.\n\nThanks")],
                                       addGenerationPrompt: true)
        XCTAssertEqual(rendered.ids, template.tokenizer.encode(rendered.text, allowSpecial: true))
    }
}
