import Foundation
import Testing
@testable import EasyNets

// The lecture note's sigmoid neuron: f = σ(q), q = x₀·w₀ + x₁·w₁ + b at x₀ = −1, x₁ = −2, w₀ = 4,
// w₁ = −4, b = −3 (so q = 1). Reference values: σ(1) = 0.7310585786, σ'(1) = σ(1)(1 − σ(1)) =
// 0.1966119332, and ∂f/∂input = σ'(1) times that input's partner in q.

private let expected = (f: 0.731059, b: 0.196612, w0: -0.196612, x0: 0.786448, w1: -0.393224, x1: -0.786448)

/// The neuron as a plain function of (x₀, x₁, w₀, w₁, b).
private func neuron(_ v: [Double]) -> Double {
    1 / (1 + Foundation.exp(-(v[0] * v[2] + v[1] * v[3] + v[4])))
}

private let point: [Double] = [-1, -2, 4, -4, -3]  // x₀, x₁, w₀, w₁, b

/// ∂neuron/∂v[i] by central differences (error ~h²·f''' ≈ 1e-11 at h = 1e-5).
private func centralDifference(_ i: Int, h: Double = 1e-5) -> Double {
    var plus = point, minus = point
    plus[i] += h
    minus[i] -= h
    return (neuron(plus) - neuron(minus)) / (2 * h)
}

@Suite("The seed example: a sigmoid neuron")
struct SeedExampleTests {
    @Test func exampleMatchesTheLectureValues() {
        let example = SigmoidNeuronExample()
        #expect(example.q == 1)
        expectClose(example.f, expected.f, tolerance: 1e-6)
        expectClose(example.dfdq, expected.b, tolerance: 1e-6)
        expectClose(example.gradients.b, expected.b, tolerance: 1e-6)
        expectClose(example.gradients.w0, expected.w0, tolerance: 1e-6)
        expectClose(example.gradients.x0, expected.x0, tolerance: 1e-6)
        expectClose(example.gradients.w1, expected.w1, tolerance: 1e-6)
        expectClose(example.gradients.x1, expected.x1, tolerance: 1e-6)
    }

    @Test func exampleMatchesCentralDifferences() {
        let g = SigmoidNeuronExample().gradients
        let autodiff = [g.x0, g.x1, g.w0, g.w1, g.b]
        expectClose(autodiff, (0..<5).map { centralDifference($0) }, tolerance: 1e-9)
    }

    @Test func exampleAtOtherValues() {
        let example = SigmoidNeuronExample(x0: 0.5, x1: 1.5, w0: -2, w1: 0.25, b: 0.1)
        let q = 0.5 * -2 + 1.5 * 0.25 + 0.1
        let f = 1 / (1 + Foundation.exp(-q))
        expectClose(example.q, q, tolerance: 1e-15)
        expectClose(example.f, f, tolerance: 1e-15)
        let g = example.gradients
        expectClose([g.x0, g.x1, g.w0, g.w1, g.b], [-2, 0.25, 0.5, 1.5, 1].map { $0 * f * (1 - f) }, tolerance: 1e-15)
    }

    @Test func builtDirectlyFromTensors() throws {
        var leaves = point.map { value -> Tensor<Double> in
            var t = Tensor(value)
            t.requiresGradient = true
            return t
        }
        let (x0, x1, w0, w1, b) = (leaves[0], leaves[1], leaves[2], leaves[3], leaves[4])
        let f = sigmoid(x0 * w0 + x1 * w1 + b)
        f.backward()
        expectClose(f.scalar, expected.f, tolerance: 1e-6)
        let gradients = try leaves.map { try #require($0.gradient).scalar }
        expectClose(gradients, [expected.x0, expected.x1, expected.w0, expected.w1, expected.b], tolerance: 1e-6)
        expectClose(gradients, (0..<5).map { centralDifference($0) }, tolerance: 1e-9)

        // The same neuron as a dot product: σ(w·x + b).
        leaves = [Tensor([-1, -2]), Tensor([4, -4]), Tensor(-3)].map { var t = $0; t.requiresGradient = true; return t }
        let g = sigmoid(matmul(leaves[1], leaves[0]) + leaves[2])
        g.backward()
        expectClose(g.scalar, expected.f, tolerance: 1e-6)
        expectClose(try #require(leaves[0].gradient).scalars, [expected.x0, expected.x1], tolerance: 1e-6)
        expectClose(try #require(leaves[1].gradient).scalars, [expected.w0, expected.w1], tolerance: 1e-6)
        expectClose(try #require(leaves[2].gradient).scalar, expected.b, tolerance: 1e-6)
    }

    @Test func theLectureFormulaIsWrong() {
        // The note writes σ' = (1 − σ)/σ; at q = 1 that is e⁻¹ ≈ 0.3679, not σ(1 − σ) ≈ 0.1966.
        let f = SigmoidNeuronExample().f
        let lecture = (1 - f) / f
        let correct = f * (1 - f)
        expectClose(lecture, Foundation.exp(-1), tolerance: 1e-12)
        #expect(Swift.abs(lecture - correct) > 0.1)
        expectClose(correct, centralDifference(4), tolerance: 1e-9)  // ∂f/∂b = σ'(q)
        #expect(Swift.abs(lecture - centralDifference(4)) > 0.1)
        // And autodiff's σ' is the correct one.
        var q = Tensor<Double>(1)
        q.requiresGradient = true
        EasyNets.sigmoid(q).backward()
        expectClose(q.gradient!.scalar, correct, tolerance: 1e-15)
    }
}
