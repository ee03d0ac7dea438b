import Synchronization

/// The one entry point for dense products: gemm, with degenerate shapes routed to gemv or ger.
///
/// OpenBLAS 0.3.21 runs a 1-row sgemm about 4.7× slower than the equivalent sgemv, so a product
/// with one row or one column becomes a gemv and one with inner dimension 1 an outer product (ger).
/// The speed benchmark issues its BLAS floor through ``gemm(transposeA:transposeB:m:n:k:alpha:a:b:beta:c:)``
/// too (`@_spi(Benchmark) import EasyNets`), so floor and framework take the same routes.
@_spi(Benchmark)
public enum MatrixProduct {
    /// One product's arguments, as ``recordingCalls(_:)`` lists them.
    public struct Call: Equatable, Sendable {
        public var transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, beta: Double
    }

    /// The calls recorded while ``recordingCalls(_:)`` runs.
    private static let recorded = Mutex<[Call]>([])
    /// Whether ``recordingCalls(_:)`` runs: products check this one relaxed load, not the lock.
    private static let isRecording = Atomic<Bool>(false)

    /// Runs `body` and returns the products it issued, in order: the benchmark replays a model's
    /// exact calls as its BLAS floor.
    public static func recordingCalls(_ body: () -> Void) -> [Call] {
        recorded.withLock { $0 = [] }
        isRecording.store(true, ordering: .relaxed)
        body()
        isRecording.store(false, ordering: .relaxed)
        return recorded.withLock { calls in
            defer { calls = [] }
            return calls
        }
    }

    /// Records a product that runs as shares, each issued with `recordsCall: false`: the floor
    /// replays the whole product once, as the one call an unsplit run makes.
    static func recordCall(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, beta: Double) {
        if isRecording.load(ordering: .relaxed) {
            recorded.withLock { $0.append(Call(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: beta)) }
        }
    }

    /// The BLAS routine a product of op(A) (m, k) and op(B) (k, n) goes to.
    enum Route: Equatable {
        /// Nothing to compute (m = 0 or n = 0).
        case none
        /// k = 0: C is only scaled by beta.
        case scale
        /// One row of C: gemv against the rows of op(B).
        case gemvRow
        /// One column of C: gemv of op(A) against the column.
        case gemvColumn
        /// Inner dimension 1: an outer product (ger).
        case ger
        /// Everything else.
        case gemm
    }

    /// The threads BLAS gets for an (m, k)·(k, n) product (``Parallelism`` decides), or `nil` for a
    /// product that makes no BLAS call worth threading (empty, k = 0). m·n·k is the multiply-adds of
    /// a gemm and the matrix's elements of a gemv or ger (one of the three is 1); it saturates
    /// rather than overflow for absurd shapes.
    static func threadCount(m: Int, n: Int, k: Int, limit: Int = Parallelism.threadCount) -> Int? {
        threadCount(route: route(m: m, n: n, k: k), m: m, n: n, k: k, limit: limit)
    }

    private static func threadCount(route: Route, m: Int, n: Int, k: Int, limit: Int) -> Int? {
        let saturatedWork = work(m: m, n: n, k: k)
        switch route {
        case .gemm:
            return Parallelism.threads(forWork: saturatedWork, perThread: Parallelism.minimumProductWorkPerThread, limit: limit)
        case .gemvRow, .gemvColumn, .ger:
            return Parallelism.threads(forWork: saturatedWork, perThread: Parallelism.minimumVectorProductWorkPerThread, limit: limit)
        case .none, .scale: return nil
        }
    }

    /// m·n·k, saturating at `Int.max` rather than overflowing for absurd shapes.
    private static func work(m: Int, n: Int, k: Int) -> Int {
        let (mn, overflow1) = m.multipliedReportingOverflow(by: n)
        let (work, overflow2) = mn.multipliedReportingOverflow(by: k)
        return overflow1 || overflow2 ? Int.max : work
    }

    /// The route of an (m, k)·(k, n) product, in the order `gemm` tries them.
    static func route(m: Int, n: Int, k: Int) -> Route {
        if m == 0 || n == 0 { return .none }
        if k == 0 { return .scale }
        if m == 1 { return .gemvRow }
        if n == 1 { return .gemvColumn }
        if k == 1 { return .ger }
        return .gemm
    }

