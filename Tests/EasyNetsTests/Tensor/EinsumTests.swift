import Testing
@testable import EasyNets

/// Einsum against PyTorch in Double (products, traces, diagonals, sums, three operands, implicit
/// output), central differences, and a plain-loop reference in Float.
@Suite struct EinsumTests {
    let fixture: IndexingFixture
    init() throws { fixture = try IndexingFixture() }

    @Test func einsumMatchesPyTorch() {
        let names = fixture.names("einsum_")
        #expect(names.count == 19)
        for name in names {
            fixture.check(name) { c, x in ([einsum(c.equation!, x)], []) }
        }
    }

    @Test func ellipsisMatchesPyTorch() {
        let names = fixture.names("einsumellipsis_")
        #expect(names.count == 12)
        for name in names {
            fixture.check(name) { c, x in ([einsum(c.equation!, x)], []) }
        }
    }

    @Test func ellipsisGradientsMatchCentralDifferences() {
        var generator = RandomGenerator(seed: 59)
        let a = Tensor<Double>.normal([2, 1, 3, 4], using: &generator), b = Tensor<Double>.normal([3, 4, 2], using: &generator)
        for equation in ["...ij,...jk->...ik", "...ij,...jk->k...", "a...j,...jk"] {
            let result = checkGradients(of: { einsum(equation, $0[0], $0[1]) }, at: [a, b])
            #expect(result.maxRelativeError < 1e-6, "\(equation): \(result)")
        }
    }

    @Test func ellipsisInFloatMatchesMatmul() {
        var generator = RandomGenerator(seed: 61)
        let a = Tensor<Float>.normal([4, 1, 3, 5], using: &generator), b = Tensor<Float>.normal([2, 5, 3], using: &generator)
        expectClose(einsum("...ij,...jk->...ik", a, b), matmul(a, b), tolerance: 1e-6)
    }

    @Test func gradientsMatchCentralDifferences() {
        var generator = RandomGenerator(seed: 43)
        let a = Tensor<Double>.normal([2, 3, 4], using: &generator), b = Tensor<Double>.normal([4, 2, 5], using: &generator)
        for equation in ["bij,jbk->bik", "bij,jbk->ki", "bij,jbk->"] {
            let result = checkGradients(of: { einsum(equation, $0[0], $0[1]) }, at: [a, b])
            #expect(result.maxRelativeError < 1e-6, "\(equation): \(result)")
        }
        let square = Tensor<Double>.normal([3, 3, 2], using: &generator)
        let trace = checkGradients(of: { einsum("iib->b", $0[0]) }, at: [square])
        #expect(trace.maxRelativeError < 1e-6, "\(trace)")
    }

    @Test func floatMatchesAPlainLoop() {
        var generator = RandomGenerator(seed: 47)
        let a = Tensor<Float>.normal([3, 1, 5], using: &generator), b = Tensor<Float>.normal([5, 3], using: &generator)
        let product = einsum("ixk,kj->ijx", a, b)
        #expect(product.shape == [3, 3, 1])
        var expected = [Float](repeating: 0, count: 9)
        for i in 0..<3 {
            for j in 0..<3 {
                for k in 0..<5 { expected[i * 3 + j] += a.scalars[i * 5 + k] * b.scalars[k * 3 + j] }
            }
        }
        expectClose(product.flattened(), Tensor(expected), tolerance: 1e-5)
    }
}
