import Foundation

/// The dev/test split of evaluation questions: a stable hash of the id (FNV-1a, 64 bit), about 60 % dev.
/// Everything is tuned on dev; test is only run to report.
public enum EvaluationSplit: String, Sendable, CaseIterable {
    case dev, test

    public static func of(id: String) -> EvaluationSplit {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash % 100 < 60 ? .dev : .test
    }
}

/// Whether an answer states an accepted answer: a case-insensitive match with whitespace collapsed, and the
/// typographic variants that the same fact is written with (× for x, en/em dash for hyphen, thin spaces).
public enum AcceptedAnswers {
    public static func normalize(_ text: String) -> String {
        var lowered = text.lowercased()
        for (from, to) in [("×", "x"), ("–", "-"), ("—", "-"), ("\u{2009}", " "), ("\u{00a0}", " "), ("’", "'"), ("`", "")] {
            lowered = lowered.replacingOccurrences(of: from, with: to)
        }
        return lowered.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// True when `text` contains any of `accepted` (all of `required`, when given).
    public static func matches(_ text: String, accepted: [String], required: [String] = []) -> Bool {
        let haystack = normalize(text)
        if !required.isEmpty { return required.allSatisfy { haystack.contains(normalize($0)) } }
        return accepted.contains { haystack.contains(normalize($0)) }
    }
}
