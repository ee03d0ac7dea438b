import Testing
@testable import EasyNets

/// Checks the gradients of a layer called as a layer, with respect to its input and to every
/// trainable parameter, against central differences. `make` builds a fresh layer for every
/// evaluation (so a dropout mask or running statistics start the same each time); the parameter
/// values under test are those of the first layer it builds.
func expectLayerGradientsMatch(
    _ input: Tensor<Double>, sourceLocation: SourceLocation = #_sourceLocation, _ make: () -> any Layer<Double>
) {
    let initial = make().trainableParameters.map(\.value.detached)
    expectGradientsMatch([input] + initial, sourceLocation: sourceLocation) { inputs in
        let layer = make()
        for (parameter, value) in zip(layer.trainableParameters, inputs.dropFirst()) { parameter.value = value }
        return layer(inputs[0])
    }
}

@Suite("Gradient checks of every layer")
struct LayerGradientTests {
    /// Values away from the kinks of relu (0) and hardSigmoid (±3).
    let x = randomSignedTensor([3, 4], magnitudes: 0.1...2.8, seed: 41)

    @Test func activationLayers() {
        let layers: [() -> any Layer<Double>] = [
            { ReLU() }, { LeakyReLU(negativeSlope: 0.2) }, { ELU(alpha: 1.5) }, { SELU() }, { GELU() },
            { GELU(approximation: .tanh) }, { SiLU() }, { Mish() }, { Sigmoid() }, { HardSigmoid() }, { Tanh() },
            { Softplus() }, { Softmax() }, { Softmax(axis: 0) }, { LogSoftmax() }, { LogSoftmax(axis: 0) },
        ]
        for make in layers { expectLayerGradientsMatch(x, make) }
    }

    @Test func shapeAndContainerLayers() {
        let x3 = randomTensor([2, 3, 4], seed: 42)
        expectLayerGradientsMatch(x3) { Flatten() }
        expectLayerGradientsMatch(x3) { Flatten(startAxis: 0) }
        expectLayerGradientsMatch(x3) { Flatten(startAxis: -2) }
        expectLayerGradientsMatch(x) { Identity() }
        expectLayerGradientsMatch(x) {
            var generator = RandomGenerator(seed: 1)
            return Sequential<Double> { Linear(4, 5, using: &generator); Tanh(); Linear(5, 2, using: &generator) }
        }
        expectLayerGradientsMatch(x) {
            var generator = RandomGenerator(seed: 2)
            return Residual<Double> { Linear(4, 4, using: &generator); GELU() }
        }
    }

    @Test func layersWithParameters() {
        expectLayerGradientsMatch(x) {
            var generator = RandomGenerator(seed: 3)
            return Linear(4, 3, using: &generator)
        }
        expectLayerGradientsMatch(x.rows(0..<1)) {  // one row: the gemv path
            var generator = RandomGenerator(seed: 4)
            return Linear(4, 3, using: &generator)
        }
        expectLayerGradientsMatch(x) {
            var generator = RandomGenerator(seed: 5)
            return Linear(4, 3, bias: false, using: &generator)
        }
        expectLayerGradientsMatch(x) { LayerNorm([4]) }
        expectLayerGradientsMatch(x) { BatchNorm1d(4) }
        expectLayerGradientsMatch(x) {
            let norm = BatchNorm1d<Double>(4)
            norm.eval()
            return norm
        }
        expectLayerGradientsMatch(x) { Dropout(probability: 0.3, seed: 6) }
        expectLayerGradientsMatch(x) {
            let dropout = Dropout<Double>(probability: 0.3, seed: 6)
            dropout.eval()
            return dropout
        }
    }

    @Test func embeddingWeight() {
        // Indices are not differentiable, so only the weight is checked.
        let indices = Tensor<Double>([[2, 0], [2, 1]])
        var generator = RandomGenerator(seed: 7)
        let weight = Embedding<Double>(3, 4, using: &generator).weight.value.detached
        expectGradientsMatch([weight]) { inputs in
            var unused = RandomGenerator(seed: 0)
            let embedding = Embedding<Double>(3, 4, using: &unused)
            embedding.weight.value = inputs[0]
            return embedding(indices)
        }
    }
}