    /// `C = alpha·op(A)·op(B) + beta·C`, all row-major and contiguous: op(A) is (m, k), op(B) is
    /// (k, n), C is (m, n). A is stored (m, k), or (k, m) when `transposeA`; B likewise.
    /// With `beta = 0` the prior contents of C are never read (it may be uninitialized). The
    /// product runs on at most `threadLimit` threads (1 for a product issued from one of several
    /// threads that work at once).
    public static func gemm<T: TensorScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: T = 1, a: UnsafePointer<T>, b: UnsafePointer<T>, beta: T, c: UnsafeMutablePointer<T>,
        threadLimit: Int = Parallelism.threadCount
    ) {
        if isRecording.load(ordering: .relaxed) {
            recorded.withLock { $0.append(Call(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: Double(beta))) }
        }
        let route = route(m: m, n: n, k: k)
        let threads = threadCount(route: route, m: m, n: n, k: k, limit: threadLimit)
        if let threads, route != .gemm { BLASRuntime.useThreads(threads) }
        switch route {
        case .none:
            return
        case .scale:
            scale(c, count: m * n, by: beta)
        case .gemvRow:
            // C(1, n) = op(B)ᵀ·a: a row of op(A) is contiguous whichever way A is stored.
            prepareVectorOutput(c, count: n, beta: beta)
            if transposeB {  // B stored (n, k)
                T._blasGemv(transpose: false, m: n, n: k, alpha: alpha, a: b, lda: k, x: a, incX: 1,
                           beta: beta == 0 ? 1 : beta, y: c, incY: 1)
            } else {  // B stored (k, n)
                T._blasGemv(transpose: true, m: k, n: n, alpha: alpha, a: b, lda: n, x: a, incX: 1,
                           beta: beta == 0 ? 1 : beta, y: c, incY: 1)
            }
        case .gemvColumn:
            // C(m, 1) = op(A)·b: the single column of op(B) is contiguous.
            prepareVectorOutput(c, count: m, beta: beta)
            if transposeA {  // A stored (k, m)
                T._blasGemv(transpose: true, m: k, n: m, alpha: alpha, a: a, lda: m, x: b, incX: 1,
                           beta: beta == 0 ? 1 : beta, y: c, incY: 1)
            } else {  // A stored (m, k)
                T._blasGemv(transpose: false, m: m, n: k, alpha: alpha, a: a, lda: k, x: b, incX: 1,
                           beta: beta == 0 ? 1 : beta, y: c, incY: 1)
            }
        case .ger where beta == 0:
            // C = alpha·a·bᵀ into a fresh buffer: one write pass, instead of zeroing then ger.
            writeOuterProduct(m: m, n: n, alpha: alpha, a: a, b: b, c: c)
        case .ger:
            // C = alpha·a·bᵀ + beta·C, an outer product.
            scale(c, count: m * n, by: beta)
            T._blasGer(m: m, n: n, alpha: alpha, x: a, incX: 1, y: b, incY: 1, a: c, lda: n)
        case .gemm:
            blasGemm(threads: threads ?? 1, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: beta, c: c, ldc: n)
        }
    }

    /// As ``gemm(transposeA:transposeB:m:n:k:alpha:a:b:beta:c:)`` on matrices inside larger ones:
    /// the rows of A, B and C as stored start `lda`, `ldb` and `ldc` elements apart (at least their
    /// lengths). Always one BLAS gemm, whatever the shape, on at most `threadLimit` threads (1 for a
    /// product issued from one of several threads that work at once). A share of a larger product
    /// passes `recordsCall: false` (see ``recordCall(transposeA:transposeB:m:n:k:beta:)``).
    static func gemm<T: TensorScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T = 1, a: UnsafePointer<T>, lda: Int,
        b: UnsafePointer<T>, ldb: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int, threadLimit: Int = Parallelism.threadCount,
        recordsCall: Bool = true
    ) {
        if recordsCall { recordCall(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: Double(beta)) }
        guard m > 0 && n > 0 && k > 0 else {
            if m > 0 && n > 0 { for i in 0..<m { scale(c + i * ldc, count: n, by: beta) } }
            return
        }
        blasGemm(threads: threadCount(route: .gemm, m: m, n: n, k: k, limit: threadLimit) ?? 1, transposeA: transposeA,
                 transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// Multiply-adds (m·n·k) from which a product given several threads runs as shares, one
    /// single-threaded BLAS call per thread on a band of C's rows (or of its columns, when C has
    /// fewer rows than columns), instead of in OpenBLAS's own threads. On this machine kind (best
    /// of 15 runs) a (8192, 128)·(128, 512) sgemm took 0.60× its 1-thread time at 2 threads in
    /// OpenBLAS's hands and 0.51× as 2 shares, a (128, 8192)·(8192, 512) one 0.52× either way.
    /// 2²⁴ multiply-adds (about 0.2 ms at one core's speed) keeps Dispatch's hand-off small
    /// beside the product; smaller products stay with OpenBLAS (the bound is not tuned further).
    static let minimumSharedProductWork = 1 << 24

    /// Rows (or columns) C must have along the split for a product to run as shares
    /// (``minimumSharedProductWork``). Shares win on tall products, whose bands are long; on the
    /// `small` MLP's batch-128 products (C of 128 × 256 and 256 × 784) OpenBLAS's own split is
    /// faster: its 2-thread step took 0.60–0.62× the 1-thread step with them in OpenBLAS's hands
    /// and 0.65–0.66× as shares (`bench --config small`, three pairs each).
    static let minimumSharedExtent = 4096

    /// The shares a gemm given `threads` threads runs as (1: one BLAS call), and whether they are
    /// bands of C's rows (else of its columns).
    static func shares(m: Int, n: Int, k: Int, threads: Int) -> (parts: Int, byRows: Bool) {
        let byRows = m >= n
        let extent = byRows ? m : n
        guard extent >= minimumSharedExtent, work(m: m, n: n, k: k) >= minimumSharedProductWork else { return (1, byRows) }
        return (Swift.max(1, Swift.min(threads, extent / shareAlignment)), byRows)
    }

    /// Rows (or columns) of C a share holds a multiple of, so that each share's BLAS call runs
    /// whole micro-kernel tiles.
    private static let shareAlignment = 16

    /// One gemm on `threads` threads: as shares when it is large and tall enough
    /// (``shares(m:n:k:threads:)``), else in one BLAS call. Every element of C is one BLAS call's
    /// dot product either way.
    private static func blasGemm<T: TensorScalar>(
        threads: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T, a: UnsafePointer<T>, lda: Int,
        b: UnsafePointer<T>, ldb: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        let (parts, byRows) = shares(m: m, n: n, k: k, threads: threads)
        let extent = byRows ? m : n
        guard parts > 1 else {
            BLASRuntime.useThreads(threads)
            T._blasGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c, ldc: ldc)
            return
        }
        BLASRuntime.useThreads(1)
        let chunk = ((extent + parts - 1) / parts + shareAlignment - 1) / shareAlignment * shareAlignment
        let operands = SharedOperands(a: a, b: b, c: c)
        Parallelism.concurrently(parts) { part in
            let start = part * chunk
            guard start < extent else { return }
            let count = Swift.min(chunk, extent - start)
            if byRows {  // rows start..<start+count of op(A) and of C
                T._blasGemm(transposeA: transposeA, transposeB: transposeB, m: count, n: n, k: k, alpha: alpha,
                            a: operands.a + (transposeA ? start : start * lda), lda: lda, b: operands.b, ldb: ldb,
                            beta: beta, c: operands.c + start * ldc, ldc: ldc)
            } else {  // columns start..<start+count of op(B) and of C
                T._blasGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: count, k: k, alpha: alpha,
                            a: operands.a, lda: lda, b: operands.b + (transposeB ? start * ldb : start), ldb: ldb,
                            beta: beta, c: operands.c + start, ldc: ldc)
            }
        }
    }

    /// A product's operands, carried into the threads of its shares: each share writes its own band of C.
    private struct SharedOperands<T>: @unchecked Sendable {
        let a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<T>
    }

    /// `C[i, j] = (alpha·a[i])·b[j]`, the rounding of BLAS ger on a zero matrix. Pre-specialized and
    /// never inlined, so unspecialized generic callers reach the loop compiled for Float or Double.
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    private static func writeOuterProduct<T: TensorScalar>(
        m: Int, n: Int, alpha: T, a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<T>
    ) {
        for i in 0..<m {
            let scaled = alpha * a[i]
            let row = c + i * n
            for j in 0..<n { row[j] = scaled * b[j] }
        }
    }

    /// Zeroes a vector output for `beta = 0`, so gemv can always accumulate (`beta = 1`) and never
    /// reads uninitialized memory; other betas are applied by gemv itself.
    private static func prepareVectorOutput<T: TensorScalar>(_ c: UnsafeMutablePointer<T>, count: Int, beta: T) {
        if beta == 0 { zeroFill(c, count: count) }
    }

    /// `C = beta·C`, writing zeros (not 0·C, which keeps NaN) when `beta = 0`.
    private static func scale<T: TensorScalar>(_ c: UnsafeMutablePointer<T>, count: Int, by beta: T) {
        if beta == 0 {
            zeroFill(c, count: count)
        } else if beta != 1 {
            T._blasScal(count: count, alpha: beta, x: c, incX: 1)
        }
    }
}

