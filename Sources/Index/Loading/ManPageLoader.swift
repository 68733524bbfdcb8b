import Foundation

/// Man pages (roff with the `man` macros) → text. `.TH` gives the title, `.SH`/`.SS` headings,
/// `.nf`/`.EX` blocks are code, font macros and escapes are rendered to plain characters.
/// Line numbers in the result point back to the roff source.
public enum ManPageLoader {
    /// Does this text look like roff (starts with a request or comment line, and has `.TH`/`.SH`)?
    public static func looksLikeRoff(_ text: String) -> Bool {
        let head = text.prefix(4096)
        guard let first = head.split(separator: "\n", maxSplits: 1).first, first.hasPrefix(".") || first.hasPrefix("'\\\"") else {
            return false
        }
        return head.contains("\n.TH ") || head.hasPrefix(".TH ") || head.contains("\n.SH ") || head.contains("\n.Dt ")
    }

    public static func load(_ source: String) -> LoadedDocument {
        var builder = StructuredTextBuilder()
        var skippingDefinition = false
        var headingLevelFromNextLine: Int?
        var tagLinePending = false
        var noFill = false

        for (offset, rawLine) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            builder.sourceLine = offset + 1
            let line = String(rawLine)
            if skippingDefinition {
                if line.hasPrefix("..") { skippingDefinition = false }
                continue
            }
            if line.hasPrefix(".") || line.hasPrefix("'") {
                let (macro, arguments) = parseRequest(line)
                switch macro {
                case "\\\"", "":
                    continue
                case "de", "de1", "am", "ig":
                    skippingDefinition = true
                case "TH", "Dt":
                    let name = arguments.first.map(RoffEscapes.render) ?? ""
                    let section = arguments.dropFirst().first.map(RoffEscapes.render) ?? ""
                    builder.startBlock(.heading(level: 0, title: ""))
                    builder.append((section.isEmpty ? name : "\(name)(\(section))").utf8)
                    builder.endBlock()
                case "SH", "SS", "Sh", "Ss":
                    let level = (macro == "SH" || macro == "Sh") ? 1 : 2
                    builder.startBlock(.heading(level: level, title: ""))
                    if arguments.isEmpty {
                        headingLevelFromNextLine = level
                    } else {
                        builder.append(arguments.map(RoffEscapes.render).joined(separator: " ").utf8)
                        builder.endBlock()
                    }
                case "PP", "LP", "P", "sp", "HP", "RS", "RE", "in", "ti", "Pp", "Bl", "El":
                    if !noFill { builder.endBlock() }
                case "IP", "It":
                    builder.endBlock()
                    if let tag = arguments.first {
                        builder.append(RoffEscapes.render(tag).utf8)
                        builder.append(byte: 0x20)
                    }
                case "TP":
                    builder.endBlock()
                    tagLinePending = true
                case "br":
                    builder.lineBreak()
                case "nf", "EX", "Bd":
                    noFill = true
                    builder.startBlock(.code, preformatted: true)
                case "fi", "EE", "Ed":
                    noFill = false
                    builder.endBlock()
                case "B", "I", "SM", "SB", "UR", "MT", "SY", "OP", "Nm", "Ar", "Fl", "Xr", "Pa", "Em", "Sy", "Nd", "Op":
                    appendText(arguments.map(RoffEscapes.render).joined(separator: " "), noFill: noFill, into: &builder)
                case "BR", "BI", "IB", "IR", "RB", "RI":
                    appendText(arguments.map(RoffEscapes.render).joined(), noFill: noFill, into: &builder)
                default:
                    continue   // layout requests (.ft, .ad, .na, .PD, .IX, .TS, .if, …) carry no text
                }
                if macro == "B" || macro == "I" || macro.count == 2 && macro.allSatisfy({ "BIR".contains($0) }) {
                    if tagLinePending { tagLinePending = false; builder.lineBreak() }
                }
                continue
            }
            let text = RoffEscapes.renderInPieces(line)
            appendText(text, noFill: noFill, into: &builder)
            if let _ = headingLevelFromNextLine {
                builder.endBlock()
                headingLevelFromNextLine = nil
            } else if tagLinePending {
                tagLinePending = false
                builder.lineBreak()
            }
        }
        return builder.finish(format: .man)
    }

    static func appendText(_ text: String, noFill: Bool, into builder: inout StructuredTextBuilder) {
        if noFill {
            builder.append(text.utf8)
            builder.append(byte: 0x0A)
        } else if text.trimmingCharacters(in: .whitespaces).isEmpty {
            builder.endBlock()   // a blank text line is a paragraph break
        } else {
            builder.append(text.utf8)
            builder.append(byte: 0x20)
        }
    }

    /// `.BR foo "bar baz"` → ("BR", ["foo", "bar baz"]).
    static func parseRequest(_ line: String) -> (String, [String]) {
        let body = line.dropFirst().drop(while: { $0 == " " || $0 == "\t" })
        if body.hasPrefix("\\\"") { return ("\\\"", []) }
        let name = String(body.prefix(while: { $0 != " " && $0 != "\t" }))
        var rest = Substring(body.dropFirst(name.count))
        var arguments: [String] = []
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard let first = rest.first else { break }
            if first == "\"" {
                rest = rest.dropFirst()
                var argument = ""
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" {
                        if rest.first == "\"" { argument.append("\""); rest = rest.dropFirst(); continue }
                        break
                    }
                    argument.append(character)
                }
                arguments.append(argument)
            } else {
                let argument = rest.prefix(while: { $0 != " " && $0 != "\t" })
                if argument.hasPrefix("\\\"") { break }
                arguments.append(String(argument))
                rest = rest.dropFirst(argument.count)
            }
        }
        return (name, arguments)
    }
}

