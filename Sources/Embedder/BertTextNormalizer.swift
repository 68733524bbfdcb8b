import Foundation

/// BERT-uncased text preparation, on Unicode scalars: clean → space out CJK → strip accents (NFD, drop Mn)
/// → lowercase each scalar on its own → split into words on spaces and punctuation.
/// (Special-token literals are split off before this runs; see `WordPieceTokenizer`.)
public enum BertTextNormalizer {
    /// The words of `scalars` after normalization, each as its Unicode scalars.
    public static func words(_ scalars: ArraySlice<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(scalars.count + 8)
        var isASCII = true
        for scalar in scalars {
            let value = scalar.value
            if value < 0x80 {
                switch value {
                case 0x09, 0x0A, 0x0D, 0x20: cleaned.append(" ")
                case 0x00..<0x20, 0x7F: continue   // Cc: removed
                default: cleaned.append(scalar)
                }
                continue
            }
            isASCII = false
            if isRemoved(scalar) { continue }
            if scalar.properties.isWhitespace {
                cleaned.append(" ")
            } else if isCJK(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        let normalized = isASCII ? lowercasedASCII(cleaned) : stripAccentsAndLowercase(cleaned)
        return splitWords(normalized)
    }

    /// Rule 2: U+0000, U+FFFD and categories Cc, Cf, Co (other than tab, newline, carriage return) are dropped.
    static func isRemoved(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value == 0xFFFD { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse: return true
        default: return false
        }
    }

    /// Rule 3: the CJK ideograph ranges of the reference tokenizer (fifth range starts at U+2B920).
    static func isCJK(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Rule 6: ASCII punctuation ranges and every P* category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    private static func lowercasedASCII(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        scalars.map { scalar in
            (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar
        }
    }

    /// Rules 4 and 5: canonical decomposition of the whole text (so combining marks are canonically ordered),
    /// drop nonspacing marks (Mn), then each scalar's own lowercase mapping (no context: Σ → σ always).
    private static func stripAccentsAndLowercase(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        let decomposed = String(text).decomposedStringWithCanonicalMapping
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for scalar in decomposed.unicodeScalars {
            if scalar.value < 0x80 {
                result.append((0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar)
                continue
            }
            if scalar.properties.generalCategory == .nonspacingMark { continue }
            result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return result
    }

    /// Rule 6: words are separated by spaces; each punctuation scalar is a word of its own.
    private static func splitWords(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if scalar == " " || scalar.properties.isWhitespace {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
            } else if isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// A normalized word and, for each of its scalars, the original scalars it comes from.
    public struct TracedWord {
        public let scalars: [Unicode.Scalar]
        public let origins: [Range<Int>]
    }

    /// `words`, tracing each output scalar to the input scalars (indices of the slice's base) it comes from.
    /// Decomposition runs per segment — a scalar whose decomposition starts with a starter, plus the combining scalars
    /// after it — which equals decomposing the whole text, since canonical reordering never crosses a starter.
    public static func wordsWithOrigins(_ scalars: ArraySlice<Unicode.Scalar>) -> [TracedWord] {
        // Clean, map whitespace, space out CJK (as in `words`), keeping each scalar's origin.
        var cleaned: [(scalar: Unicode.Scalar, origin: Int)] = []
        for (origin, scalar) in zip(scalars.indices, scalars) {
            if scalar == "\t" || scalar == "\n" || scalar == "\r" {
                cleaned.append((" ", origin))
            } else if scalar.value == 0 || isRemoved(scalar) {
                continue
            } else if scalar.properties.isWhitespace {
                cleaned.append((" ", origin))
            } else if isCJK(scalar.value) {
                cleaned += [(" ", origin), (scalar, origin), (" ", origin)]
            } else {
                cleaned.append((scalar, origin))
            }
        }
        // Segments → NFD, drop Mn, lowercase; every output scalar gets its segment's origin range.
        var normalized: [(scalar: Unicode.Scalar, origins: Range<Int>)] = []
        var segmentStart = 0
        func flush(_ end: Int) {
            guard segmentStart < end else { return }
            let segment = cleaned[segmentStart..<end]
            let origins = segment.first!.origin..<(segment.last!.origin + 1)
            var text = String.UnicodeScalarView()
            text.append(contentsOf: segment.map(\.scalar))
            for scalar in String(text).decomposedStringWithCanonicalMapping.unicodeScalars
            where scalar.properties.generalCategory != .nonspacingMark {
                for lower in scalar.properties.lowercaseMapping.unicodeScalars { normalized.append((lower, origins)) }
            }
            segmentStart = end
        }
        for (index, item) in cleaned.enumerated() where index > 0 && startsWithStarter(item.scalar) {
            flush(index)
        }
        flush(cleaned.count)

        // Split on spaces and punctuation.
        var words: [TracedWord] = []
        var current: [Unicode.Scalar] = [], currentOrigins: [Range<Int>] = []
        func finishWord() {
            if !current.isEmpty { words.append(TracedWord(scalars: current, origins: currentOrigins)) }
            current = []
            currentOrigins = []
        }
        for (scalar, origins) in normalized {
            if scalar == " " || scalar.properties.isWhitespace {
                finishWord()
            } else if isPunctuation(scalar) {
                finishWord()
                words.append(TracedWord(scalars: [scalar], origins: [origins]))
            } else {
                current.append(scalar)
                currentOrigins.append(origins)
            }
        }
        finishWord()
        return words
    }

    /// Whether the canonical decomposition of `scalar` begins with a starter (combining class 0).
    static func startsWithStarter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x300 { return true }   // Latin-1 and Latin Extended: starters or decompose to one
        guard scalar.properties.canonicalCombiningClass == .notReordered else { return false }
        let first = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.first ?? scalar
        return first.properties.canonicalCombiningClass == .notReordered
    }
}
