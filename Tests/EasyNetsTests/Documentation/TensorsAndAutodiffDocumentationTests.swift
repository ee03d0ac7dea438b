import Foundation
import Testing
import EasyNets

@Suite("Tensors and autodiff examples")
struct TensorsAndAutodiffDocumentationTests {
    /// Broadcasting, a reduction, a slice and a product, against loops.
    @Test func tensorBasics() {
        // Documentation block: TensorsAndAutodiff.md #1
        let x = Tensor<Double>([[1, 2, 3], [4, 5, 6]])               // (2, 3)
        let column = Tensor<Double>([[10], [20]])                     // (2, 1)
        let y = x * column + 1                                        // broadcast to (2, 3)
        print(y.shape, y.scalars)                                     // [2, 3] [11.0, 21.0, 31.0, 81.0, 101.0, 121.0]
        print(x.sum(along: 1).scalars, x.mean().scalar)               // [6.0, 15.0] 3.5
        print(x.sliced(along: 1, 1..., step: 1).scalars)              // x[:, 1:] = [2.0, 3.0, 5.0, 6.0]
        print(matmul(x, x, transposeB: true).scalars)                 // x·xᵀ in one gemm = [14.0, 32.0, 32.0, 77.0]

        let rows: [[Double]] = [[1, 2, 3], [4, 5, 6]], scale: [Double] = [10, 20]
        #expect(y.shape == [2, 3])
        var broadcast: [Double] = [], sums: [Double] = [], total = 0.0, slice: [Double] = [], gram: [Double] = []
        for r in 0..<2 {
            for v in rows[r] { broadcast.append(v * scale[r] + 1); total += v }
            sums.append(rows[r][0] + rows[r][1] + rows[r][2])
            slice += rows[r][1...]
            for s in 0..<2 { gram.append(rows[r][0] * rows[s][0] + rows[r][1] * rows[s][1] + rows[r][2] * rows[s][2]) }
        }
        #expect(y.scalars == broadcast)
        #expect(x.sum(along: 1).scalars == sums)
        #expect(x.mean().scalar == total / 6)
        #expect(x.sliced(along: 1, 1..., step: 1).scalars == slice)
        #expect(matmul(x, x, transposeB: true).scalars == gram)
        // The comments show what the prints write.
        #expect("\(y.shape) \(y.scalars)" == "[2, 3] [11.0, 21.0, 31.0, 81.0, 101.0, 121.0]")
        #expect("\(x.sum(along: 1).scalars) \(x.mean().scalar)" == "[6.0, 15.0] 3.5")
    }

    /// Solve, QR and the symmetric eigendecomposition of a 2×2 matrix.
    @Test func linearAlgebra() throws {
        // Documentation block: TensorsAndAutodiff.md #2
        let a = Tensor<Double>([[4, 1], [1, 3]])
        let b = Tensor<Double>([[1], [2]])
        let solution = try a.solve(b)                                 // a · solution = b
        let (q, r) = try a.qrDecomposition()                          // a = q · r
        let (eigenvalues, _) = try a.symmetricEigendecomposition()    // (7 ∓ √5) / 2, ascending
        print(solution.scalars, matmul(q, r).scalars, eigenvalues.scalars)

        // Cramer's rule: x = (1·3 − 1·2, 4·2 − 1·1) / (4·3 − 1·1).
        expectClose(solution.scalars, [1.0 / 11, 7.0 / 11], tolerance: 1e-14)
        expectClose(matmul(q, r).scalars, [4.0, 1, 1, 3], tolerance: 1e-14)
        // q is orthogonal and r upper triangular.
        let qv = q.scalars
        expectClose([qv[0] * qv[0] + qv[2] * qv[2], qv[0] * qv[1] + qv[2] * qv[3], qv[1] * qv[1] + qv[3] * qv[3]], [1.0, 0, 1],
                    tolerance: 1e-14)
        #expect(r.scalars[2] == 0)
        expectClose(eigenvalues.scalars, [(7 - 5.0.squareRoot()) / 2, (7 + 5.0.squareRoot()) / 2], tolerance: 1e-14)
    }

    /// A gradient check of softplus(x)·tanh(x), and the gradient against its closed form.
    @Test func gradientCheck() {
        // Documentation block: TensorsAndAutodiff.md #3
        var generator = RandomGenerator(seed: 7)
        let input = Tensor<Double>.uniform([4, 3], low: -2, high: 2, using: &generator)
        let check = checkGradients(of: { x in (softplus(x[0]) * tanh(x[0])).sum() }, at: [input])
        print(check.maxAbsoluteError, check.maxRelativeError)         // both far below 1e-6

        #expect(check.maxAbsoluteError < 1e-6 && check.maxRelativeError < 1e-6, "\(check)")
        // d/dx softplus(x)·tanh(x) = σ(x)·tanh(x) + softplus(x)·(1 − tanh²(x)).
        var x = input
        x.requiresGradient = true
        (softplus(x) * tanh(x)).sum().backward()
        var expected: [Double] = []
        for v in input.scalars {
            let t: Double = Foundation.tanh(v), s: Double = Foundation.log(1 + Foundation.exp(v))
            let derivative: Double = plainSigmoid(v) * t + s * (1 - t * t)
            expected.append(derivative)
        }
        expectClose(x.gradient!.scalars, expected, tolerance: 1e-12)
        #expect(input.scalars.allSatisfy { (-2...2).contains($0) })
    }
}
