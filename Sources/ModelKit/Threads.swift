import Foundation

/// The thread count the engines' `WorkerPool`s use by default.
public enum ComputeThreads {
    /// All cores unless `RAG_THREADS` says otherwise.
    public static var defaultCount: Int {
        if let text = ProcessInfo.processInfo.environment["RAG_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}
