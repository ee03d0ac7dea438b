import RealModule

/// The element types a ``Tensor`` can hold: `Float` and `Double`.
///
/// The requirements are the BLAS and LAPACK entry points the framework needs, EasyNets' own C
/// kernels (`_TensorKernels`) and the type's names in file formats. `Float` forwards each
/// routine to `cblas_s*`/`LAPACKE_s*`/`easynets_*_f32` and `Double` to
/// `cblas_d*`/`LAPACKE_d*`/`easynets_*_f64`, so generic tensor code never switches on the element
/// type. Matrices are row-major; a `true` transpose flag means the operand is used as its
/// transpose without being copied.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, CustomStringConvertible, _TensorKernels
where Self.RawSignificand: FixedWidthInteger {
    // MARK: BLAS

    /// `C = alpha·op(A)·op(B) + beta·C` with `op(A)` of shape (m, k) and `op(B)` of shape (k, n).
    static func _blasGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y = alpha·op(A)·x + beta·y` with `A` stored (m, n).
    static func _blasGemv(
        transpose: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, incX: Int, beta: Self, y: UnsafeMutablePointer<Self>, incY: Int)

    /// `A += alpha·x·yᵀ` with `A` stored (m, n).
    static func _blasGer(
        m: Int, n: Int, alpha: Self, x: UnsafePointer<Self>, incX: Int,
        y: UnsafePointer<Self>, incY: Int, a: UnsafeMutablePointer<Self>, lda: Int)

    /// `y += alpha·x`.
    static func _blasAxpy(
        count: Int, alpha: Self, x: UnsafePointer<Self>, incX: Int,
        y: UnsafeMutablePointer<Self>, incY: Int)

    /// `x *= alpha`.
    static func _blasScal(count: Int, alpha: Self, x: UnsafeMutablePointer<Self>, incX: Int)

    /// `xᵀ·y`.
    static func _blasDot(
        count: Int, x: UnsafePointer<Self>, incX: Int, y: UnsafePointer<Self>, incY: Int) -> Self

    /// `Σ|xᵢ|`.
    static func _blasAsum(count: Int, x: UnsafePointer<Self>, incX: Int) -> Self

    /// The index of the first element of largest magnitude (0-based).
    static func _blasIamax(count: Int, x: UnsafePointer<Self>, incX: Int) -> Int

    // MARK: LAPACK (row-major; each returns LAPACK's `info`)

    /// The letter that starts this type's LAPACK routine names: `"s"` or `"d"` (in error messages).
    static var _lapackPrefix: String { get }

    /// QR factorization in place (`?geqrf`).
    static func _lapackGeqrf(
        m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, tau: UnsafeMutablePointer<Self>
    ) -> Int32
    /// Forms the explicit Q of a QR factorization in place (`?orgqr`).
    static func _lapackOrgqr(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Self>, lda: Int, tau: UnsafePointer<Self>
    ) -> Int32
    /// Solves `A·X = B` by LU with partial pivoting (`?gesv`).
    static func _lapackGesv(
        n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int, pivots: UnsafeMutablePointer<Int32>,
        b: UnsafeMutablePointer<Self>, ldb: Int
    ) -> Int32
    /// Cholesky factorization of the lower triangle (`?potrf`).
    static func _lapackPotrf(n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int32
    /// Symmetric eigendecomposition from the lower triangle, vectors overwrite `a` (`?syevd`).
    static func _lapackSyevd(
        n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>
    ) -> Int32
    /// Thin singular value decomposition by divide and conquer (`?gesdd`, job "S").
    static func _lapackGesdd(
        m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>,
        u: UnsafeMutablePointer<Self>, ldu: Int, vt: UnsafeMutablePointer<Self>, ldvt: Int
    ) -> Int32
    /// Least squares / minimum norm solution of a full-rank system by QR or LQ (`?gels`).
    static func _lapackGels(
        m: Int, n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int,
        b: UnsafeMutablePointer<Self>, ldb: Int
    ) -> Int32

    // MARK: File formats

    /// The safetensors dtype of this type's values in state dicts and checkpoints: `F32` or `F64`.
    static var _safeTensorsDType: SafeTensorsDType { get }
}
