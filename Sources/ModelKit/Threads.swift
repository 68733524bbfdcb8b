import COpenBLAS
import Foundation

/// Thread count used by our own parallel loops and by OpenBLAS.
public enum ComputeThreads {
    /// All cores unless `RAG_THREADS` says otherwise.
    public static var defaultCount: Int {
        if let text = ProcessInfo.processInfo.environment["RAG_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Tells OpenBLAS how many threads its sgemm may use.
    public static func configureBLAS(threads: Int = defaultCount) {
        openblas_set_num_threads(Int32(threads))
    }

    /// Runs `body(range)` over `count` items split into `parts` contiguous ranges, in parallel.
    /// With one part (or one item) it runs inline, with no thread hop.
    public static func parallelRanges(_ count: Int, parts: Int = defaultCount, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(parts, count))
        if parts == 1 {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = count * part / parts
                let end = count * (part + 1) / parts
                if start < end { shared.value(start..<end) }
            }
        }
    }
}

/// Carries a non-Sendable value into `concurrentPerform`; callers guarantee disjoint access.
public struct UnsafeSendableBox<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
