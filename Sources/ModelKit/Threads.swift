import COpenBLAS
import Foundation

/// Thread count used by the engines' `WorkerPool`s and by OpenBLAS.
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
}
