import CEasyNetsKernels
import Dispatch
import Synchronization

/// How many threads EasyNets' own elementwise kernels may split a large tensor across: those that
/// evaluate a transcendental function per element (exp, log, tanh, sigmoid, softplus, GELU, SiLU,
/// Mish, ELU, SELU, pow, and their gradients) and the Adam update. Memory-bound kernels (relu,
/// arithmetic, SGD) stay on one thread, which streams them fastest. BLAS has its own setting,
/// ``BLASRuntime/threadCount``; the `--threads` flag of the tool sets both.
///
/// Tensors under ``minimumParallelCount`` elements always run on the calling thread, so small
/// layers never pay for thread hand-offs.
public enum Parallelism {
    private static let threads = Atomic<Int>(1)

    /// Elements below which a kernel never splits.
    public static let minimumParallelCount = 1 << 17

    /// The number of threads elementwise kernels may use (1, the default, keeps them serial).
    public static var threadCount: Int {
        get { threads.load(ordering: .relaxed) }
        set {
            require(newValue >= 1, "Parallelism.threadCount: must be at least 1, got \(newValue)")
            threads.store(newValue, ordering: .relaxed)
        }
    }

    /// The vector extension the C update loops run with on this CPU: `"avx512f"`, `"avx2"` or
    /// `"baseline"` (picked once, when the library loads).
    public static var vectorExtension: String { String(cString: easynets_kernels_isa()) }

    /// Runs `body(start, count)` over contiguous chunks covering `0..<count`: on several threads
    /// when `count` is large and ``threadCount`` > 1, else once on this thread. Returns whether it split.
    @discardableResult
    static func forEachChunk(_ count: Int, _ body: (_ start: Int, _ count: Int) -> Void) -> Bool {
        let parts = threadCount
        guard parts > 1, count >= minimumParallelCount else { return false }
        let chunk = (count + parts - 1) / parts
        withoutActuallyEscaping(body) { body in
            let task = ChunkTask(body: body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = part * chunk
                if start < count { task.body(start, Swift.min(chunk, count - start)) }
            }
        }
        return true
    }

    /// Carries the chunk body into the worker threads: each chunk touches a disjoint range.
    private struct ChunkTask: @unchecked Sendable {
        let body: (Int, Int) -> Void
    }
}
