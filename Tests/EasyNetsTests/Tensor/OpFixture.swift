import Testing
@testable import EasyNets

/// A fixture case of PyTorch's outputs, indices and input gradients for an op.
protocol OpFixtureCase: Decodable {
    var inputs: [EncodedTensor] { get }
    var outputs: [EncodedTensor] { get }
    var indices: [EncodedTensor] { get }
    var upstream: [EncodedTensor] { get }
    var gradients: [EncodedTensor] { get }
}

/// Runs `op` on `c`'s inputs, compares its values and indices with PyTorch's to 1e-10, then the
/// gradients of Σ output·upstream. When no output records a gradient, PyTorch's gradients must be
/// zero if `zeroWithoutGradients` (ops with a zero gradient everywhere).
func checkOpFixture<Case: OpFixtureCase>(
    _ name: String, _ c: Case?, zeroWithoutGradients: Bool, sourceLocation: SourceLocation,
    _ op: (Case, [Tensor<Double>]) -> (values: [Tensor<Double>], indices: [IndexTensor])
) {
    guard let c else {
        Issue.record("no fixture case \(name)", sourceLocation: sourceLocation)
        return
    }
    let inputs = c.inputs.map(\.leaf)
    let (values, indices) = op(c, inputs)
    #expect(values.count == c.outputs.count && indices.count == c.indices.count,
            "\(name): \(values.count) values and \(indices.count) index outputs, PyTorch \(c.outputs.count) and \(c.indices.count)",
            sourceLocation: sourceLocation)
    for (output, expected) in zip(values, c.outputs) {
        expectClose(output.detached, expected.tensor, tolerance: 1e-10, "\(name) output", sourceLocation: sourceLocation)
    }
    for (output, expected) in zip(indices, c.indices) {
        #expect(output.shape == expected.shape, "\(name) index shape", sourceLocation: sourceLocation)
        #expect(output.values == expected.values.map { Int($0) }, "\(name) indices", sourceLocation: sourceLocation)
    }
    guard values.contains(where: { $0.requiresGradient }) else {
        if zeroWithoutGradients {
            #expect(c.gradients.allSatisfy { $0.values.allSatisfy { $0 == 0 } }, "\(name): PyTorch has gradients",
                    sourceLocation: sourceLocation)
        }
        return
    }
    let total = zip(values, c.upstream).map { ($0 * $1.tensor).sum() }.reduce(Tensor<Double>(0)) { $0 + $1 }
    total.backward()
    for (input, expected) in zip(inputs, c.gradients) {
        expectClose(input.gradient ?? .zeros(input.shape), expected.tensor, tolerance: 1e-10, "\(name) gradient",
                    sourceLocation: sourceLocation)
    }
}
