import Dispatch
import Synchronization

/// How many threads EasyNets uses, and the one place that decides, per product and per kernel, how
/// many of them a piece of work gets.
///
/// ``threadCount`` is the most threads any single operation uses (default: every processor, or
/// `OPENBLAS_NUM_THREADS` when set); the `--threads` flag of the tool sets it. Below that limit the
/// work decides:
/// - a BLAS product gets one thread per ``minimumProductWorkPerThread`` multiply-adds (gemm) or
///   ``minimumVectorProductWorkPerThread`` matrix elements (gemv, ger), so small products, and
///   every product of a batch-1 step, run on the calling thread. Waking OpenBLAS's workers for a
///   few microseconds of work costs more than it saves, and its idle workers then spin on the other
///   cores while the single-threaded work that follows runs;
/// - EasyNets' own elementwise kernels split tensors of ``minimumParallelCount`` elements or more
///   when they evaluate a transcendental function per element (exp, log, tanh, sigmoid, softplus,
///   GELU, SiLU, Mish, ELU, SELU, pow, and their gradients). Memory-bound kernels (relu,
///   arithmetic, and every optimizer's update) stay on one thread, which streams them fastest:
///   split across 2 threads, the Adam update of the `online` step took 1.25× the time of one
///   thread (Dispatch's hand-off), and of the `large` step no less.
///
/// EasyNets' own kernels give the same bits at any thread count: a split kernel computes each
/// element as the serial loop does. BLAS products need not: OpenBLAS may group a product's sums
/// differently at another thread count (Debian's 0.3.21 does on AMD Zen), so results can differ
/// in the last bits, each within the product's rounding error bound γₖ·(|A|·|B|) for inner
/// dimension k. Runs are reproducible at a fixed thread count.
public enum Parallelism {
    private static let threads = Atomic<Int>(BLASRuntime.initialThreadCount)

    /// Elements below which a kernel never splits.
    public static let minimumParallelCount = 1 << 17

    /// Multiply-adds (m·n·k) of a gemm per thread it is given: about 10 µs of work at one core's
    /// speed, the point where a second thread starts to pay on this machine kind (a 32×128×128
    /// product takes 0.81× the time at 2 threads, a 16×128×128 one 1.00×).
    public static let minimumProductWorkPerThread = 1 << 19

    /// Matrix elements (m·n) of a gemv or ger per thread it is given: a 4 M-element matrix is
    /// read from memory, not cache, so a second core adds bandwidth.
    public static let minimumVectorProductWorkPerThread = 1 << 21

    /// The most threads one operation uses: BLAS products and EasyNets' own kernels (at least 1).
    public static var threadCount: Int {
        get { threads.load(ordering: .relaxed) }
        set {
            require(newValue >= 1, "Parallelism.threadCount: must be at least 1, got \(newValue)")
            threads.store(newValue, ordering: .relaxed)
        }
    }

    /// The threads a BLAS call doing `work` units gets, at `perThread` units a thread, up to `limit`.
    static func threads(forWork work: Int, perThread: Int, limit: Int = threadCount) -> Int {
        Swift.max(1, Swift.min(limit, work / perThread))
    }

    /// The vector extension the C kernels (update loops, ReLU, pooling, batch normalization, the
    /// Float LSTM cell) run with on this CPU: `"avx512f"`, `"avx2"` or
    /// `"baseline"` (picked once, when the library loads).
    public static var vectorExtension: String { KernelDispatch.vectorExtension }

    /// Runs `body(start, count)` over contiguous chunks covering `0..<count`: on several threads
    /// when `count` is large and ``threadCount`` > 1, else once on this thread. Returns whether it split.
    @discardableResult
    static func forEachChunk(_ count: Int, _ body: (_ start: Int, _ count: Int) -> Void) -> Bool {
        guard threadCount > 1, count >= minimumParallelCount else { return false }
        splitting(count, costPerItem: 1, body)
        return true
    }

    /// Runs `body(start, count)` over contiguous chunks covering `0..<count` items: on up to
    /// ``threadCount`` threads when the whole job (`count` · `costPerItem` elements touched) reaches
    /// ``minimumParallelCount``, else once on this thread. For loops over channels, planes or images
    /// whose items are large (a channel of a batch of images), where splitting by element would not fit.
    static func splitting(_ count: Int, costPerItem: Int, _ body: (_ start: Int, _ count: Int) -> Void) {
        let (work, overflow) = count.multipliedReportingOverflow(by: Swift.max(costPerItem, 1))
        let parts = Swift.min(threadCount, count)
        guard parts > 1, overflow || work >= minimumParallelCount else {
            body(0, count)
            return
        }
        let chunk = (count + parts - 1) / parts
        withoutActuallyEscaping(body) { body in
            let task = ChunkTask(body: body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = part * chunk
                if start < count { task.body(start, Swift.min(chunk, count - start)) }
            }
        }
    }

    /// Carries the chunk body into the worker threads: each chunk touches a disjoint range.
    private struct ChunkTask: @unchecked Sendable {
        let body: (Int, Int) -> Void
    }
}
