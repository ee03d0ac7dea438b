import Testing
@_spi(Benchmark) @testable import EasyNets

// MARK: - The naive reference (llm.c's `matmul_forward_naive`)

/// `op(a)·op(b)` by a plain triple loop in `Double`, following `matmul`'s rank rules: a 1-D left
/// operand is a row, a 1-D right operand a column; 3-D operands are batches (a 2-D right operand
/// is shared by every batch entry). Also returns the largest Σₗ|aᵢₗ||bₗⱼ| and the inner dimension,
/// which bound the rounding error of any summation order.
private func naiveMatmul<T: TensorScalar>(
    _ a: Tensor<T>, _ b: Tensor<T>, transposeA: Bool = false, transposeB: Bool = false
) -> (product: Tensor<Double>, magnitude: Double, k: Int) {
    /// The batch of op(t) matrices as nested arrays.
    func matrices(_ t: Tensor<T>, transpose: Bool, vectorAsRow: Bool) -> [[[Double]]] {
        switch t.rank {
        case 1: return vectorAsRow ? [[t.scalars.map(Double.init)]] : [t.scalars.map { [Double($0)] }]
        case 2: return [matrix(t, batch: nil, transpose: transpose)]
        default: return (0..<t.shape[0]).map { matrix(t, batch: $0, transpose: transpose) }
        }
    }
    func matrix(_ t: Tensor<T>, batch: Int?, transpose: Bool) -> [[Double]] {
        let (rows, columns) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
        func element(_ i: Int, _ j: Int) -> Double { Double(batch.map { t[$0, i, j] } ?? t[i, j]) }
        return transpose ? (0..<columns).map { j in (0..<rows).map { i in element(i, j) } }
            : (0..<rows).map { i in (0..<columns).map { j in element(i, j) } }
    }
    let left = matrices(a, transpose: transposeA, vectorAsRow: true)
    let right = matrices(b, transpose: transposeB, vectorAsRow: false)
    let (m, k, n) = (left[0].count, left[0][0].count, right[0][0].count)
    var values: [Double] = [], magnitude = 0.0
    for batch in 0..<left.count {
        let l = left[batch], r = right[right.count == 1 ? 0 : batch]
        precondition(r.count == k, "naiveMatmul: inner dimensions differ")
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, absolute = 0.0
                for p in 0..<k {
                    sum += l[i][p] * r[p][j]
                    absolute += Swift.abs(l[i][p] * r[p][j])
                }
                values.append(sum)
                magnitude = Swift.max(magnitude, absolute)
            }
        }
    }
    let shape: [Int]
    switch (a.rank, b.rank) {
    case (1, 1): shape = []
    case (2, 1): shape = [m]
    case (1, 2): shape = [n]
    case (2, 2): shape = [m, n]
    default: shape = [left.count, m, n]
    }
    return (Tensor(values, shape: shape), magnitude, k)
}

/// Expects `matmul` to agree with the naive loop within the worst-case rounding error of a k-term
/// dot product, γₖ·Σ|aᵢₗbₗⱼ| with γₖ = k·u/(1 − k·u) (Higham), once for the product and once for
/// the Double reference.
private func expectMatchesNaive<T: TensorScalar>(
    _ a: Tensor<T>, _ b: Tensor<T>, transposeA: Bool = false, transposeB: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let actual = matmul(a, b, transposeA: transposeA, transposeB: transposeB)
    let (reference, magnitude, k) = naiveMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
    expectClose(asDouble(actual), reference, tolerance: roundingBound(T.self, k: k, magnitude: magnitude),
                "\(T.self) \(a.shape)\(transposeA ? "ᵀ" : "")·\(b.shape)\(transposeB ? "ᵀ" : "")",
                sourceLocation: sourceLocation)
}

/// γₖ·Σ|aᵢₗbₗⱼ| in precision `T` plus the same in Double (the reference's own error).
private func roundingBound<T: TensorScalar>(_: T.Type, k: Int, magnitude: Double) -> Double {
    func gamma(_ u: Double) -> Double { Double(k) * u / (1 - Double(k) * u) }
    return (gamma(Double(T.ulpOfOne) / 2) + gamma(0x1p-53)) * Swift.max(magnitude, Double.leastNormalMagnitude)
}

/// Operand shapes of op(a)·op(b) as stored, for the transpose flags.
private func stored(_ rows: Int, _ columns: Int, transposed: Bool) -> [Int] {
    transposed ? [columns, rows] : [rows, columns]
}

@Suite("Matrix products against a naive loop")
struct MatMulTests {
    /// (m, k, n) of op(A)·op(B): one row, one column, k = 1 (outer product), non-square, and both.
    static let dimensions: [(Int, Int, Int)] = [
        (1, 6, 4), (5, 1, 3), (3, 5, 7), (4, 6, 1), (1, 5, 1), (1, 1, 1), (2, 2, 2), (7, 3, 5), (1, 1, 6),
    ]
    static let flags: [(Bool, Bool)] = [(false, false), (true, false), (false, true), (true, true)]

