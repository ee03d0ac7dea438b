import CBLAS
import CLAPACKE
import RealModule

/// `Float` tensors: each BLAS/LAPACK requirement forwards to its `cblas_s*`/`LAPACKE_s*` routine.
extension Float: TensorScalar {
    public static func _blasGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    public static func _blasGemv(
        transpose: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incX: Int, beta: Float, y: UnsafeMutablePointer<Float>, incY: Int
    ) {
        cblas_sgemv(CblasRowMajor, cblasTranspose(transpose), blasint(m), blasint(n), alpha,
                    a, blasint(lda), x, blasint(incX), beta, y, blasint(incY))
    }

    public static func _blasGer(
        m: Int, n: Int, alpha: Float, x: UnsafePointer<Float>, incX: Int,
        y: UnsafePointer<Float>, incY: Int, a: UnsafeMutablePointer<Float>, lda: Int
    ) {
        cblas_sger(CblasRowMajor, blasint(m), blasint(n), alpha, x, blasint(incX), y, blasint(incY),
                   a, blasint(lda))
    }

    public static func _blasAxpy(
        count: Int, alpha: Float, x: UnsafePointer<Float>, incX: Int,
        y: UnsafeMutablePointer<Float>, incY: Int
    ) {
        cblas_saxpy(blasint(count), alpha, x, blasint(incX), y, blasint(incY))
    }

    public static func _blasScal(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>, incX: Int) {
        cblas_sscal(blasint(count), alpha, x, blasint(incX))
    }

    public static func _blasDot(
        count: Int, x: UnsafePointer<Float>, incX: Int, y: UnsafePointer<Float>, incY: Int
    ) -> Float {
        cblas_sdot(blasint(count), x, blasint(incX), y, blasint(incY))
    }

    public static func _blasAsum(count: Int, x: UnsafePointer<Float>, incX: Int) -> Float {
        cblas_sasum(blasint(count), x, blasint(incX))
    }

    public static func _blasIamax(count: Int, x: UnsafePointer<Float>, incX: Int) -> Int {
        Int(cblas_isamax(blasint(count), x, blasint(incX)))
    }

    public static var _lapackPrefix: String { "s" }

    public static func _lapackGeqrf(
        m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafeMutablePointer<Float>
    ) -> Int32 {
        LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), a, lapackInt(lda), tau)
    }

    public static func _lapackOrgqr(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafePointer<Float>
    ) -> Int32 {
        LAPACKE_sorgqr(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), lapackInt(k), a, lapackInt(lda), tau)
    }

    public static func _lapackGesv(
        n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int, pivots: UnsafeMutablePointer<Int32>,
        b: UnsafeMutablePointer<Float>, ldb: Int
    ) -> Int32 {
        LAPACKE_sgesv(LAPACK_ROW_MAJOR, lapackInt(n), lapackInt(nrhs), a, lapackInt(lda), pivots, b,
                      lapackInt(ldb))
    }

    public static func _lapackPotrf(n: Int, a: UnsafeMutablePointer<Float>, lda: Int) -> Int32 {
        LAPACKE_spotrf(LAPACK_ROW_MAJOR, lapackLower, lapackInt(n), a, lapackInt(lda))
    }

    public static func _lapackSyevd(
        n: Int, a: UnsafeMutablePointer<Float>, lda: Int, w: UnsafeMutablePointer<Float>
    ) -> Int32 {
        LAPACKE_ssyevd(LAPACK_ROW_MAJOR, lapackJobVectors, lapackLower, lapackInt(n), a, lapackInt(lda), w)
    }

    public static func _lapackGesdd(
        m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, s: UnsafeMutablePointer<Float>,
        u: UnsafeMutablePointer<Float>, ldu: Int, vt: UnsafeMutablePointer<Float>, ldvt: Int
    ) -> Int32 {
        LAPACKE_sgesdd(LAPACK_ROW_MAJOR, lapackJobThin, lapackInt(m), lapackInt(n), a, lapackInt(lda), s,
                       u, lapackInt(ldu), vt, lapackInt(ldvt))
    }

    public static func _lapackGels(
        m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int,
        b: UnsafeMutablePointer<Float>, ldb: Int
    ) -> Int32 {
        LAPACKE_sgels(LAPACK_ROW_MAJOR, lapackNoTranspose, lapackInt(m), lapackInt(n), lapackInt(nrhs),
                      a, lapackInt(lda), b, lapackInt(ldb))
    }

    public static var _safeTensorsDType: SafeTensorsDType { .float32 }
}
