// Dense linear algebra through LAPACKE (row-major). These ops are not differentiable; every
// LAPACK failure is a thrown `LinearAlgebraError` naming the routine.

/// A LAPACK routine reported failure (`info != 0`).
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// An argument was illegal (`info < 0`): the routine and the argument's position.
    case illegalArgument(routine: String, position: Int)
    /// The matrix is exactly singular: U(i, i) = 0 at the 1-based index `index` (`?gesv`).
    case singularMatrix(routine: String, index: Int)
    /// The leading minor of order `order` is not positive definite (`?potrf`).
    case notPositiveDefinite(routine: String, order: Int)
    /// The matrix does not have full rank: diagonal element `index` of the triangular factor is
    /// zero (`?gels`).
    case rankDeficient(routine: String, index: Int)
    /// The iteration did not converge (`?syevd`, `?gesdd`); `info` as LAPACK returned it.
    case noConvergence(routine: String, info: Int)

    public var description: String {
        switch self {
        case .illegalArgument(let routine, let position):
            return "\(routine): argument \(position) had an illegal value"
        case .singularMatrix(let routine, let index):
            return "\(routine): matrix is singular (U(\(index),\(index)) is exactly zero)"
        case .notPositiveDefinite(let routine, let order):
            return "\(routine): matrix is not positive definite (leading minor of order \(order))"
        case .rankDeficient(let routine, let index):
            return "\(routine): matrix does not have full rank (diagonal element \(index) of the factor is zero)"
        case .noConvergence(let routine, let info):
            return "\(routine): did not converge (info = \(info))"
        }
    }
}

/// Checks LAPACK's `info`, mapping a positive value with `positive`.
private func check(_ info: Int32, _ routine: String, positive: (Int) -> LinearAlgebraError) throws {
    if info < 0 { throw LinearAlgebraError.illegalArgument(routine: routine, position: Int(-info)) }
    if info > 0 { throw positive(Int(info)) }
}

extension Tensor {
    /// Checks the shape of a LAPACK routine's matrix, and lets the routine use every thread of
    /// ``Parallelism/threadCount`` (LAPACK's blocked routines are large products).
    private func requireMatrix(_ op: String, square: Bool = false) {
        require(rank == 2, "\(op): needs a matrix, shape is \(shape)")
        require(!square || shape[0] == shape[1], "\(op): needs a square matrix, shape is \(shape)")
        BLASRuntime.useThreads(Parallelism.threadCount)
    }

    private static func routine(_ name: String) -> String {
        Scalar._lapackPrefix + name
    }

    /// The thin QR factorization `self = Q·R` of an (m, n) matrix: Q is (m, min(m, n)) with
    /// orthonormal columns and R is (min(m, n), n) upper triangular (`?geqrf` then `?orgqr`).
    public func qrDecomposition() throws -> (q: Tensor, r: Tensor) {
        requireMatrix("Tensor.qrDecomposition")
        let (m, n) = (shape[0], shape[1])
        let p = Swift.min(m, n)
        var factored = detached
        var tau = [Scalar](repeating: 0, count: Swift.max(p, 1))
        try factored.withUnsafeMutableBufferPointer { a in
            try check(Scalar._lapackGeqrf(m: m, n: n, a: a.baseAddress!, lda: n, tau: &tau),
                      Tensor.routine("geqrf")) { .noConvergence(routine: Tensor.routine("geqrf"), info: $0) }
        }
        var r = Tensor.zeros([p, n])
        factored.withUnsafeBufferPointer { a in
            r.withUnsafeMutableBufferPointer { rb in
                for i in 0..<p { for j in i..<n { rb[i * n + j] = a[i * n + j] } }
            }
        }
        // orgqr needs the first p columns of the factored matrix, as an (m, p) array.
        var q = p == n ? factored : factored.slice(along: 1, 0..<p)
        try q.withUnsafeMutableBufferPointer { qb in
            try check(Scalar._lapackOrgqr(m: m, n: p, k: p, a: qb.baseAddress!, lda: p, tau: tau),
                      Tensor.routine("orgqr")) { .noConvergence(routine: Tensor.routine("orgqr"), info: $0) }
        }
        return (q, r)
    }

    /// The solution X of `self·X = b` for a square matrix, by LU with partial pivoting (`?gesv`).
    /// `b` is a vector (n) or a matrix (n, k).
    public func solve(_ b: Tensor) throws -> Tensor {
        requireMatrix("Tensor.solve", square: true)
        let n = shape[0]
        require((b.rank == 1 || b.rank == 2) && b.shape[0] == n,
                     "Tensor.solve: matrix \(shape) and right-hand side \(b.shape) do not match")
        let nrhs = b.rank == 1 ? 1 : b.shape[1]
        var lu = detached, x = b.detached
        var pivots = [Int32](repeating: 0, count: n)
        let name = Tensor.routine("gesv")
        try lu.withUnsafeMutableBufferPointer { a in
            try x.withUnsafeMutableBufferPointer { xb in
                try check(Scalar._lapackGesv(n: n, nrhs: nrhs, a: a.baseAddress!, lda: n, pivots: &pivots,
                                            b: xb.baseAddress!, ldb: nrhs), name) {
                    .singularMatrix(routine: name, index: $0)
                }
            }
        }
        return x
    }