/// roff escape sequences → plain characters.
enum RoffEscapes {
    /// Characters rendered at a time by `renderInPieces`.
    static let pieceCharacters = 65_536

    /// `render` a piece at a time, so a line of any length costs memory in proportion to a piece
    /// (an escape cut at a piece boundary is rendered as text: only absurd lines have pieces).
    static func renderInPieces(_ line: String) -> String {
        guard line.utf8.count > pieceCharacters else { return render(line) }
        var output = ""
        var rest = Substring(line)
        while !rest.isEmpty {
            let piece = rest.prefix(pieceCharacters)
            output += render(String(piece))
            rest = rest[piece.endIndex...]
        }
        return output
    }

    static func render(_ line: String) -> String {
        guard line.contains("\\") else { return line }
        var output = ""
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            guard character == "\\" else { output.append(character); continue }
            guard let code = characters.popFirst() else { break }
            switch code {
            case "\"", "#":
                return output   // comment to end of line
            case "f", "s", "n", "k", "F", "m", "M", "g", "z", "Y":
                if code == "s", let sign = characters.first, sign == "+" || sign == "-" { characters.removeFirst() }
                _ = readName(&characters)
            case "(":
                output += special(String(characters.prefix(2)))
                characters = characters.dropFirst(2)
            case "[":
                let name = String(characters.prefix(while: { $0 != "]" }))
                characters = characters.dropFirst(name.count + 1)
                output += special(name)
            case "*":
                let name = readName(&characters)
                output += strings[name] ?? ""
            case "e", "\\": output.append("\\")
            case "-": output.append("-")
            case " ", "~", "0": output.append(" ")
            case "'": output.append("'")
            case "`": output.append("`")
            case ".": output.append(".")
            case "&", ")", "%", ":", "c", "/", ",", "^", "|", "d", "u", "p", "r", "t": break
            case "h", "v", "w", "o", "l", "L", "D", "X", "Z", "b", "x", "R", "S", "A", "B", "C", "N", "V":
                if let quote = characters.first, quote == "'" || quote == "[" {
                    characters.removeFirst()
                    let closing: Character = quote == "[" ? "]" : "'"
                    let argument = characters.prefix(while: { $0 != closing })
                    characters = characters.dropFirst(argument.count + 1)
                    if code == "N", let value = UInt32(String(argument)), let scalar = Unicode.Scalar(value) {
                        output.unicodeScalars.append(scalar)
                    }
                }
            case "$": _ = characters.popFirst()
            default: output.append(code)
            }
        }
        return output
    }

    /// A roff name after an escape: `x`, `(xx` or `[name]`.
    static func readName(_ characters: inout ArraySlice<Character>) -> String {
        guard let first = characters.popFirst() else { return "" }
        if first == "(" {
            let name = String(characters.prefix(2))
            characters = characters.dropFirst(2)
            return name
        }
        if first == "[" {
            let name = String(characters.prefix(while: { $0 != "]" }))
            characters = characters.dropFirst(name.count + 1)
            return name
        }
        return String(first)
    }

    static func special(_ name: String) -> String {
        if let known = specials[name] { return known }
        if name.hasPrefix("u"), let value = UInt32(name.dropFirst(), radix: 16), let scalar = Unicode.Scalar(value) {
            return String(Character(scalar))
        }
        return ""
    }

    static let strings: [String: String] = [
        "R": "®", "Tm": "™", "lq": "“", "rq": "”", "S": "", "Lq": "“", "Rq": "”", "Ba": "|", "Ne": "≠", "Le": "≤", "Ge": "≥",
    ]

    static let specials: [String: String] = [
        "em": "—", "en": "–", "hy": "-", "mi": "−", "bu": "•", "aq": "'", "dq": "\"", "lq": "“", "rq": "”", "oq": "‘",
        "cq": "’", "co": "©", "rg": "®", "tm": "™", "mu": "×", "di": "÷", "de": "°", "+-": "±", "<=": "≤", ">=": "≥",
        "!=": "≠", "==": "≡", "~=": "≅", "->": "→", "<-": "←", "<>": "↔", "ua": "↑", "da": "↓", "ga": "`", "aa": "´",
        "ti": "~", "ha": "^", "rs": "\\", "sl": "/", "ba": "|", "br": "│", "lB": "[", "rB": "]", "lC": "{", "rC": "}",
        "la": "⟨", "ra": "⟩", "Fo": "«", "Fc": "»", "fo": "‹", "fc": "›", "ss": "ß", "sc": "§", "ps": "¶", "ct": "¢",
        "Po": "£", "Ye": "¥", "Eu": "€", "eu": "€", "ru": "_", "ul": "_", "sq": "□", "ci": "○", "pl": "+", "eq": "=",
        "**": "∗", "*a": "α", "*b": "β", "*g": "γ", "*d": "δ", "*p": "π", "*m": "μ", "*s": "σ", "if": "∞", "Sd": "ð",
        ":a": "ä", ":o": "ö", ":u": "ü", ":A": "Ä", ":O": "Ö", ":U": "Ü", "'e": "é", "`e": "è", "'a": "á", ",c": "ç",
        "dg": "†", "dd": "‡", "OK": "✓", "fm": "′", "sd": "″", "12": "½", "14": "¼", "34": "¾", "ap": "∼", "sr": "√",
    ]
}
