import Foundation

/// Why the WordPiece vocabulary could not be loaded.
public enum WordPieceError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case missingSpecialToken(path: String, token: String)
    case duplicateToken(path: String, token: String)

    public var description: String {
        switch self {
        case .unreadable(let path):
            return "cannot read WordPiece vocabulary \(path) as UTF-8 text (run scripts/setup to restore it)"
        case .missingSpecialToken(let path, let token):
            return "WordPiece vocabulary \(path) has no \(token) token: it is not a BERT vocabulary (run scripts/setup)"
        case .duplicateToken(let path, let token):
            return "WordPiece vocabulary \(path) lists '\(token)' twice: the file is corrupt (run scripts/setup)"
        }
    }
}

/// The token list of a BERT model (`vocab.txt`: one token per line, id = line number from 0).
public struct WordPieceVocabulary: Sendable {
    public let tokens: [String]
    /// Token id by the token's UTF-8 bytes. Byte keys, not `String` keys: Swift string equality is canonical
    /// equivalence (precomposed `é` == `e` + U+0301, a Hangul syllable == its jamo), the reference compares exactly.
    public let ids: [[UInt8]: Int32]
    /// Length in Unicode scalars of the longest piece (without its `##`): longer candidates never match.
    public let longestPieceScalars: Int

    public let unknownID: Int32
    public let classifierID: Int32
    public let separatorID: Int32
    /// The special-token literals recognized in raw text, longest first.
    public let specialLiterals: [(text: [Unicode.Scalar], id: Int32)]

    public static let specialTokenNames = ["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]"]

    /// The id of `token` (exact byte comparison).
    public func id(of token: String) -> Int32? { ids[Array(token.utf8)] }

    public init(path: String) throws(WordPieceError) {
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path)
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        try self.init(tokens: lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }, source: path)
    }

    /// A vocabulary from its tokens in id order (tests build tiny ones).
    public init(tokens: [String], source: String = "<memory>") throws(WordPieceError) {
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        var longest = 1
        for (index, token) in tokens.enumerated() {
            let key = Array(token.utf8)
            guard ids[key] == nil else { throw .duplicateToken(path: source, token: token) }
            ids[key] = Int32(index)
            let piece = token.hasPrefix("##") ? token.dropFirst(2) : Substring(token)
            longest = max(longest, piece.unicodeScalars.count)
        }
        func special(_ name: String) throws(WordPieceError) -> Int32 {
            guard let id = ids[Array(name.utf8)] else { throw .missingSpecialToken(path: source, token: name) }
            return id
        }
        self.tokens = tokens
        self.ids = ids
        self.longestPieceScalars = longest
        self.unknownID = try special("[UNK]")
        self.classifierID = try special("[CLS]")
        self.separatorID = try special("[SEP]")
        var literals: [(text: [Unicode.Scalar], id: Int32)] = []
        for name in Self.specialTokenNames {
            literals.append((Array(name.unicodeScalars), try special(name)))
        }
        self.specialLiterals = literals.sorted { $0.text.count > $1.text.count }
    }
}
