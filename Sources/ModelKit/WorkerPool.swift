import CKernels
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The thread pool of both engines: persistent worker threads with a low-latency fork/join, built for the many small
/// parallel steps of decoding (a few microseconds each, ~150 per token), where going through Dispatch each time costs
/// too much, and used as well for the embedder's row tiles and attention heads.
/// Workers spin briefly after each job, then sleep on a condition variable, so an idle pool uses no CPU.
///
/// One job runs at a time. A job submitted while another is running (a second thread sharing the engine, or a nested
/// call from inside a part) runs its parts on the submitting thread instead of waiting.
public final class WorkerPool: Sendable {
    public let threadCount: Int
    private let shared: PoolShared
    /// Taken by the job that owns the workers.
    private let busy = Atomic<Bool>(false)

    public init(threads: Int) {
        threadCount = max(1, threads)
        shared = PoolShared(threadCount: threadCount)
        for index in 1..<threadCount {
            let shared = self.shared
            let thread = Thread { shared.workerLoop(index) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        shared.stop()
    }

    /// Runs `body(part)` for every part in 0..<parts on the calling thread and the workers (whoever is free claims
    /// the next part) and returns when all are done.
    public func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 0 else { return }
        guard threadCount > 1, parts > 1,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        shared.run(parts: parts, body)
        busy.store(false, ordering: .releasing)
    }

    /// Splits 0..<count into at most `parts` contiguous ranges (default: one per thread) and runs them in parallel.
    /// With one range it runs inline, with no thread hop.
    public func parallelRanges(_ count: Int, parts: Int? = nil, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(parts ?? threadCount, count))
        run(parts: parts) { part in
            let start = count * part / parts, end = count * (part + 1) / parts
            if start < end { body(start..<end) }
        }
    }
}

/// The state workers share with the submitting thread.
///
/// Parts are claimed dynamically: `ticket` packs (generation: 32 bits, parts: 16 bits, next part: 16 bits) and every
/// thread, the submitter included, claims the next part with a compare-and-swap. If a worker is descheduled (a busy
/// machine), the submitter simply runs the remaining parts itself instead of waiting for it.
private final class PoolShared: @unchecked Sendable {
    // @unchecked: `job` is written by the submitting thread before it publishes a ticket (release) and read by a worker
    // only after it claimed a part of that ticket, which keeps the submitter waiting, so `job` cannot change meanwhile.
    let threadCount: Int
    let ticket = Atomic<UInt64>(0)
    let done = Atomic<Int>(0)
    let sleepers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    var job: ((Int) -> Void)?
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Spin iterations (each a `pause`) before a worker sleeps: about a tenth of a millisecond, enough to bridge the
    /// gaps between decode steps without holding a core while something else (sgemm setup, sampling) runs.
    static let spinLimit = 4_000
    /// Spin iterations before the submitting thread starts yielding while workers finish their parts.
    static let waitSpinLimit = 2_000
    static let maximumParts = 0xFFFF

    init(threadCount: Int) {
        self.threadCount = threadCount
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    @inline(__always) static func generation(_ t: UInt64) -> UInt64 { t >> 32 }
    @inline(__always) static func parts(_ t: UInt64) -> Int { Int((t >> 16) & 0xFFFF) }
    @inline(__always) static func next(_ t: UInt64) -> Int { Int(t & 0xFFFF) }

    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts <= Self.maximumParts, "at most \(Self.maximumParts) parts per job")
        withoutActuallyEscaping(body) { body in
            job = body
            done.store(0, ordering: .relaxed)
            let generation = Self.generation(ticket.load(ordering: .relaxed)) &+ 1
            ticket.store((generation << 32) | (UInt64(parts) << 16), ordering: .sequentiallyConsistent)
            wakeSleepers()
            claimAndRun(generation: generation)
            var spins = 0
            while done.load(ordering: .acquiring) < parts {
                spins += 1
                if spins < Self.waitSpinLimit { rag_cpu_relax() } else { sched_yield() }
            }
            job = nil
        }
    }

    /// Runs parts of ticket `generation` until none is left.
    private func claimAndRun(generation: UInt64) {
        while true {
            let current = ticket.load(ordering: .acquiring)
            guard Self.generation(current) == generation, Self.next(current) < Self.parts(current) else { return }
            let (exchanged, _) = ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            guard exchanged else { continue }
            job?(Self.next(current))
            done.add(1, ordering: .releasing)
        }
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        let generation = Self.generation(ticket.load(ordering: .relaxed)) &+ 1
        ticket.store(generation << 32, ordering: .sequentiallyConsistent)
        wakeSleepers()
    }

    private func wakeSleepers() {
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    func workerLoop(_ index: Int) {
        var seen: UInt64 = 0
        while true {
            var spins = 0
            while Self.generation(ticket.load(ordering: .acquiring)) == seen {
                spins += 1
                if spins < Self.spinLimit {
                    rag_cpu_relax()
                    continue
                }
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while Self.generation(ticket.load(ordering: .sequentiallyConsistent)) == seen {
                    pthread_cond_wait(condition, mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = Self.generation(ticket.load(ordering: .acquiring))
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            claimAndRun(generation: seen)
        }
    }
}
