import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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
///   cores while the single-threaded work that follows runs. A product of 2²⁴ multiply-adds or
///   more whose result has 4096 rows or columns or more runs as shares, one single-threaded BLAS
///   call per thread on a band of its result;
/// - EasyNets' own elementwise kernels split tensors of ``minimumParallelCount`` elements or more
///   when they evaluate a transcendental function per element (exp, log, tanh, sigmoid, softplus,
///   GELU, SiLU, Mish, ELU, SELU, pow, and their gradients), and so do dropout and its gradient
///   (each part drawing from the generator advanced to its first element). Other memory-bound
///   kernels (relu, arithmetic, and every optimizer's update) stay on one thread, which streams
///   them fastest: split across 2 threads, the Adam update of the `online` step took 1.25× the
///   time of one thread (Dispatch's hand-off), and of the `large` step no less.
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
        concurrently(parts) { part in
            let start = part * chunk
            if start < count { body(start, Swift.min(chunk, count - start)) }
        }
    }

    /// Runs `body(part)` for every part in `0..<parts` at once, on this thread and Dispatch's
    /// workers, and returns when all have returned. Each part must touch data of its own.
    static func concurrently(_ parts: Int, _ body: (_ part: Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let task = PartTask(body: body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in task.body(part) }
        }
    }

    /// Carries a part body into the worker threads: each part touches data of its own.
    private struct PartTask: @unchecked Sendable {
        let body: (Int) -> Void
    }

    /// The parts a sequence of dependent products (a recurrence's steps, each an (m, k)·(k, n)
    /// product with `m·n·k = stepWork`) is split into when the parts run in lockstep: one per
    /// ``minimumProductWorkPerThread`` of a step, up to ``threadCount``.
    static func lockstepParts(stepWork: Int) -> Int {
        threads(forWork: stepWork, perThread: minimumProductWorkPerThread)
    }

    /// Runs `body(part, barrier)` for every part in `0..<parts` at once, part 0 on this thread and
    /// each other part on a thread of its own, and returns when all have returned. The parts must
    /// call `barrier.wait()` equally often; a part passes each wait once every part has reached it,
    /// and then sees everything the others wrote before it. With one part the body runs here and
    /// waits cost nothing.
    ///
    /// For recurrences split across threads: each step's products run on one thread per part
    /// (`threadLimit: 1`), with one barrier a step instead of OpenBLAS's own hand-off per product,
    /// and the elementwise work between the products split too.
    static func inLockstep(parts: Int, _ body: (_ part: Int, _ barrier: LockstepBarrier) -> Void) {
        let barrier = LockstepBarrier(parties: parts)
        guard parts > 1 else { return body(0, barrier) }
        withoutActuallyEscaping(body) { body in
            let task = LockstepTask(body: body, barrier: barrier)
            var threads: [pthread_t] = []
            for part in 1..<parts {
                let context = Unmanaged.passRetained(LockstepPart(task: task, part: part)).toOpaque()
                var thread = pthread_t()
                let status = pthread_create(&thread, nil, { context in
                    let part = Unmanaged<LockstepPart>.fromOpaque(context!).takeRetainedValue()
                    part.task.body(part.part, part.task.barrier)
                    return nil
                }, context)
                require(status == 0, "Parallelism.inLockstep: pthread_create failed with status \(status)")
                threads.append(thread)
            }
            body(0, barrier)
            for thread in threads { pthread_join(thread, nil) }
        }
    }

    /// The body and barrier of one ``inLockstep(parts:_:)`` run, shared by its threads.
    private struct LockstepTask: @unchecked Sendable {
        let body: (Int, LockstepBarrier) -> Void
        let barrier: LockstepBarrier
    }

    /// What a thread of ``inLockstep(parts:_:)`` runs: the task and its part.
    private final class LockstepPart: @unchecked Sendable {
        let task: LockstepTask, part: Int
        init(task: LockstepTask, part: Int) { (self.task, self.part) = (task, part) }
    }
}

/// A reusable barrier for the parts of ``Parallelism/inLockstep(parts:_:)``: `wait()` returns once
/// all `parties` have called it, and what each wrote before its call is visible to all after.
/// Waiting spins (the parts' waits are microseconds apart), yielding the core after a while so
/// that more parts than cores still progress.
final class LockstepBarrier: Sendable {
    let parties: Int
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)

    init(parties: Int) { self.parties = parties }

    func wait() {
        guard parties > 1 else { return }
        let current = generation.load(ordering: .acquiring)
        if arrived.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == parties {
            arrived.store(0, ordering: .relaxed)
            generation.store(current &+ 1, ordering: .releasing)  // publishes the reset too
            return
        }
        var spins = 0
        while generation.load(ordering: .acquiring) == current {
            spins += 1
            if spins > 1 << 12 { sched_yield() }
        }
    }
}
