import CBLAS
import CLAPACKE
import RealModule

/// `Double` tensors: each BLAS/LAPACK requirement forwards to its `cblas_d*`/`LAPACKE_d*` routine.
extension Double: TensorScalar {
    public static func _blasGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    public static func _blasGemv(
        transpose: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, incX: Int, beta: Double, y: UnsafeMutablePointer<Double>, incY: Int
    ) {
        cblas_dgemv(CblasRowMajor, cblasTranspose(transpose), blasint(m), blasint(n), alpha,
                    a, blasint(lda), x, blasint(incX), beta, y, blasint(incY))
    }

    public static func _blasGer(
        m: Int, n: Int, alpha: Double, x: UnsafePointer<Double>, incX: Int,
        y: UnsafePointer<Double>, incY: Int, a: UnsafeMutablePointer<Double>, lda: Int
    ) {
        cblas_dger(CblasRowMajor, blasint(m), blasint(n), alpha, x, blasint(incX), y, blasint(incY),
                   a, blasint(lda))
    }

    public static func _blasAxpy(
        count: Int, alpha: Double, x: UnsafePointer<Double>, incX: Int,
        y: UnsafeMutablePointer<Double>, incY: Int
    ) {
        cblas_daxpy(blasint(count), alpha, x, blasint(incX), y, blasint(incY))
    }

    public static func _blasScal(count: Int, alpha: Double, x: UnsafeMutablePointer<Double>, incX: Int) {
        cblas_dscal(blasint(count), alpha, x, blasint(incX))
    }

    public static func _blasDot(
        count: Int, x: UnsafePointer<Double>, incX: Int, y: UnsafePointer<Double>, incY: Int
    ) -> Double {
        cblas_ddot(blasint(count), x, blasint(incX), y, blasint(incY))
    }

    public static func _blasAsum(count: Int, x: UnsafePointer<Double>, incX: Int) -> Double {
        cblas_dasum(blasint(count), x, blasint(incX))
    }

    public static func _blasIamax(count: Int, x: UnsafePointer<Double>, incX: Int) -> Int {
        Int(cblas_idamax(blasint(count), x, blasint(incX)))
    }

    public static var _lapackPrefix: String { "d" }

    public static func _lapackGeqrf(
        m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafeMutablePointer<Double>
    ) -> Int32 {
        LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), a, lapackInt(lda), tau)
    }

    public static func _lapackOrgqr(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafePointer<Double>
    ) -> Int32 {
        LAPACKE_dorgqr(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), lapackInt(k), a, lapackInt(lda), tau)
    }

    public static func _lapackGesv(
        n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int, pivots: UnsafeMutablePointer<Int32>,
        b: UnsafeMutablePointer<Double>, ldb: Int
    ) -> Int32 {
        LAPACKE_dgesv(LAPACK_ROW_MAJOR, lapackInt(n), lapackInt(nrhs), a, lapackInt(lda), pivots, b,
                      lapackInt(ldb))
    }

    public static func _lapackPotrf(n: Int, a: UnsafeMutablePointer<Double>, lda: Int) -> Int32 {
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, lapackLower, lapackInt(n), a, lapackInt(lda))
    }

    public static func _lapackSyevd(
        n: Int, a: UnsafeMutablePointer<Double>, lda: Int, w: UnsafeMutablePointer<Double>
    ) -> Int32 {
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, lapackJobVectors, lapackLower, lapackInt(n), a, lapackInt(lda), w)
    }

    public static func _lapackGesdd(
        m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, s: UnsafeMutablePointer<Double>,
        u: UnsafeMutablePointer<Double>, ldu: Int, vt: UnsafeMutablePointer<Double>, ldvt: Int
    ) -> Int32 {
        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, lapackJobThin, lapackInt(m), lapackInt(n), a, lapackInt(lda), s,
                       u, lapackInt(ldu), vt, lapackInt(ldvt))
    }

    public static func _lapackGels(
        m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int,
        b: UnsafeMutablePointer<Double>, ldb: Int
    ) -> Int32 {
        LAPACKE_dgels(LAPACK_ROW_MAJOR, lapackNoTranspose, lapackInt(m), lapackInt(n), lapackInt(nrhs),
                      a, lapackInt(lda), b, lapackInt(ldb))
    }

    public static var _safeTensorsDType: SafeTensorsDType { .float64 }
}
