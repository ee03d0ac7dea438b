import Foundation
import Testing
@testable import EasyNets

@Suite struct InstanceNormTests {
    private func makeLayer(_ c: NormPoolFixture.NormCase) -> any Layer<Double> {
        let momentum = try! #require(c.momentum)
        return c.dims == 1
            ? InstanceNorm1d<Double>(c.features, epsilon: c.epsilon, momentum: momentum, affine: c.affine,
                                     trackRunningStats: c.track_running_stats)
            : InstanceNorm2d<Double>(c.features, epsilon: c.epsilon, momentum: momentum, affine: c.affine,
                                     trackRunningStats: c.track_running_stats)
    }

    /// Outputs, input and parameter gradients in training and evaluation (batched and unbatched
    /// inputs), and the running statistics after the training steps match PyTorch's
    /// nn.InstanceNorm1d/2d in Double.
    @Test func matchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        #expect(fixture.instance_norm.count == 6)
        for c in fixture.instance_norm {
            let layer = makeLayer(c)
            let label = "InstanceNorm\(c.dims)d affine \(c.affine) track \(c.track_running_stats)"
            assignParameters(c.parameters, to: layer)
            for (name, value) in c.initial_buffers ?? [:] {
                try #require(layer.namedBuffers.first { $0.name == name }).parameter.value = value.tensor
            }
            layer.train()
            try expectSteps(c.train_steps, through: layer, label + " training")
            layer.eval()
            try expectSteps(c.eval_steps, through: layer, label + " evaluation")
            // running_mean, running_var and num_batches_tracked (0: instance norm does not count), or none.
            #expect(Set(layer.namedBuffers.map(\.name)) == Set(c.buffers.keys), "\(label)")
            for (name, buffer) in layer.namedBuffers {
                expectClose(buffer.value, try #require(c.buffers[name]).tensor, tolerance: 1e-10, "\(label): \(name)")
            }
            #expect(layer.parameterCount == (c.affine ? 2 * c.features : 0))
        }
    }

    /// The Float kernels agree with the Double reference to Float precision.
    @Test func floatMatchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        for c in fixture.instance_norm where c.dims == 2 {
            let layer = InstanceNorm2d<Float>(c.features, epsilon: c.epsilon, momentum: c.momentum!, affine: c.affine,
                                              trackRunningStats: c.track_running_stats)
            if let weight = c.parameters["weight"], let bias = c.parameters["bias"] {
                layer.weight!.value = Tensor(weight.values.map { Float($0) }, shape: weight.shape)
                layer.bias!.value = Tensor(bias.values.map { Float($0) }, shape: bias.shape)
            }
            if let initial = c.initial_buffers {
                layer.runningMean!.value = Tensor(initial["running_mean"]!.values.map { Float($0) }, shape: [c.features])
                layer.runningVariance!.value = Tensor(initial["running_var"]!.values.map { Float($0) }, shape: [c.features])
            }
            for step in c.train_steps {
                let y = layer(Tensor(step.input.values.map { Float($0) }, shape: step.input.shape))
                expectClose(asDouble(y), step.output.tensor, tolerance: 1e-5, "InstanceNorm2d Float")
            }
            if c.track_running_stats {
                expectClose(asDouble(layer.runningMean!.value), c.buffers["running_mean"]!.tensor, tolerance: 1e-6)
                expectClose(asDouble(layer.runningVariance!.value), c.buffers["running_var"]!.tensor, tolerance: 1e-6)
            }
        }
    }

    /// Autodiff agrees with central differences: instance statistics (training) and running ones (evaluation).
    @Test func gradientsMatchFiniteDifferences() {
        let x = randomTensor([2, 3, 4, 3], in: -2...2, seed: 31)
        expectLayerGradientsMatch(x) {
            let layer = InstanceNorm2d<Double>(3, affine: true)
            return layer
        }
        expectLayerGradientsMatch(randomTensor([3, 5], in: -2...2, seed: 32)) { InstanceNorm1d<Double>(3, affine: true) }
        expectLayerGradientsMatch(randomTensor([2, 3, 5], in: -2...2, seed: 33)) {
            let layer = InstanceNorm1d<Double>(3, affine: true, trackRunningStats: true)
            layer.runningMean!.value = randomTensor([3], seed: 34)
            layer.runningVariance!.value = randomTensor([3], in: 0.5...1.5, seed: 35)
            layer.eval()
            return layer
        }
    }

    /// Each example is normalized alone: the same output alone or in a batch, and (without running
    /// statistics) in training and evaluation alike.
    @Test func examplesAreIndependent() {
        let layer = InstanceNorm2d<Double>(3, affine: true)
        let batch = randomTensor([3, 3, 2, 4], seed: 36)
        let together = layer(batch)
        layer.eval()
        for n in 0..<3 {
            let alone = layer(batch.sliced(along: 0, n..<(n + 1)).reshaped(to: [3, 2, 4]))
            expectClose(alone, together.sliced(along: 0, n..<(n + 1)).reshaped(to: [3, 2, 4]), tolerance: 1e-14)
        }
    }

    /// A state dict holds PyTorch's names, num_batches_tracked as an integer, and loads back.
    @Test func stateUsesPyTorchNames() throws {
        let layer = InstanceNorm1d<Double>(4, affine: true, trackRunningStats: true)
        #expect(layer.stateEntries.map(\.name) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        #expect(layer.batchesTracked!.isInteger)
        #expect(InstanceNorm2d<Double>(4).stateEntries.isEmpty)
        #expect(layer.summary(inputShape: [2, 4, 5]).contains("InstanceNorm1d(4)"))
    }
}

