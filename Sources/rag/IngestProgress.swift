import Foundation
import Index

/// Shows ingest progress on stderr: a redrawn bar on a terminal, plain lines otherwise.
/// Skipped files are listed one per line with their reason.
final class IngestProgressPrinter {
    let console: Console
    let interactive: Bool
    private var lastDraw = Date.distantPast
    private var barVisible = false
    /// Plain-line mode prints at most this often.
    private let plainInterval: TimeInterval = 2
    /// Set once `--watch` is watching: each applied change is one line on stderr (`json`: one JSON line on
    /// stdout), and there is no progress bar.
    var watching = false
    var json = false
    /// The switch from inotify to polling was announced.
    var announcedPolling = false

    init(console: Console) {
        self.console = console
        self.interactive = console.stderrIsTerminal
    }

    func handle(_ event: IngestEvent) {
        if watching {
            watchLine(event)
            return
        }
        guard !console.quiet else { return }
        switch event {
        case .walked(let root, let files, let skipped):
            line("scanning \(root): \(files) files\(skipped > 0 ? ", \(skipped) skipped" : "")")
        case .skipped(_, let file):
            line("skipped \(file.path): \(file.reason)")
        case .embeddingInputChanged:
            line("this version embeds each chunk with its heading path: re-embedding the whole index once")
        case .reembedding(let chunks):
            line("embedding \(chunks) chunks that have no vector yet")
        case .progress(let progress):
            draw(progress)
        case .applied(_, let path, let change):
            if console.verbose { line("\(change.rawValue) \(path)") }
        }
    }

    /// One line per applied change and per skipped file while watching.
    private func watchLine(_ event: IngestEvent) {
        let time = ISO8601DateFormatter().string(from: Date())
        switch event {
        case .applied(let root, let path, let change):
            if json {
                Console.writeStdout(WatchChange(time: time, change: change.rawValue, root: root, path: path, detail: nil).json() + "\n")
            } else if !console.quiet {
                Console.writeStderr("\(change.rawValue) \(path)\n")
            }
        case .skipped(let root, let file):
            if json {
                Console.writeStdout(WatchChange(time: time, change: "skipped", root: root, path: file.path, detail: file.reason.description).json() + "\n")
            } else if !console.quiet {
                Console.writeStderr("skipped \(file.path): \(file.reason)\n")
            }
        default:
            break
        }
    }

    /// Removes the bar before the final summary.
    func finish() {
        if barVisible { Console.writeStderr("\r\u{1B}[2K") }
        barVisible = false
    }

    private func line(_ text: String) {
        if barVisible { Console.writeStderr("\r\u{1B}[2K") }
        barVisible = false
        Console.writeStderr(text + "\n")
    }

    private func draw(_ progress: IngestProgress) {
        let now = Date()
        let interval = interactive ? 0.1 : plainInterval
        let done = progress.filesDone == progress.filesTotal && progress.currentFile == nil
        guard now.timeIntervalSince(lastDraw) >= interval || (done && interactive) else { return }
        lastDraw = now
        let rate = progress.elapsed > 0 ? Double(progress.chunksDone) / progress.elapsed : 0
        let fraction = progress.bytesTotal > 0 ? Double(progress.bytesDone) / Double(progress.bytesTotal) : 1
        let eta = fraction > 0.001 && fraction < 1 ? Self.duration(progress.elapsed * (1 - fraction) / fraction) : "-"
        let counts = "\(progress.filesDone)/\(progress.filesTotal) files  \(progress.chunksDone) chunks  "
            + String(format: "%.1f chunks/s", rate) + "  ETA \(eta)"
        if interactive {
            let width = 24
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            Console.writeStderr("\r\u{1B}[2K" + bar + " " + counts)
            barVisible = true
        } else {
            Console.writeStderr("ingest: " + counts + "\n")
        }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m" }
        if total >= 60 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total)s"
    }
}

/// One applied change of `rag ingest --watch --json`.
struct WatchChange: Encodable {
    let time: String
    /// added, updated, removed or skipped
    let change: String
    let root: String
    let path: String
    /// Why a file was skipped.
    let detail: String?

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// Ctrl-C (or SIGTERM) during an ingest: the first finishes the documents in hand and stops cleanly; a second aborts.
final class IngestInterruptHandler {
    private let sources: [DispatchSourceSignal]
    let cancellation = IngestCancellation()

    init(console: Console) {
        let cancellation = self.cancellation
        let quiet = console.quiet
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "rag.ingest.signal"))
            source.setEventHandler {
                if cancellation.isCancelled {
                    Console.writeStderr("\nrag: aborted\n")
                    exit(130)
                }
                cancellation.cancel()
                if !quiet { Console.writeStderr("\nrag: stopping after the current documents (Ctrl-C again to abort)\n") }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
