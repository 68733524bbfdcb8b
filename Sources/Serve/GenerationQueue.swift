import Foundation

/// Why a job did not run.
public enum QueueError: Error, Equatable, CustomStringConvertible {
    /// Every worker is busy and `capacity` jobs are already waiting.
    case full(capacity: Int)
    /// The client left before a worker took the job.
    case cancelled

    public var description: String {
        switch self {
        case .full(let capacity): return "the generation queue is full (\(capacity) waiting): try again shortly"
        case .cancelled: return "the client went away before the job started"
        }
    }
}

/// A bounded queue in front of a fixed set of workers, each owning one `Context` (a generator and what uses it;
/// models are not shared between threads). `run` blocks the caller until a worker has run its job.
public final class GenerationQueue<Context>: @unchecked Sendable {
    /// Jobs that may wait for a worker; one more is refused with `QueueError.full`.
    public let capacity: Int
    public let workers: Int

    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var busy = 0

    private final class Job: @unchecked Sendable {
        let body: (Context) -> Void
        let isCancelled: () -> Bool
        let done = DispatchSemaphore(value: 0)
        var skipped = false
        init(body: @escaping (Context) -> Void, isCancelled: @escaping () -> Bool) {
            self.body = body
            self.isCancelled = isCancelled
        }
    }

    /// Starts one thread per context.
    public init(contexts: [Context], capacity: Int) {
        precondition(!contexts.isEmpty, "a generation queue needs at least one worker")
        self.capacity = capacity
        self.workers = contexts.count
        for (index, context) in contexts.enumerated() {
            let box = UncheckedBox(context)
            let thread = Thread { [self] in workLoop(box.value) }
            thread.name = "generation-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Jobs waiting for a worker, and workers running one.
    public var load: (waiting: Int, running: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (waiting.count, busy)
    }

    /// Runs `body` on a worker and returns its result. Throws `.full` at once when the queue is full, and
    /// `.cancelled` when `isCancelled` turns true before a worker takes the job.
    public func run<T>(isCancelled: @escaping () -> Bool = { false },
                       _ body: @escaping (Context) throws -> T) throws -> T {
        var outcome: Result<T, Error>?
        let job = Job(body: { context in outcome = Result { try body(context) } }, isCancelled: isCancelled)
        condition.lock()
        guard waiting.count < capacity || (busy < workers && waiting.isEmpty) else {
            condition.unlock()
            throw QueueError.full(capacity: capacity)
        }
        waiting.append(job)
        condition.signal()
        condition.unlock()
        job.done.wait()
        if job.skipped { throw QueueError.cancelled }
        return try outcome!.get()
    }

    private func workLoop(_ context: Context) {
        while true {
            condition.lock()
            while waiting.isEmpty { condition.wait() }
            let job = waiting.removeFirst()
            busy += 1
            condition.unlock()
            if job.isCancelled() {
                job.skipped = true
            } else {
                job.body(context)
            }
            condition.lock()
            busy -= 1
            condition.unlock()
            job.done.signal()
        }
    }
}

/// Moves a value to another thread when the caller guarantees only that thread uses it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