    /// The lower-triangular L with `self = L·Lᵀ` for a symmetric positive-definite matrix
    /// (`?potrf`; only the lower triangle of `self` is read).
    public func choleskyDecomposition() throws -> Tensor {
        requireMatrix("Tensor.choleskyDecomposition", square: true)
        let n = shape[0]
        var l = detached
        let name = Tensor.routine("potrf")
        try l.withUnsafeMutableBufferPointer { a in
            try check(Scalar._lapackPotrf(n: n, a: a.baseAddress!, lda: n), name) {
                .notPositiveDefinite(routine: name, order: $0)
            }
            for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { a[i * n + j] = 0 } }
        }
        return l
    }

    /// Eigenvalues (ascending) and orthonormal eigenvectors (as columns) of a symmetric matrix
    /// (`?syevd`; only the lower triangle of `self` is read).
    public func symmetricEigendecomposition() throws -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        requireMatrix("Tensor.symmetricEigendecomposition", square: true)
        let n = shape[0]
        var vectors = detached
        var values = Tensor.zeros([n])
        let name = Tensor.routine("syevd")
        try vectors.withUnsafeMutableBufferPointer { a in
            try values.withUnsafeMutableBufferPointer { w in
                try check(Scalar._lapackSyevd(n: n, a: a.baseAddress!, lda: n, w: w.baseAddress!), name) {
                    .noConvergence(routine: name, info: $0)
                }
            }
        }
        return (values, vectors)
    }

    /// The thin singular value decomposition `self = U·diag(S)·Vᵀ` of an (m, n) matrix, with
    /// p = min(m, n): U (m, p), S (p) descending, Vᵀ (p, n) (`?gesdd`).
    public func singularValueDecomposition() throws -> (u: Tensor, s: Tensor, vt: Tensor) {
        requireMatrix("Tensor.singularValueDecomposition")
        let (m, n) = (shape[0], shape[1])
        let p = Swift.min(m, n)
        var a = detached
        var u = Tensor.zeros([m, p]), s = Tensor.zeros([p]), vt = Tensor.zeros([p, n])
        let name = Tensor.routine("gesdd")
        try a.withUnsafeMutableBufferPointer { ab in
            try u.withUnsafeMutableBufferPointer { ub in
                try s.withUnsafeMutableBufferPointer { sb in
                    try vt.withUnsafeMutableBufferPointer { vb in
                        try check(Scalar._lapackGesdd(m: m, n: n, a: ab.baseAddress!, lda: n, s: sb.baseAddress!,
                                                     u: ub.baseAddress!, ldu: p, vt: vb.baseAddress!, ldvt: n),
                                  name) { .noConvergence(routine: name, info: $0) }
                    }
                }
            }
        }
        return (u, s, vt)
    }

    /// The least-squares solution X minimizing ‖self·X − b‖ for a full-rank (m, n) matrix with
    /// m ≥ n, or the minimum-norm solution when m < n (`?gels`). `b` is (m) or (m, k); X is (n) or (n, k).
    public func leastSquaresSolution(_ b: Tensor) throws -> Tensor {
        requireMatrix("Tensor.leastSquaresSolution")
        let (m, n) = (shape[0], shape[1])
        require((b.rank == 1 || b.rank == 2) && b.shape[0] == m,
                     "Tensor.leastSquaresSolution: matrix \(shape) and right-hand side \(b.shape) do not match")
        let nrhs = b.rank == 1 ? 1 : b.shape[1]
        let rows = Swift.max(m, n)
        // gels overwrites an (max(m, n), k) array: b on the way in, X in its first n rows on the way out.
        var work = Tensor.zeros([rows, nrhs])
        b.withUnsafeBufferPointer { source in
            work.withUnsafeMutableBufferPointer { copyScalars(to: $0.baseAddress!, from: source.baseAddress!, count: m * nrhs) }
        }
        var a = detached
        let name = Tensor.routine("gels")
        try a.withUnsafeMutableBufferPointer { ab in
            try work.withUnsafeMutableBufferPointer { wb in
                try check(Scalar._lapackGels(m: m, n: n, nrhs: nrhs, a: ab.baseAddress!, lda: n,
                                            b: wb.baseAddress!, ldb: nrhs), name) {
                    .rankDeficient(routine: name, index: $0)
                }
            }
        }
        let x = work.rows(0..<n)
        return b.rank == 1 ? x.reshaped(to: [n]) : x
    }
}
