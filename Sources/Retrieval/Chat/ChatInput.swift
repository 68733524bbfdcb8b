import Foundation

/// A chat command typed at the prompt.
public enum ChatCommandWord: String, CaseIterable, Sendable {
    case help, sources, history, summary, reset, exit

    /// One line of `/help` per command.
    public var help: String {
        switch self {
        case .help: return "/help     this list"
        case .sources: return "/sources  the sources of the last answer"
        case .history: return "/history  the questions and answers of this session"
        case .summary: return "/summary  the running summary of earlier turns"
        case .reset: return "/reset    forget this conversation (summary and turns) and start over"
        case .exit: return "/exit     leave (Ctrl-D too); the session is saved"
        }
    }
}

/// One line of chat input, classified.
public enum ChatInput: Equatable, Sendable {
    /// Blank line: ignored.
    case empty
    case question(String)
    case command(ChatCommandWord)
    /// A `/word` that is not a command.
    case unknownCommand(String)

    /// `/exit`, `/quit` and `/q` leave; other `/words` are commands; a line starting with `//` or `/ ` is a
    /// question (so a question may start with a slash by doubling it).
    public init(line: String) {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { self = .empty; return }
        guard text.hasPrefix("/") else { self = .question(text); return }
        if text.hasPrefix("//") { self = .question(String(text.dropFirst())); return }
        let word = text.dropFirst().prefix { !$0.isWhitespace }.lowercased()
        guard !word.isEmpty else { self = .question(text); return }
        switch word {
        case "quit", "q": self = .command(.exit)
        case "?", "h": self = .command(.help)
        default:
            if let command = ChatCommandWord(rawValue: word) { self = .command(command) } else { self = .unknownCommand("/" + word) }
        }
    }
}
