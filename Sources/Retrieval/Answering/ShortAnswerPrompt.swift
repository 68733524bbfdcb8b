import Foundation

/// The prompt of the short answer: one evidence sentence and the question; the model restates the answer in
/// one sentence with the evidence's words.
public enum ShortAnswerPrompt {
    public static let system = "Answer the question in one short sentence, using only words from the evidence."

    public static func messages(question: String, evidence: String) -> [PromptMessage] {
        [PromptMessage(.system, system), PromptMessage(.user, "Evidence: \(evidence)\n\nQuestion: \(question)")]
    }
}
