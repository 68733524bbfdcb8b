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

    init(console: Console) {
        self.console = console
        self.interactive = console.stderrIsTerminal
    }

    func handle(_ event: IngestEvent) {
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

/// Ctrl-C during an ingest: the first finishes the documents in hand and stops cleanly; a second aborts.
final class IngestInterruptHandler {
    private let source: DispatchSourceSignal
    let cancellation = IngestCancellation()

    init(console: Console) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "rag.ingest.sigint"))
        let cancellation = self.cancellation
        let quiet = console.quiet
        source.setEventHandler {
            if cancellation.isCancelled {
                Console.writeStderr("\nrag: aborted\n")
                exit(130)
            }
            cancellation.cancel()
            if !quiet { Console.writeStderr("\nrag: stopping after the current documents (Ctrl-C again to abort)\n") }
        }
        source.resume()
    }

    deinit {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
