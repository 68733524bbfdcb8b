import Foundation

/// A source an answer was given, as a chat turn remembers it (enough for `/sources` and `--json`).
public struct ChatSourceReference: Sendable, Equatable, Codable {
    /// The number the answer cites as [n].
    public var number: Int
    public var path: String
    public var startLine: Int
    public var endLine: Int
    public var heading: String
    public var score: Double
    /// PDF pages (nil for other formats and for turns stored before pages were kept).
    public var pageStart: Int?
    public var pageEnd: Int?

    public init(number: Int, path: String, startLine: Int, endLine: Int, heading: String, score: Double,
                pageStart: Int? = nil, pageEnd: Int? = nil) {
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.number = number
        self.path = path
        self.startLine = startLine
        self.endLine = endLine
        self.heading = heading
        self.score = score
    }

    public init(_ source: ContextSource) {
        self.init(number: source.number, path: source.path, startLine: source.startLine, endLine: source.endLine,
                  heading: source.heading, score: source.score, pageStart: source.pageStart, pageEnd: source.pageEnd)
    }
}

/// One question and its answer.
public struct ChatTurn: Sendable, Equatable, Codable {
    /// 1-based position in the session (restarts at 1 after `/reset`).
    public var number: Int
    /// What the user typed (after trimming and length limiting).
    public var question: String
    /// The question rewritten to stand on its own; it went to retrieval and to the answer prompt.
    public var standaloneQuestion: String
    public var answer: String
    /// Every source the answer was given, numbered as in its prompt.
    public var sources: [ChatSourceReference]
    /// Numbers of the sources the answer cites.
    public var cited: [Int]
    /// True when the user stopped the answer early (Ctrl-C).
    public var interrupted: Bool
    /// Seconds since 1970.
    public var createdAt: Double

    public init(number: Int, question: String, standaloneQuestion: String, answer: String,
                sources: [ChatSourceReference] = [], cited: [Int] = [], interrupted: Bool = false,
                createdAt: Double = Date().timeIntervalSince1970) {
        self.number = number
        self.question = question
        self.standaloneQuestion = standaloneQuestion
        self.answer = answer
        self.sources = sources
        self.cited = cited
        self.interrupted = interrupted
        self.createdAt = createdAt
    }
}

/// The running summary of the turns that no longer fit verbatim.
public struct ChatSummary: Sendable, Equatable, Codable {
    public var text: String
    /// Turns 1...coveredTurns are folded into `text`; later turns are kept verbatim.
    public var coveredTurns: Int

    public init(text: String = "", coveredTurns: Int = 0) {
        self.text = text
        self.coveredTurns = coveredTurns
    }

    public static let empty = ChatSummary()
}

/// A stored session as `rag chat --list` shows it.
public struct ChatSessionInfo: Sendable, Equatable {
    public var name: String
    public var createdAt: Double
    public var updatedAt: Double
    public var turnCount: Int
    /// The first words of the latest question (empty for a session without turns).
    public var lastQuestion: String

    public init(name: String, createdAt: Double, updatedAt: Double, turnCount: Int, lastQuestion: String) {
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.turnCount = turnCount
        self.lastQuestion = lastQuestion
    }
}

/// Everything stored about one session: every turn (oldest first) and the running summary.
public struct StoredConversation: Sendable, Equatable {
    public var info: ChatSessionInfo
    public var turns: [ChatTurn]
    public var summary: ChatSummary

    public init(info: ChatSessionInfo, turns: [ChatTurn], summary: ChatSummary) {
        self.info = info
        self.turns = turns
        self.summary = summary
    }
}

/// One change to a stored session. A list of changes is applied atomically, in order.
public enum ChatChange: Sendable, Equatable {
    /// Forget every turn and the summary (the session itself stays).
    case reset
    /// Add a turn (replaces a stored turn with the same number).
    case turn(ChatTurn)
    /// Replace the running summary.
    case summary(ChatSummary)
}
