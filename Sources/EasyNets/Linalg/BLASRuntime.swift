import CBLAS
import Synchronization

/// The BLAS library EasyNets runs on, and its thread count.
public enum BLASRuntime {
    /// OpenBLAS's build configuration string (`openblas_get_config`).
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// The CPU kernel OpenBLAS selected at load time (`openblas_get_corename`), e.g. "Cooperlake".
    public static var coreName: String {
        guard let text = openblas_get_corename() else { return "unknown" }
        return String(cString: text)
    }

    /// OpenBLAS's thread count when the library loaded: every processor, or `OPENBLAS_NUM_THREADS`.
    /// ``Parallelism/threadCount`` starts from it.
    static let initialThreadCount = Swift.max(1, Int(openblas_get_num_threads()))

    /// The thread count OpenBLAS was last set to, so an unchanged count costs no call.
    private static let appliedThreads = Atomic<Int>(initialThreadCount)

    /// The thread count OpenBLAS is set to once `work` has run (for tests of the decisions).
    static func appliedThreadCount<T>(after work: @autoclosure () -> T) -> Int {
        _ = work()
        return Int(openblas_get_num_threads())
    }

    /// Sets the threads OpenBLAS's next calls use (`openblas_set_num_threads`), when it changes.
    /// ``Parallelism`` decides the count; this only applies it.
    static func useThreads(_ count: Int) {
        if appliedThreads.exchange(count, ordering: .relaxed) != count {
            openblas_set_num_threads(Int32(count))
        }
    }

    /// The number of processors OpenBLAS detected (`openblas_get_num_procs`).
    public static var processorCount: Int { Int(openblas_get_num_procs()) }
}