    @Test(arguments: dimensions, flags)
    func matrixTimesMatrix(dimensions: (Int, Int, Int), flags: (Bool, Bool)) {
        let (m, k, n) = dimensions, (ta, tb) = flags
        let seed = UInt64(m * 100 + k * 10 + n)
        let ad: Tensor<Double> = randomTensor(stored(m, k, transposed: ta), seed: seed)
        let bd: Tensor<Double> = randomTensor(stored(k, n, transposed: tb), seed: seed + 1)
        expectMatchesNaive(ad, bd, transposeA: ta, transposeB: tb)
        let af: Tensor<Float> = randomTensor(stored(m, k, transposed: ta), seed: seed)
        let bf: Tensor<Float> = randomTensor(stored(k, n, transposed: tb), seed: seed + 1)
        expectMatchesNaive(af, bf, transposeA: ta, transposeB: tb)
        #expect(matmul(ad, bd, transposeA: ta, transposeB: tb).shape == [m, n])
    }

    @Test func handComputedProduct() {
        let a = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        let b = Tensor<Double>([[7, 8], [9, 10], [11, 12]])
        #expect(matmul(a, b).scalars == [58, 64, 139, 154])
        #expect(matmul(a, a, transposeB: true).scalars == [14, 32, 32, 77])
        #expect(matmul(a, a, transposeA: true).scalars == [17, 22, 27, 22, 29, 36, 27, 36, 45])
    }

    @Test(arguments: [false, true])
    func matrixTimesVector(transposeA: Bool) {
        let a: Tensor<Double> = randomTensor(stored(4, 3, transposed: transposeA), seed: 41)
        let v: Tensor<Double> = randomTensor([3], seed: 42)
        #expect(matmul(a, v, transposeA: transposeA).shape == [4])
        expectMatchesNaive(a, v, transposeA: transposeA)
        let af: Tensor<Float> = randomTensor(stored(4, 3, transposed: transposeA), seed: 41)
        expectMatchesNaive(af, randomTensor([3], seed: 42) as Tensor<Float>, transposeA: transposeA)
    }

    @Test(arguments: [false, true])
    func vectorTimesMatrix(transposeB: Bool) {
        let v: Tensor<Double> = randomTensor([5], seed: 43)
        let b: Tensor<Double> = randomTensor(stored(5, 2, transposed: transposeB), seed: 44)
        #expect(matmul(v, b, transposeB: transposeB).shape == [2])
        expectMatchesNaive(v, b, transposeB: transposeB)
        let bf: Tensor<Float> = randomTensor(stored(5, 2, transposed: transposeB), seed: 44)
        expectMatchesNaive(randomTensor([5], seed: 43) as Tensor<Float>, bf, transposeB: transposeB)
    }

    @Test func vectorDotVectorIsZeroDimensional() {
        let u = Tensor<Double>([1, 2, 3]), v = Tensor<Double>([4, -5, 6])
        let dot = matmul(u, v)
        #expect(dot.shape == [])
        #expect(dot.scalar == 12)
        expectMatchesNaive(randomTensor([9], seed: 45) as Tensor<Double>, randomTensor([9], seed: 46))
        expectMatchesNaive(randomTensor([9], seed: 45) as Tensor<Float>, randomTensor([9], seed: 46))
        expectMatchesNaive(Tensor<Float>([2]), Tensor<Float>([3]))
    }

    @Test(arguments: flags)
    func batchedTimesBatched(flags: (Bool, Bool)) {
        let (ta, tb) = flags
        let a: Tensor<Double> = randomTensor([3] + stored(2, 4, transposed: ta), seed: 47)
        let b: Tensor<Double> = randomTensor([3] + stored(4, 5, transposed: tb), seed: 48)
        #expect(matmul(a, b, transposeA: ta, transposeB: tb).shape == [3, 2, 5])
        expectMatchesNaive(a, b, transposeA: ta, transposeB: tb)
        let af: Tensor<Float> = randomTensor([3] + stored(2, 4, transposed: ta), seed: 47)
        let bf: Tensor<Float> = randomTensor([3] + stored(4, 5, transposed: tb), seed: 48)
        expectMatchesNaive(af, bf, transposeA: ta, transposeB: tb)
        // Degenerate batch entries: one row and one column per entry go to gemv.
        expectMatchesNaive(randomTensor([2] + stored(1, 3, transposed: ta), seed: 49) as Tensor<Double>,
                           randomTensor([2] + stored(3, 1, transposed: tb), seed: 50), transposeA: ta, transposeB: tb)
    }

