import Testing
@testable import EasyNets

@Suite struct InitializerTests {
    typealias Init = Initializer<Double>

    /// Sample mean and standard deviation.
    func moments(_ t: Tensor<Double>) -> (mean: Double, std: Double) {
        let v = t.scalars
        let mean = v.reduce(0, +) / Double(v.count)
        return (mean, (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot())
    }

    @Test func fansFollowPyTorch() {
        #expect(Init.fans([64, 32]) == (32, 64))
        #expect(Init.fans([16, 8, 3, 3]) == (72, 144))
    }

    @Test func gains() {
        expectClose(Init.Nonlinearity.relu.gain, 2.0.squareRoot(), tolerance: 1e-15)
        expectClose(Init.Nonlinearity.tanh.gain, 5.0 / 3, tolerance: 1e-15)
        expectClose(Init.Nonlinearity.leakyRelu(negativeSlope: 0.2).gain, (2 / 1.04).squareRoot(), tolerance: 1e-15)
        #expect(Init.Nonlinearity.selu.gain == 0.75 && Init.Nonlinearity.linear.gain == 1)
    }

    @Test func uniformFamiliesRespectTheirBoundsAndVariance() {
        var g = RandomGenerator(seed: 1)
        let shape = [200, 300]  // fan-in 300, fan-out 200; 60 000 draws
        let cases: [(Tensor<Double>, Double)] = [
            (Init.xavierUniform(shape, gain: 2, using: &g), 2 * (6.0 / 500).squareRoot()),
            (Init.kaimingUniform(shape, using: &g), 2.0.squareRoot() * (3.0 / 300).squareRoot()),
            (Init.kaimingUniform(shape, mode: .fanOut, nonlinearity: .tanh, using: &g), 5.0 / 3 * (3.0 / 200).squareRoot()),
            (Init.lecunUniform(shape, using: &g), (3.0 / 300).squareRoot()),
            (Init.uniform(shape, low: -0.25, high: 0.25, using: &g), 0.25),
        ]
        for (t, bound) in cases {
            #expect(t.scalars.allSatisfy { abs($0) <= bound })
            // U(−b, b) has std b/√3; with 60 000 draws the sample std is within 1%.
            let (mean, std) = moments(t)
            #expect(abs(mean) < 0.02 * bound)
            #expect(abs(std - bound / 3.0.squareRoot()) < 0.01 * bound)
        }
    }

    @Test func normalFamiliesHaveTheirStandardDeviation() {
        var g = RandomGenerator(seed: 2)
        let shape = [200, 300]
        let cases: [(Tensor<Double>, Double)] = [
            (Init.xavierNormal(shape, using: &g), (2.0 / 500).squareRoot()),
            (Init.kaimingNormal(shape, using: &g), 2.0.squareRoot() / 300.0.squareRoot()),
            (Init.kaimingNormal(shape, mode: .fanOut, using: &g), 2.0.squareRoot() / 200.0.squareRoot()),
            (Init.lecunNormal(shape, using: &g), 1 / 300.0.squareRoot()),
            (Init.normal(shape, mean: 0, standardDeviation: 0.3, using: &g), 0.3),
        ]
        for (t, expected) in cases {
            let (mean, std) = moments(t)
            #expect(abs(mean) < 0.02 * expected)
            #expect(abs(std - expected) < 0.015 * expected)
        }
        #expect(Init.constant([2, 2], value: 0.5).scalars == [0.5, 0.5, 0.5, 0.5])
        #expect(Init.zeros([3]).scalars == [0, 0, 0] && Init.ones([2]).scalars == [1, 1])
    }

    @Test func orthogonalThroughQR() throws {
        var g = RandomGenerator(seed: 3)
        let tall = try Init.orthogonal([7, 4], gain: 2, using: &g)
        expectClose(matmul(tall, tall, transposeA: true), Tensor.identity(4) * 4, tolerance: 1e-12)
        let wide = try Init.orthogonal([3, 6], using: &g)
        expectClose(matmul(wide, wide, transposeB: true), Tensor.identity(3), tolerance: 1e-12)
        let conv = try Init.orthogonal([4, 2, 3], using: &g)
        #expect(conv.shape == [4, 2, 3])
        let flat = conv.reshaped(to: [4, 6])
        expectClose(matmul(flat, flat, transposeB: true), Tensor.identity(4), tolerance: 1e-12)
        // Seeded: the same seed gives the same matrix.
        var g1 = RandomGenerator(seed: 9), g2 = RandomGenerator(seed: 9)
        #expect(try Initializer<Float>.orthogonal([5, 5], using: &g1).scalars == Initializer<Float>.orthogonal([5, 5], using: &g2).scalars)
    }
}
