import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where output goes: results to stdout, progress and logs to stderr.
struct Console {
    let quiet: Bool
    let verbose: Bool

    /// Is stderr a terminal (progress bars, colours) or a pipe/file (plain lines)?
    var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
    var stdinIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }
    var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// A result line on stdout.
    func result(_ text: String) {
        Console.writeStdout(text + "\n")
    }

    /// Streamed result text on stdout (no newline added), flushed at once.
    func stream(_ text: String) {
        Console.writeStdout(text)
    }

    /// A notice on stderr, unless --quiet.
    func info(_ text: String) {
        guard !quiet else { return }
        Console.writeStderr(text + "\n")
    }

    /// Detail on stderr, only with --verbose.
    func debug(_ text: String) {
        guard verbose, !quiet else { return }
        Console.writeStderr(text + "\n")
    }

    static func writeStdout(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func writeStderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
