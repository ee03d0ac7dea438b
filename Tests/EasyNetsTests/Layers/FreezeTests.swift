import Foundation
import Testing
@testable import EasyNets

@Suite struct FreezeTests {
    /// A small image classifier: Conv2d, BatchNorm2d, ReLU, Flatten, Linear.
    func imageModel(seed: UInt64) -> Sequential<Double> {
        var generator = RandomGenerator(seed: seed)
        return Sequential<Double> {
            Conv2d(1, 2, kernelSize: [3, 3], using: &generator)
            BatchNorm2d(2)
            ReLU()
            Flatten()
            Linear(8, 3, using: &generator)
        }
    }

    func loss(_ model: Sequential<Double>) -> Tensor<Double> {
        var generator = RandomGenerator(seed: 9)
        let x = Tensor<Double>.normal([4, 1, 4, 4], using: &generator)
        return crossEntropy(logits: model(x), labels: [0, 1, 2, 1])
    }

    /// Frozen layers get no gradient; the others get exactly the gradients they get unfrozen.
    @Test func frozenParametersGetNoGradient() throws {
        let frozen = imageModel(seed: 1), reference = imageModel(seed: 1)
        frozen.layers[0].freeze()
        frozen.layers[1].freeze()
        loss(frozen).backward()
        loss(reference).backward()
        for ((name, parameter), (_, expected)) in zip(frozen.namedParameters, reference.namedParameters) {
            if name.hasPrefix("0.") || name.hasPrefix("1.") {
                #expect(parameter.isFrozen && parameter.gradient == nil && !parameter.value.requiresGradient, "\(name)")
            } else {
                let gradient = try #require(parameter.gradient, "\(name)")
                expectClose(gradient, try #require(expected.gradient), tolerance: 1e-14, "\(name)")
            }
        }
    }

    /// A frozen LSTM still passes gradients to its input, the same as unfrozen.
    @Test func aFrozenRecurrentLayerPassesGradientsThrough() throws {
        func inputGradient(frozen: Bool) throws -> Tensor<Double> {
            var generator = RandomGenerator(seed: 3)
            let lstm = Recurrent<Double>(.lstm, inputSize: 3, hiddenSize: 4, using: &generator)
            if frozen { lstm.freeze() }
            var x = Tensor<Double>.normal([5, 2, 3], using: &generator)
            x.requiresGradient = true
            lstm(x).sum().backward()
            #expect(lstm.namedParameters.allSatisfy { ($0.parameter.gradient == nil) == frozen })
            return try #require(x.gradient)
        }
        expectClose(try inputGradient(frozen: true), try inputGradient(frozen: false), tolerance: 1e-14)
    }

    /// No optimizer changes a frozen parameter, even one given to it with weight decay and momentum.
    @Test func optimizersLeaveFrozenParametersAlone() {
        let optimizers: [(String, ([Parameter<Double>]) -> any Optimizer<Double>)] = [
            ("SGD", { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.1) }),
            ("Adam", { Adam($0, learningRate: 0.1, weightDecay: 0.1) }),
            ("AdamW", { AdamW($0, learningRate: 0.1, weightDecay: 0.1) }),
            ("RMSProp", { RMSProp($0, weightDecay: 0.1) }),
            ("Adagrad", { Adagrad($0, weightDecay: 0.1) }),
            ("Adadelta", { Adadelta($0, weightDecay: 0.1) }),
        ]
        for (name, make) in optimizers {
            let model = imageModel(seed: 2)
            let optimizer = make(model.namedParameters.map(\.parameter))  // every parameter, frozen ones too
            let before = model.namedParameters.map(\.parameter.value.scalars)
            model.layers[0].freeze()
            for _ in 0..<3 {
                optimizer.zeroGradients()
                loss(model).backward()
                optimizer.step()
            }
            for ((parameterName, parameter), initial) in zip(model.namedParameters, before) {
                if parameterName.hasPrefix("0.") {
                    #expect(parameter.value.scalars == initial, "\(name) \(parameterName)")
                } else {
                    #expect(parameter.value.scalars != initial, "\(name) \(parameterName)")
                }
            }
            #expect(!optimizer.state.keys.contains { $0.hasPrefix("0.") || $0.hasPrefix("1.") }, "\(name)")
        }
    }

    @Test func freezingAndUnfreezingIsRecursive() {
        let model = Sequential<Double> { imageModel(seed: 3); Linear(3, 2) }
        let total: Int = 2 * 9 + 2 + 2 + 2 + 8 * 3 + 3 + 3 * 2 + 2
        #expect(model.parameterCount == total && model.trainableParameterCount == total)
        model.layers[0].freeze()
        let head: Int = 3 * 2 + 2
        #expect(model.trainableParameters.count == 2 && model.trainableParameterCount == head)
        #expect(model.parameterCount == total && model.namedParameters.count == 8)
        model.layers[0].unfreeze()
        #expect(model.trainableParameters.count == 8 && model.namedParameters.allSatisfy { $0.parameter.value.requiresGradient })
    }

    /// A frozen parameter stays frozen when a value is assigned (a state load), and freezing drops its gradient.
    @Test func assignedValuesOfAFrozenParameterStayOffTheTape() {
        let parameter = Parameter(Tensor<Double>([1, 2]))
        (parameter.value * 3).sum().backward()
        #expect(parameter.gradient?.scalars == [3, 3])
        parameter.isFrozen = true
        #expect(parameter.gradient == nil)
        var replacement = Tensor<Double>([5, 6])
        replacement.requiresGradient = true
        parameter.value = replacement
        #expect(!parameter.value.requiresGradient && parameter.value.scalars == [5, 6])
        parameter.isFrozen = false
        #expect(parameter.value.requiresGradient && parameter.value.isLeaf)
    }

    /// The summary counts trainable parameters apart from the total.
    @Test func summaryCountsTrainableParameters() {
        let model = Sequential<Double> { Linear(4, 3); ReLU(); Linear(3, 2) }
        model.layers[0].freeze()
        let text = model.summary(inputShape: [1, 4])
        let total: Int = 4 * 3 + 3 + 3 * 2 + 2, trainable: Int = 3 * 2 + 2
        #expect(text.contains("Total parameters: \(total)"), "\(text)")
        #expect(text.contains("Trainable parameters: \(trainable)"), "\(text)")
    }

    /// Checkpoints save and load frozen parameters: they are state.
    @Test func checkpointsKeepFrozenParameters() throws {
        let path = try temporaryDirectory() + "/frozen.safetensors"
        let model = imageModel(seed: 4)
        model.layers[0].freeze()
        try model.saveState(toFile: path)
        let loaded = imageModel(seed: 5)
        loaded.layers[0].freeze()
        try loaded.loadState(fromFile: path)
        #expect(loaded.namedParameters.map(\.parameter.value.scalars) == model.namedParameters.map(\.parameter.value.scalars))
        #expect(loaded.layers[0].namedParameters.allSatisfy { $0.parameter.isFrozen && !$0.parameter.value.requiresGradient })
    }
}
