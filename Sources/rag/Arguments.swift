import Foundation

/// A usage mistake: unknown command or option, missing or malformed argument. Exit code 2.
struct UsageError: Error {
    let message: String
    /// The command whose `--help` the hint points to (nil: top level).
    let command: String?
    /// False for a refusal that is complete in one line (no "Run 'rag … --help'" hint).
    var showsHint = true
}

/// A failure while running a command (bad input file, missing index, …). Exit code 1.
struct CommandFailure: Error {
    let message: String
}

/// One option a command accepts. `valueName == nil` makes it a flag.
struct OptionSpec: Sendable {
    let long: String
    let short: Character?
    let valueName: String?
    let help: String

    init(_ long: String, short: Character? = nil, value valueName: String? = nil, help: String) {
        self.long = long
        self.short = short
        self.valueName = valueName
        self.help = help
    }

    /// Shared by the commands that search (search, ask, chat, eval).
    static let noRerank = OptionSpec("no-rerank", help: "hybrid search without its second stage (coverage and document support)")
}

/// What a command looks like on the command line.
struct CommandSpec: Sendable {
    let name: String
    let summary: String
    /// Usage line(s) after `rag `, e.g. `ask [options] QUESTION`.
    let usage: [String]
    let options: [OptionSpec]
    /// Allowed number of positional arguments.
    let positionals: ClosedRange<Int>
    /// Extra text shown by `rag COMMAND --help`.
    let details: String
    let run: @Sendable (Invocation) throws -> Void
}

/// Options every command understands, wherever they appear on the command line.
struct GlobalOptions {
    var databasePath: String?
    var modelsDirectory: String?
    var quiet = false
    var verbose = false

    static let specs: [OptionSpec] = [
        OptionSpec("db", value: "PATH", help: "index database (default: $RAG_DB, else ${XDG_DATA_HOME:-~/.local/share}/rag/index.sqlite)"),
        OptionSpec("models", value: "DIR", help: "models directory (default: $RAG_MODELS, else ${XDG_CACHE_HOME:-~/.cache}/rag/models)"),
        OptionSpec("quiet", short: "q", help: "print results only: no progress or notices on stderr"),
        OptionSpec("verbose", short: "v", help: "more detail on stderr (timings, decisions)"),
        OptionSpec("help", short: "h", help: "show help"),
    ]
}

/// The parsed arguments of one command.
struct ParsedArguments {
    private(set) var flags: Set<String> = []
    private(set) var values: [String: String] = [:]
    private(set) var positionals: [String] = []
    let command: String

    init(command: String) { self.command = command }

    mutating func setFlag(_ name: String) { flags.insert(name) }
    mutating func setValue(_ name: String, _ value: String) { values[name] = value }
    mutating func addPositional(_ value: String) { positionals.append(value) }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String, default fallback: Int? = nil, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text) else {
            throw UsageError(message: "invalid value for --\(name): '\(text)' is not an integer", command: command)
        }
        if let range, !range.contains(value) {
            throw UsageError(message: "invalid value for --\(name): \(value) is outside \(range.lowerBound)...\(range.upperBound)", command: command)
        }
        return value
    }

    func double(_ name: String, default fallback: Double? = nil, range: ClosedRange<Double>? = nil) throws -> Double? {
        guard let text = values[name] else { return fallback }
        guard let value = Double(text), value.isFinite else {
            throw UsageError(message: "invalid value for --\(name): '\(text)' is not a number", command: command)
        }
        if let range, !range.contains(value) {
            throw UsageError(message: "invalid value for --\(name): \(value) is outside \(range.lowerBound)...\(range.upperBound)", command: command)
        }
        return value
    }

    /// One of a fixed set of words, e.g. `--mode dense|lexical|hybrid`.
    func choice(_ name: String, from allowed: [String], default fallback: String) throws -> String {
        guard let text = values[name] else { return fallback }
        guard allowed.contains(text) else {
            throw UsageError(message: "invalid value for --\(name): '\(text)' (expected one of: \(allowed.joined(separator: ", ")))", command: command)
        }
        return text
    }
}