    @Test(arguments: flags)
    func batchedTimesSharedMatrix(flags: (Bool, Bool)) {
        // Without transposeA this is one gemm over B·m rows; with it, one gemm per batch entry.
        let (ta, tb) = flags
        let a: Tensor<Double> = randomTensor([4] + stored(3, 5, transposed: ta), seed: 51)
        let b: Tensor<Double> = randomTensor(stored(5, 2, transposed: tb), seed: 52)
        #expect(matmul(a, b, transposeA: ta, transposeB: tb).shape == [4, 3, 2])
        expectMatchesNaive(a, b, transposeA: ta, transposeB: tb)
        let af: Tensor<Float> = randomTensor([4] + stored(3, 5, transposed: ta), seed: 51)
        let bf: Tensor<Float> = randomTensor(stored(5, 2, transposed: tb), seed: 52)
        expectMatchesNaive(af, bf, transposeA: ta, transposeB: tb)
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let product = matmul(Tensor<Double>.zeros([2, 0]), Tensor<Double>.zeros([0, 3]))
        #expect(product.shape == [2, 3])
        #expect(product.scalars == [0, 0, 0, 0, 0, 0])
    }

    // MARK: Shape mismatch stops the process, naming the op and both shapes

    @Test func incompatibleShapesStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor<Double>.zeros([2, 3]), Tensor<Double>.zeros([4, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("matmul"), "stderr: \(message)")
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]"), "stderr: \(message)")
    }
}

// MARK: - beta = 0 never reads the output buffer

@Suite("MatrixProduct.gemm with beta = 0")
struct MatrixProductTests {
    /// (m, k, n) for each route: gemm, gemv with one row, gemv with one column, ger (k = 1),
    /// and the k = 0 scaling path.
    static let routes: [(String, Int, Int, Int)] = [
        ("gemm", 3, 4, 5), ("gemv m=1", 1, 4, 5), ("gemv n=1", 3, 4, 1), ("ger k=1", 3, 1, 5),
        ("gemv m=n=1", 1, 4, 1), ("k=0", 2, 0, 3),
    ]

    @Test func oneRowOrOneColumnGoesToGemv() {
        // The issue's case: a 1×1024·1024×1024 product must not be a (4.7× slower) 1-row sgemm.
        #expect(MatrixProduct.route(m: 1, n: 1024, k: 1024) == .gemvRow)
        #expect(MatrixProduct.route(m: 1024, n: 1, k: 1024) == .gemvColumn)
        #expect(MatrixProduct.route(m: 1, n: 1, k: 1024) == .gemvRow)
        #expect(MatrixProduct.route(m: 1024, n: 1024, k: 1) == .ger)
        #expect(MatrixProduct.route(m: 2, n: 1024, k: 1024) == .gemm)
        #expect(MatrixProduct.route(m: 2, n: 3, k: 0) == .scale)
        #expect(MatrixProduct.route(m: 0, n: 3, k: 4) == .none)
    }

    @Test(arguments: routes, MatMulTests.flags)
    func outputFilledWithNaNIsOverwritten(route: (String, Int, Int, Int), flags: (Bool, Bool)) {
        let (name, m, k, n) = route, (ta, tb) = flags
        check(Double.self, name, m, k, n, ta, tb)
        check(Float.self, name, m, k, n, ta, tb)
    }

    private func check<T: TensorScalar>(
        _: T.Type, _ name: String, _ m: Int, _ k: Int, _ n: Int, _ ta: Bool, _ tb: Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let a: Tensor<T> = randomTensor(stored(m, k, transposed: ta), seed: 61)
        let b: Tensor<T> = randomTensor(stored(k, n, transposed: tb), seed: 62)
        var c = Tensor<T>(filledWith: .nan, shape: [m, n])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    MatrixProduct.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k,
                                       a: pa.baseAddress!, b: pb.baseAddress!, beta: 0, c: pc.baseAddress!)
                }
            }
        }
        expectAllFinite(c.scalars, shape: c.shape, "\(name) \(T.self) ta=\(ta) tb=\(tb)", sourceLocation: sourceLocation)
        let (reference, magnitude, _) = k == 0 ? (Tensor<Double>.zeros([m, n]), 0, 0)
            : naiveMatmul(a, b, transposeA: ta, transposeB: tb)
        expectClose(asDouble(c), reference, tolerance: roundingBound(T.self, k: k, magnitude: magnitude),
                    "\(name) \(T.self) ta=\(ta) tb=\(tb)", sourceLocation: sourceLocation)
    }

    @Test(arguments: routes)
    func betaOneAccumulatesAndAlphaScales(route: (String, Int, Int, Int)) {
        // C = 2·A·B + 1·C with C preset to ones: what gradient accumulation relies on.
        let (name, m, k, n) = route
        let a: Tensor<Double> = randomTensor([m, k], seed: 63)
        let b: Tensor<Double> = randomTensor([k, n], seed: 64)
        var c = Tensor<Double>.ones([m, n])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    MatrixProduct.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 2,
                                       a: pa.baseAddress!, b: pb.baseAddress!, beta: 1, c: pc.baseAddress!)
                }
            }
        }
        let product = k == 0 ? Tensor<Double>.zeros([m, n]) : naiveMatmul(a, b).product
        expectClose(c, product * 2 + 1, tolerance: 1e-14, "\(name)")
    }
}
