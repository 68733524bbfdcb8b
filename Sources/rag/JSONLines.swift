import Foundation

/// Reads a JSON Lines file of evaluation data: one object per line, blank lines skipped. A missing file, a line
/// that does not decode (named by its line number) or a file with no line is a one-line `CommandFailure`.
enum JSONLines {
    /// `noun`: what the file holds, for messages ("query", "question", "summary"); `shape`: the expected keys.
    static func read<T: Decodable>(_ type: T.Type, from path: String, noun: String, shape: String) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "cannot read \(noun) file \(path): check the path")
        }
        var items: [T] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                items.append(try JSONDecoder().decode(T.self, from: Data(trimmed.utf8)))
            } catch {
                throw CommandFailure(message: "\(path):\(number + 1): not a \(noun) line \(shape)")
            }
        }
        guard !items.isEmpty else { throw CommandFailure(message: "\(path) holds no \(noun) lines") }
        return items
    }
}