@Suite struct BatchNormOptionTests {
    /// Without running statistics (batch statistics in evaluation too, no buffers) and with a
    /// cumulative average (momentum nil), outputs, gradients and buffers match PyTorch's.
    @Test func matchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        #expect(fixture.batch_norm.count == 4)
        for c in fixture.batch_norm {
            let layer: any Layer<Double> = c.dims == 1
                ? BatchNorm1d<Double>(c.features, epsilon: c.epsilon, momentum: c.momentum, affine: c.affine,
                                      trackRunningStats: c.track_running_stats)
                : BatchNorm2d<Double>(c.features, epsilon: c.epsilon, momentum: c.momentum, affine: c.affine,
                                      trackRunningStats: c.track_running_stats)
            let label = "BatchNorm\(c.dims)d momentum \(String(describing: c.momentum)) track \(c.track_running_stats)"
            assignParameters(c.parameters, to: layer)
            layer.train()
            try expectSteps(c.train_steps, through: layer, label + " training")
            layer.eval()
            try expectSteps(c.eval_steps, through: layer, label + " evaluation")
            #expect(Set(layer.namedBuffers.map(\.name)) == Set(c.buffers.keys), "\(label)")
            for (name, buffer) in layer.namedBuffers {
                expectClose(buffer.value, try #require(c.buffers[name]).tensor, tolerance: 1e-10, "\(label): \(name)")
            }
        }
    }

    /// Without running statistics evaluation differentiates through the batch statistics.
    @Test func untrackedEvaluationGradientsMatchFiniteDifferences() {
        expectLayerGradientsMatch(randomTensor([4, 3, 2], in: -2...2, seed: 37)) {
            let layer = BatchNorm1d<Double>(3, trackRunningStats: false)
            layer.eval()
            return layer
        }
    }

    /// The description writes `trackRunningStats` only when false and `momentum` as null when it is a
    /// cumulative average; files without the keys read as PyTorch's defaults.
    @Test func descriptionDefaults() throws {
        let old = #"{"batchNorm2d":{"affine":true,"epsilon":1e-05,"featureCount":3,"momentum":0.1}}"#
        let read = try ModelDescription(json: Array(old.utf8), source: "old.json")
        #expect(read == .batchNorm2d(featureCount: 3))
        #expect(try read.jsonString() == old)
        let noMomentum = #"{"batchNorm1d":{"affine":false,"epsilon":1e-05,"featureCount":2}}"#
        #expect(try ModelDescription(json: Array(noMomentum.utf8), source: "m.json") == .batchNorm1d(featureCount: 2, affine: false))
        let cumulative = ModelDescription.batchNorm1d(featureCount: 2, momentum: nil, trackRunningStats: false)
        let json = try cumulative.jsonString()
        #expect(json.contains(#""momentum":null"#) && json.contains(#""trackRunningStats":false"#), "\(json)")
        #expect(try ModelDescription(json: Array(json.utf8), source: "m.json") == cumulative)
        #expect(cumulative.stateCount == 4)
    }
}

