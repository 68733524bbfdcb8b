import Foundation
import ModelKit

/// Exit codes of `rag`.
enum ExitCode: Int32 {
    case success = 0
    case failure = 1
    case usage = 2
}

/// The command-line front end: parse, dispatch, print errors, choose the exit code.
/// Libraries throw typed errors; only this layer prints them and exits.
enum RagCLI {
    static let version = "0.1.0"

    /// All commands, in the order `rag --help` lists them.
    static let commands: [CommandSpec] = [
        IngestCommand.spec,
        RemoveCommand.spec,
        AskCommand.spec,
        SummarizeCommand.spec,
        ChatCommand.spec,
        SearchCommand.spec,
        ServeCommand.spec,
        StatusCommand.spec,
        GenerateCommand.spec,
        TokenizeCommand.spec,
        EmbedCommand.spec,
        BenchCommand.spec,
        EvalCommand.spec,
    ]

    static func run(_ argv: [String]) -> ExitCode {
        let parser = ArgumentParser(commands: commands)
        do {
            switch try parser.parse(argv) {
            case .topLevelHelp:
                Console.writeStdout(topLevelHelp())
                return .success
            case .version:
                Console.writeStdout("rag \(version)\n")
                return .success
            case .commandHelp(let command):
                Console.writeStdout(help(for: command))
                return .success
            case .run(let command, let global, let arguments):
                let console = Console(quiet: global.quiet, verbose: global.verbose)
                try command.run(Invocation(global: global, arguments: arguments, console: console))
                return .success
            }
        } catch let error as UsageError {
            Console.writeStderr("rag: \(error.message)\n")
            guard error.showsHint else { return .usage }
            let hint = error.command.map { "rag \($0) --help" } ?? "rag --help"
            Console.writeStderr("Run '\(hint)' for usage.\n")
            return .usage
        } catch let error as CommandFailure {
            Console.writeStderr("rag: \(error.message)\n")
            return .failure
        } catch {
            Console.writeStderr("rag: \(describe(error))\n")
            return .failure
        }
    }

    /// A one-line description of any library error.
    static func describe(_ error: any Error) -> String {
        String(describing: error)
    }

    static func topLevelHelp() -> String {
        var text = """
        rag \(version) — ask questions about your documents, answered locally with citations.

        Usage: rag [global options] COMMAND [options] [arguments]

        Commands:

        """
        let width = (commands.map(\.name.count).max() ?? 0) + 2
        for command in commands {
            text += "  " + command.name.padding(toLength: width, withPad: " ", startingAt: 0) + command.summary + "\n"
        }
        text += "\nGlobal options:\n" + optionLines(GlobalOptions.specs)
        text += "  --version            print the version\n"
        text += "\nRun 'rag COMMAND --help' for a command's options. A query or question that starts with '-' goes\n"
        text += "after '--': rag search -- \"-v flag\".\n"
        return text
    }

    static func help(for command: CommandSpec) -> String {
        var text = "rag \(command.name) — \(command.summary)\n\nUsage:\n"
        for line in command.usage { text += "  rag \(line)\n" }
        if !command.details.isEmpty { text += "\n" + command.details + "\n" }
        if command.positionals.upperBound > 0 {
            text += "\nAn argument that starts with '-' goes after '--': rag \(command.name) [options] -- -ARGUMENT\n"
        }
        if !command.options.isEmpty { text += "\nOptions:\n" + optionLines(command.options) }
        text += "\nGlobal options:\n" + optionLines(GlobalOptions.specs)
        return text
    }

    static func optionLines(_ specs: [OptionSpec]) -> String {
        let rendered = specs.map { spec -> (String, String) in
            var left = spec.short.map { "-\($0), " } ?? "    "
            left += "--\(spec.long)"
            if let value = spec.valueName { left += " \(value)" }
            return (left, spec.help)
        }
        let width = max(20, (rendered.map(\.0.count).max() ?? 0) + 2)
        return rendered.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + " " + $0.1 + "\n" }.joined()
    }
}

/// Where the index database lives: `--db`, else `$RAG_DB`, else `${XDG_DATA_HOME:-$HOME/.local/share}/rag/index.sqlite`.
enum DataPaths {
    static func databasePath(_ global: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = global.databasePath, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["RAG_DB"], !fromEnvironment.isEmpty { return fromEnvironment }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return dataHome + "/rag/index.sqlite"
    }

    static func models(_ global: GlobalOptions) -> ModelLocator {
        ModelLocator(explicitDirectory: global.modelsDirectory)
    }
}