/// Everything a command needs to run.
struct Invocation {
    let global: GlobalOptions
    let arguments: ParsedArguments
    let console: Console
}

/// Splits argv into the command, its options and positionals, and the global options.
/// Accepts `--name value`, `--name=value`, `-x value`, and `--` to end option parsing.
struct ArgumentParser {
    let commands: [CommandSpec]

    enum Outcome {
        case topLevelHelp
        case version
        case commandHelp(CommandSpec)
        case run(CommandSpec, GlobalOptions, ParsedArguments)
    }

    func parse(_ argv: [String]) throws -> Outcome {
        var global = GlobalOptions()
        var command: CommandSpec?
        var parsed = ParsedArguments(command: "")
        var wantsHelp = false
        var index = 0
        var onlyPositionals = false

        func takeValue(for name: String, inline: String?) throws -> String {
            if let inline { return inline }
            index += 1
            guard index < argv.count else {
                throw UsageError(message: "option --\(name) needs a value", command: command?.name)
            }
            return argv[index]
        }

        while index < argv.count {
            let argument = argv[index]
            defer { index += 1 }

            if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
                if command == nil && !onlyPositionals {
                    guard let found = commands.first(where: { $0.name == argument }) else {
                        throw UsageError(message: "unknown command '\(argument)'", command: nil)
                    }
                    command = found
                    parsed = ParsedArguments(command: found.name)
                } else {
                    guard command != nil else { throw UsageError(message: "missing command", command: nil) }
                    parsed.addPositional(argument)
                }
                continue
            }
            if argument == "--" { onlyPositionals = true; continue }
            if argument == "--version" && command == nil { return .version }

            // Resolve the option's long name and an inline `=value`.
            var name: String
            var inlineValue: String?
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    inlineValue = String(body[body.index(after: equals)...])
                } else {
                    name = String(body)
                }
            } else {
                let letters = Array(argument.dropFirst())
                guard letters.count == 1 else {
                    throw UsageError(message: "unknown option '\(argument)'" + (command.map { " for '\($0.name)'" } ?? ""), command: command?.name)
                }
                let letter = letters[0]
                let all = GlobalOptions.specs + (command?.options ?? [])
                guard let spec = all.first(where: { $0.short == letter }) else {
                    throw UsageError(message: "unknown option '\(argument)'" + (command.map { " for '\($0.name)'" } ?? ""), command: command?.name)
                }
                name = spec.long
            }

            switch name {
            case "help": wantsHelp = true; continue
            case "quiet": global.quiet = true; continue
            case "verbose": global.verbose = true; continue
            case "db": global.databasePath = try takeValue(for: name, inline: inlineValue); continue
            case "models": global.modelsDirectory = try takeValue(for: name, inline: inlineValue); continue
            default: break
            }

            guard let command else {
                throw UsageError(message: "unknown option '\(argument)' (options of a command go after its name)", command: nil)
            }
            guard let spec = command.options.first(where: { $0.long == name }) else {
                throw UsageError(message: "unknown option '\(argument)' for '\(command.name)'", command: command.name)
            }
            if spec.valueName != nil {
                parsed.setValue(name, try takeValue(for: name, inline: inlineValue))
            } else {
                if inlineValue != nil {
                    throw UsageError(message: "option --\(name) takes no value", command: command.name)
                }
                parsed.setFlag(name)
            }
        }

        guard let command else {
            if wantsHelp || argv.isEmpty { return .topLevelHelp }
            throw UsageError(message: "missing command", command: nil)
        }
        if wantsHelp { return .commandHelp(command) }
        let count = parsed.positionals.count
        if count < command.positionals.lowerBound {
            let missing = command.usage.first.map { " (usage: rag \($0))" } ?? ""
            throw UsageError(message: "missing argument for '\(command.name)'\(missing)", command: command.name)
        }
        if count > command.positionals.upperBound {
            throw UsageError(message: "unexpected argument '\(parsed.positionals[command.positionals.upperBound])' for '\(command.name)'", command: command.name)
        }
        return .run(command, global, parsed)
    }
}