@Suite struct RMSNormTests {
    /// Outputs and gradients match PyTorch's nn.RMSNorm, ε given or the machine epsilon.
    @Test func matchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        #expect(fixture.rms_norm.count == 4)
        for c in fixture.rms_norm {
            let layer = RMSNorm<Double>(c.normalized_shape, epsilon: c.epsilon, elementwiseAffine: c.affine)
            assignParameters(c.parameters, to: layer)
            try expectSteps(c.train_steps, through: layer, "RMSNorm \(c.normalized_shape)")
            layer.eval()
            try expectSteps(c.eval_steps, through: layer, "RMSNorm \(c.normalized_shape) evaluation")
        }
    }

    /// The default ε is the scalar type's machine epsilon, as torch.finfo(dtype).eps.
    @Test func defaultEpsilonIsMachineEpsilon() {
        #expect(RMSNorm<Float>([3]).effectiveEpsilon == Double(Float.ulpOfOne))
        #expect(RMSNorm<Double>([3]).effectiveEpsilon == Double.ulpOfOne)
        #expect(RMSNorm<Double>([3], epsilon: 1e-3).effectiveEpsilon == 1e-3)
        // A zero row stays zero rather than dividing by zero: 0 / √ε.
        let y = RMSNorm<Float>([3])(Tensor.zeros([2, 3]))
        #expect(y.scalars == [0, 0, 0, 0, 0, 0])
    }

    @Test func gradientsMatchFiniteDifferences() {
        expectLayerGradientsMatch(randomTensor([3, 2, 4], in: -2...2, seed: 38)) {
            let layer = RMSNorm<Double>([2, 4], epsilon: 1e-6)
            layer.weight!.value = randomTensor([2, 4], in: 0.5...1.5, seed: 39)
            return layer
        }
    }

    @Test func floatMatchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        for c in fixture.rms_norm {
            let layer = RMSNorm<Float>(c.normalized_shape, epsilon: c.epsilon, elementwiseAffine: c.affine)
            if let weight = c.parameters["weight"] { layer.weight!.value = Tensor(weight.values.map { Float($0) }, shape: weight.shape) }
            for step in c.train_steps {
                let y = layer(Tensor(step.input.values.map { Float($0) }, shape: step.input.shape))
                expectClose(asDouble(y), step.output.tensor, tolerance: 1e-5, "RMSNorm Float")
            }
        }
    }
}

@Suite struct NormalizationStateDictTests {
    /// A state dict PyTorch saved for the same Sequential (instance norm with running statistics,
    /// batch norm without them, RMS norm, adaptive max pooling, batch norm with a cumulative
    /// average) loads strictly by name, and the model then computes PyTorch's evaluation output.
    @Test func loadsPyTorchStateDict() throws {
        let fixture = try NormPoolFixture.load().state
        let model = Sequential<Double> {
            InstanceNorm2d(3, affine: true, trackRunningStats: true)
            BatchNorm2d(3, trackRunningStats: false)
            RMSNorm([5])
            AdaptiveMaxPool2d(outputSize: [2, 3])
            BatchNorm2d(3, momentum: nil)
        }
        #expect(model.stateEntries.map(\.name).sorted() == fixture.keys)
        let mismatch = try model.loadState(fromFile: fixturePath("norm_pool_state.safetensors"))
        #expect(mismatch.isEmpty)
        #expect(model.namedBuffers.first { $0.name == "4.num_batches_tracked" }?.parameter.value.scalar == 2)
        model.eval()
        expectClose(model(fixture.input.tensor), fixture.output.tensor, tolerance: 1e-10)
        // Saved again, the integer buffers stay integers.
        let entries = model.stateEntries()
        #expect(entries["0.num_batches_tracked"]?.dtype == .int64 && entries["0.running_mean"]?.dtype == .float64)
    }
}
