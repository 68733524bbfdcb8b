import Foundation

/// Markdown table rows as sentences that carry their column names. A row alone ("| FP16 / BF16 | 2 | 14 GB | 140 GB |")
/// does not say what its numbers are, and the header alone states nothing; quoted or ranked on their own, the header
/// wins on similarity to "How much memory do the weights of a 7B model take in FP16?" and answers nothing. Each body
/// row becomes one line naming its first cell, then each other cell after its column name:
/// "FP16 / BF16 — bytes per weight: 2; 7B model: 14 GB; 70B model: 140 GB". The header and the `|---|` line are
/// dropped. Rows of a table whose header is not in the text (a chunk that starts mid-table) keep their cells,
/// joined with "; ". Lines that are not table rows pass through unchanged.
public enum MarkdownTableRows {
    public static func linearized(_ lines: [String]) -> [String] {
        var result: [String] = []
        var header: [String]? = nil
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard let cells = cells(of: line) else {
                header = nil
                result.append(line)
                index += 1
                continue
            }
            if index + 1 < lines.count, let next = Self.cells(of: lines[index + 1]), isSeparator(next) {
                header = cells
                index += 2
                continue
            }
            if isSeparator(cells) {
                index += 1
                continue
            }
            result.append(sentence(row: cells, header: header))
            index += 1
        }
        return result
    }

    /// The cells of a table row ("| a | b |" → ["a", "b"]), nil for a line that is not one.
    static func cells(of line: String) -> [String]? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2, trimmed.hasPrefix("|"), trimmed.hasSuffix("|") else { return nil }
        return trimmed.dropFirst().dropLast().components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// "|---|:--:|": every cell dashes with optional alignment colons.
    static func isSeparator(_ cells: [String]) -> Bool {
        !cells.isEmpty && cells.allSatisfy { cell in
            cell.contains("-") && cell.allSatisfy { $0 == "-" || $0 == ":" }
        }
    }

    static func sentence(row: [String], header: [String]?) -> String {
        let filled = row.enumerated().filter { !$0.element.isEmpty }
        guard let header, let first = filled.first else { return filled.map(\.element).joined(separator: "; ") }
        let named = filled.dropFirst().map { column, cell in
            column < header.count && !header[column].isEmpty ? "\(header[column]): \(cell)" : cell
        }
        return named.isEmpty ? first.element : first.element + " — " + named.joined(separator: "; ")
    }
}
