import CBLAS
import Foundation
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
    /// ``Parallelism/threadCount`` starts from it. Reading it first sets the workers' idle spin
    /// (``workerSpinExponent``), before any BLAS call runs.
    static let initialThreadCount: Int = {
        shortenWorkerSpin()
        return Swift.max(1, Int(openblas_get_num_threads()))
    }()

    /// OpenBLAS's idle workers spin (yielding) for 2^n cycles before they sleep: 2^28 by default,
    /// about 0.1 s. EasyNets' own threaded kernels (convolution columns, normalization, pooling)
    /// run between products for milliseconds, and a worker spinning that long takes a core from
    /// them: the `cnn` step took 58 ms at 2 threads with the default, 49 ms with 2^20 cycles
    /// (about 0.3 ms, longer than the gaps between the products of one step, so the `small` and
    /// `large` steps keep their workers awake: 0.83 and 14.6 ms either way). An
    /// `OPENBLAS_THREAD_TIMEOUT` set by the user wins.
    static let workerSpinExponent = 20

    private static func shortenWorkerSpin() {
        guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", String(workerSpinExponent), 0)
        openblas_read_env()
        _ = blas_thread_shutdown_()  // the next threaded call starts the workers with the new spin
    }

    /// The thread count OpenBLAS was last set to, so an unchanged count costs no call.
    private static let appliedThreads = Atomic<Int>(initialThreadCount)

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