/// Level-1 BLAS for the rest of the library: with ``MatrixProduct``, the only way into BLAS.
enum VectorRoutines {
    /// `y += x` over `count` elements.
    static func add<T: TensorScalar>(_ x: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, count: Int) {
        T._blasAxpy(count: count, alpha: 1, x: x, incX: 1, y: y, incY: 1)
    }

    /// `xᵀ·y` over `count` elements.
    static func dot<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, count: Int) -> T {
        T._blasDot(count: count, x: x, incX: 1, y: y, incY: 1)
    }

    /// `y += alpha·x` over `count` elements.
    static func add<T: TensorScalar>(_ x: UnsafePointer<T>, scaledBy alpha: T, into y: UnsafeMutablePointer<T>, count: Int) {
        T._blasAxpy(count: count, alpha: alpha, x: x, incX: 1, y: y, incY: 1)
    }

    /// `Σ|xᵢ|` over `count` elements.
    static func absoluteSum<T: TensorScalar>(_ x: UnsafePointer<T>, count: Int) -> T {
        T._blasAsum(count: count, x: x, incX: 1)
    }

    /// `max|xᵢ|` over `count` elements (0 for none).
    static func maximumMagnitude<T: TensorScalar>(_ x: UnsafePointer<T>, count: Int) -> T {
        count > 0 ? abs(x[T._blasIamax(count: count, x: x, incX: 1)]) : 0
    }

    /// `x *= alpha` over `count` elements.
    static func scale<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, count: Int, by alpha: T) {
        T._blasScal(count: count, alpha: alpha, x: x, incX: 1)
    }
}
