import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C in an interactive chat: stops the answer being generated, never the session.
///
/// SIGINT is ignored by the process and observed through a dispatch source instead; while an answer is
/// streaming, the next `shouldContinue` returns false; at the prompt, a hint is printed.
final class ChatInterrupt: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var answering = false
    private var source: DispatchSourceSignal?
    private let onIdle: @Sendable () -> Void

    /// `onIdle` runs (on a background queue) when Ctrl-C is pressed while no answer is being generated.
    init(onIdle: @escaping @Sendable () -> Void) {
        self.onIdle = onIdle
    }

    func install() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.fire() }
        source.resume()
        self.source = source
    }

    func uninstall() {
        source?.cancel()
        source = nil
        signal(SIGINT, SIG_DFL)
    }

    /// Call before streaming an answer.
    func beginAnswer() {
        lock.withLock {
            requested = false
            answering = true
        }
    }

    /// Call when the answer is done; returns true when Ctrl-C stopped it.
    @discardableResult
    func endAnswer() -> Bool {
        lock.withLock {
            answering = false
            defer { requested = false }
            return requested
        }
    }

    /// False once Ctrl-C was pressed during the current answer.
    var shouldContinue: Bool { lock.withLock { !requested } }

    private func fire() {
        let idle: Bool = lock.withLock {
            if answering { requested = true }
            return !answering
        }
        if idle { onIdle() }
    }
}
