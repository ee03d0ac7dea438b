import Testing
@testable import EasyNets

// Each decomposition is checked by its defining identities (Q·R = A, L·Lᵀ = A, A·v = λ·v, …),
// with products from a plain loop, not from the library's matmul.

/// A·B by a plain triple loop.
private func naiveProduct(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<Double> {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += a[i, p] * b[p, j] } } }
    return Tensor(c, shape: [m, n])
}

/// The transpose by a plain loop.
private func naiveTranspose(_ a: Tensor<Double>) -> Tensor<Double> {
    let (m, n) = (a.shape[0], a.shape[1])
    return Tensor((0..<n).flatMap { j in (0..<m).map { i in a[i, j] } }, shape: [n, m])
}

/// Solves A·x = b by Gaussian elimination with partial pivoting (b is (n, k)).
private func naiveSolve(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<Double> {
    let n = a.shape[0], k = b.shape[1]
    var m = (0..<n).map { i in (0..<n).map { a[i, $0] } + (0..<k).map { b[i, $0] } }
    for column in 0..<n {
        let pivot = (column..<n).max { Swift.abs(m[$0][column]) < Swift.abs(m[$1][column]) }!
        m.swapAt(column, pivot)
        for row in (column + 1)..<max(n, column + 1) {
            let factor = m[row][column] / m[column][column]
            for j in column..<(n + k) { m[row][j] -= factor * m[column][j] }
        }
    }
    var x = [[Double]](repeating: [Double](repeating: 0, count: k), count: n)
    for row in (0..<n).reversed() {
        for j in 0..<k {
            var s = m[row][n + j]
            for p in (row + 1)..<max(n, row + 1) { s -= m[row][p] * x[p][j] }
            x[row][j] = s / m[row][row]
        }
    }
    return Tensor(x.flatMap { $0 }, shape: [n, k])
}

/// A symmetric positive-definite matrix: MᵀM + n·I.
private func spdMatrix(_ n: Int, seed: UInt64) -> Tensor<Double> {
    let m = randomTensor([n, n], seed: seed)
    return naiveProduct(naiveTranspose(m), m) + Tensor<Double>.identity(n) * Double(n)
}

@Suite("Linear algebra through LAPACKE")
struct LinalgTests {
    @Test(arguments: [[5, 3], [4, 4], [3, 6], [1, 4], [4, 1]])
    func qrDecomposition(shape: [Int]) throws {
        let a = randomTensor(shape, seed: 71)
        let (q, r) = try a.qrDecomposition()
        let p = shape.min()!
        #expect(q.shape == [shape[0], p])
        #expect(r.shape == [p, shape[1]])
        expectClose(naiveProduct(naiveTranspose(q), q), .identity(p), tolerance: 1e-14)  // orthonormal columns
        expectClose(naiveProduct(q, r), a, tolerance: 1e-14)
        for i in 0..<p { for j in 0..<min(i, shape[1]) { #expect(r[i, j] == 0, "R[\(i), \(j)]") } }
    }

    @Test func qrDecompositionInFloat() throws {
        let a: Tensor<Float> = randomTensor([4, 3], seed: 72)
        let (q, r) = try a.qrDecomposition()
        expectClose(asDouble(matmul(q, r)), asDouble(a), tolerance: 1e-6)
    }

    @Test func solveVectorAndMatrixRightHandSides() throws {
        let a = randomTensor([4, 4], seed: 73) + Tensor<Double>.identity(4) * 3
        let b = randomTensor([4], seed: 74)
        let x = try a.solve(b)
        #expect(x.shape == [4])
        expectClose(naiveProduct(a, x.reshaped(to: [4, 1])).reshaped(to: [4]), b, tolerance: 1e-14)
        expectClose(x.reshaped(to: [4, 1]), naiveSolve(a, b.reshaped(to: [4, 1])), tolerance: 1e-13)

        let B = randomTensor([4, 3], seed: 75)
        let X = try a.solve(B)
        #expect(X.shape == [4, 3])
        expectClose(naiveProduct(a, X), B, tolerance: 1e-14)
        expectClose(X, naiveSolve(a, B), tolerance: 1e-13)

        let xf = try Tensor<Float>([[2, 1], [1, 3]]).solve(Tensor<Float>([3, 5]))
        expectClose(xf.scalars, [0.8, 1.4], tolerance: 1e-6)  // by hand: 2x + y = 3, x + 3y = 5
    }

    @Test func choleskyDecomposition() throws {
        let a = spdMatrix(5, seed: 76)
        let l = try a.choleskyDecomposition()
        #expect(l.shape == [5, 5])
        for i in 0..<5 { for j in (i + 1)..<5 { #expect(l[i, j] == 0, "L[\(i), \(j)]") } }
        for i in 0..<5 { #expect(l[i, i] > 0) }
        expectClose(naiveProduct(l, naiveTranspose(l)), a, tolerance: 1e-14)
        // By hand: [[4, 2], [2, 5]] = [[2, 0], [1, 2]]·[[2, 1], [0, 2]].
        #expect(try Tensor<Double>([[4, 2], [2, 5]]).choleskyDecomposition().scalars == [2, 0, 1, 2])
    }

    @Test func symmetricEigendecomposition() throws {
        let a = spdMatrix(4, seed: 77) - Tensor<Double>.identity(4) * 6  // indefinite
        let (values, vectors) = try a.symmetricEigendecomposition()
        #expect(values.shape == [4])
        #expect(vectors.shape == [4, 4])
        #expect(zip(values.scalars, values.scalars.dropFirst()).allSatisfy { $0 <= $1 }, "ascending: \(values)")
        expectClose(naiveProduct(naiveTranspose(vectors), vectors), .identity(4), tolerance: 1e-14)
        for j in 0..<4 {
            let v = Tensor((0..<4).map { vectors[$0, j] }, shape: [4, 1])
            expectClose(naiveProduct(a, v), v * values[j], tolerance: 1e-13, "eigenpair \(j)")
        }
        // By hand: [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let (small, _) = try Tensor<Double>([[2, 1], [1, 2]]).symmetricEigendecomposition()
        expectClose(small.scalars, [1, 3], tolerance: 1e-15)
    }

    @Test(arguments: [[5, 3], [3, 5], [4, 4], [1, 3]])
    func singularValueDecomposition(shape: [Int]) throws {
        let a = randomTensor(shape, seed: 78)
        let (u, s, vt) = try a.singularValueDecomposition()
        let p = shape.min()!
        #expect(u.shape == [shape[0], p])
        #expect(s.shape == [p])
        #expect(vt.shape == [p, shape[1]])
        #expect(zip(s.scalars, s.scalars.dropFirst()).allSatisfy { $0 >= $1 }, "descending: \(s)")
        #expect(s.scalars.allSatisfy { $0 >= 0 })
        let uS = Tensor((0..<shape[0]).flatMap { i in (0..<p).map { u[i, $0] * s[$0] } }, shape: [shape[0], p])
        expectClose(naiveProduct(uS, vt), a, tolerance: 1e-14)
        expectClose(naiveProduct(naiveTranspose(u), u), .identity(p), tolerance: 1e-14)
        expectClose(naiveProduct(vt, naiveTranspose(vt)), .identity(p), tolerance: 1e-14)
        // By hand: diag(3, 4) has singular values 4 and 3.
        let (_, hand, _) = try Tensor<Double>([[3, 0], [0, -4]]).singularValueDecomposition()
        expectClose(hand.scalars, [4, 3], tolerance: 1e-15)
    }

    @Test func leastSquaresOverdeterminedMatchesNormalEquations() throws {
        let a = randomTensor([6, 3], seed: 79)
        let b = randomTensor([6, 2], seed: 80)
        let x = try a.leastSquaresSolution(b)
        #expect(x.shape == [3, 2])
        let at = naiveTranspose(a)
        expectClose(x, naiveSolve(naiveProduct(at, a), naiveProduct(at, b)), tolerance: 1e-12)
        // A vector right-hand side gives a vector.
        let v = try a.leastSquaresSolution(Tensor((0..<6).map { b[$0, 0] }))
        #expect(v.shape == [3])
        expectClose(v, Tensor((0..<3).map { x[$0, 0] }), tolerance: 1e-14)
    }

    @Test func leastSquaresUnderdeterminedIsMinimumNorm() throws {
        let a = randomTensor([2, 4], seed: 81)
        let b = randomTensor([2, 1], seed: 82)
        let x = try a.leastSquaresSolution(b)
        #expect(x.shape == [4, 1])
        expectClose(naiveProduct(a, x), b, tolerance: 1e-14)
        // The minimum-norm solution is Aᵀ(AAᵀ)⁻¹b: it lies in the row space of A.
        let at = naiveTranspose(a)
        expectClose(x, naiveProduct(at, naiveSolve(naiveProduct(a, at), b)), tolerance: 1e-13)
    }

    // MARK: Errors name the LAPACK routine

    @Test func singularSolveThrows() throws {
        let singular = Tensor<Double>([[1, 2], [2, 4]])
        let error = #expect(throws: LinearAlgebraError.self) { try singular.solve(Tensor([1, 1])) }
        guard case .singularMatrix(let routine, let index)? = error else {
            Issue.record("expected singularMatrix, got \(String(describing: error))"); return
        }
        #expect(routine == "dgesv")
        #expect(index == 2)
        #expect(error!.description.contains("dgesv"))
        #expect(throws: LinearAlgebraError.singularMatrix(routine: "sgesv", index: 2)) {
            try Tensor<Float>([[1, 2], [2, 4]]).solve(Tensor<Float>([1, 1]))
        }
        #expect(throws: LinearAlgebraError.singularMatrix(routine: "dgesv", index: 1)) {
            try Tensor<Double>.zeros([3, 3]).solve(Tensor<Double>.ones([3, 2]))
        }
    }

    @Test func choleskyOfIndefiniteMatrixThrows() {
        let error = #expect(throws: LinearAlgebraError.self) {
            try Tensor<Double>([[1, 2], [2, 1]]).choleskyDecomposition()
        }
        #expect(error == .notPositiveDefinite(routine: "dpotrf", order: 2))
        #expect(error?.description.contains("dpotrf") == true)
        #expect(throws: LinearAlgebraError.notPositiveDefinite(routine: "spotrf", order: 1)) {
            try Tensor<Float>([[-1, 0], [0, 1]]).choleskyDecomposition()
        }
    }

    @Test func rankDeficientLeastSquaresThrows() {
        let deficient = Tensor<Double>([[1, 0], [2, 0], [3, 0]])  // second column zero
        let error = #expect(throws: LinearAlgebraError.self) {
            try deficient.leastSquaresSolution(Tensor([1, 2, 3]))
        }
        #expect(error == .rankDeficient(routine: "dgels", index: 2))
        #expect(error?.description.contains("dgels") == true)
        #expect(throws: LinearAlgebraError.rankDeficient(routine: "sgels", index: 2)) {
            try Tensor<Float>([[1, 0], [2, 0], [3, 0]]).leastSquaresSolution(Tensor<Float>([1, 2, 3]))
        }
    }

    @Test func resultsAreNotDifferentiable() throws {
        var a = spdMatrix(3, seed: 84)
        a.requiresGradient = true
        #expect(!(try a.solve(Tensor([1, 2, 3]))).requiresGradient)
        #expect(!(try a.choleskyDecomposition()).requiresGradient)
        #expect(!(try a.qrDecomposition()).q.requiresGradient)
    }

    @Test func decompositionsDoNotModifyTheirInput() throws {
        let a = spdMatrix(3, seed: 83)
        let before = a.scalars
        _ = try a.qrDecomposition()
        _ = try a.choleskyDecomposition()
        _ = try a.symmetricEigendecomposition()
        _ = try a.singularValueDecomposition()
        _ = try a.solve(Tensor([1, 2, 3]))
        _ = try a.leastSquaresSolution(Tensor([1, 2, 3]))
        #expect(a.scalars == before)
    }
}
