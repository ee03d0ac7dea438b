import Testing
@testable import EasyNets

/// Tests/Fixtures/normalization.json (scripts/fixtures/make_normalization_fixture.py).
private struct NormalizationFixture: Decodable {
    struct Case: Decodable {
        let groups: Int
        let channels: Int
        let epsilon: Double
        let affine: Bool
        let input: EncodedTensor
        let output: EncodedTensor
        let upstream: EncodedTensor
        let input_gradient: EncodedTensor
        let weight: EncodedTensor?
        let bias: EncodedTensor?
        let weight_gradient: EncodedTensor?
        let bias_gradient: EncodedTensor?
    }
    let cases: [Case]
}

@Suite struct GroupNormTests {
    /// Outputs and the gradients of sum(output · u) match PyTorch's nn.GroupNorm in Double.
    @Test func matchesPyTorch() throws {
        let fixture = try loadFixture("normalization.json", as: NormalizationFixture.self)
        #expect(fixture.cases.count == 5)
        for c in fixture.cases {
            let layer = GroupNorm<Double>(groupCount: c.groups, channelCount: c.channels, epsilon: c.epsilon, affine: c.affine)
            if let weight = c.weight, let bias = c.bias {
                layer.weight!.value = weight.tensor
                layer.bias!.value = bias.tensor
            }
            var x = c.input.tensor
            x.requiresGradient = true
            let y = layer(x)
            expectClose(y, c.output.tensor, tolerance: 1e-12, "groups \(c.groups), input \(c.input.shape)")
            (y * c.upstream.tensor).sum().backward()
            expectClose(try #require(x.gradient), c.input_gradient.tensor, tolerance: 1e-12, "dX, input \(c.input.shape)")
            if let weightGradient = c.weight_gradient, let biasGradient = c.bias_gradient {
                expectClose(try #require(layer.weight!.gradient), weightGradient.tensor, tolerance: 1e-12, "dW, input \(c.input.shape)")
                expectClose(try #require(layer.bias!.gradient), biasGradient.tensor, tolerance: 1e-12, "db, input \(c.input.shape)")
            }
            #expect(layer.parameterCount == (c.affine ? 2 * c.channels : 0))
        }
    }

    /// Autodiff agrees with central differences for the input and both parameters.
    @Test func gradientsMatchFiniteDifferences() {
        let layer = GroupNorm<Double>(groupCount: 2, channelCount: 4)
        let weight = randomTensor([4], in: 0.5...1.5, seed: 2), bias = randomTensor([4], seed: 3)
        expectGradientsMatch([randomTensor([2, 4, 3], seed: 1), weight, bias]) { inputs in
            layer.weight!.value = inputs[1]
            layer.bias!.value = inputs[2]
            return (layer(inputs[0]) * randomTensor([2, 4, 3], seed: 4)).sum()
        }
    }

    /// The statistics never mix examples: each example's output is the same alone or in a batch,
    /// in training and in evaluation.
    @Test func examplesAreIndependent() {
        let layer = GroupNorm<Double>(groupCount: 3, channelCount: 6)
        let batch = randomTensor([3, 6, 2, 2], seed: 5)
        let together = layer(batch)
        layer.eval()
        for n in 0..<3 {
            let alone = layer(batch.sliced(along: 0, n..<(n + 1)))
            expectClose(alone, together.sliced(along: 0, n..<(n + 1)), tolerance: 1e-14)
        }
    }
}
