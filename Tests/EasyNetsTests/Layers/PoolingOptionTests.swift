import Testing
@testable import EasyNets

@Suite struct PoolingOptionTests {
    private func makeLayer<Scalar: TensorScalar>(_ c: NormPoolFixture.PoolCase, as: Scalar.Type) -> any Layer<Scalar> {
        let o = c.options
        let kernel = o.kernel_size?.values ?? [], stride = o.stride?.values ?? [], padding = o.padding?.values ?? []
        switch c.kind {
        case "maxPool1d":
            return MaxPool1d(kernel[0], stride: stride[0], padding: padding[0], dilation: o.dilation!.values[0], ceilMode: o.ceil_mode!)
        case "avgPool1d":
            return AvgPool1d(kernel[0], stride: stride[0], padding: padding[0], ceilMode: o.ceil_mode!, countIncludePad: o.count_include_pad!)
        case "adaptiveAvgPool1d": return AdaptiveAvgPool1d(outputSize: o.output_size!.values[0])
        case "adaptiveMaxPool2d": return AdaptiveMaxPool2d(outputSize: o.output_size!.values)
        case "maxPool2d":
            return MaxPool2d(kernelSize: kernel, stride: stride, padding: padding, dilation: o.dilation!.values, ceilMode: o.ceil_mode!)
        case "avgPool2d":
            return AvgPool2d(kernelSize: kernel, stride: stride, padding: padding, ceilMode: o.ceil_mode!,
                             countIncludePad: o.count_include_pad!)
        case "adaptiveAvgPool2d": return AdaptiveAvgPool2d(outputSize: o.output_size!.values)
        default: fatalError("unknown pooling \(c.kind) in the fixture")
        }
    }

    /// Outputs and input gradients match PyTorch's pooling modules in Double, batched and unbatched
    /// (the 2-D poolings' unbatched (C, H, W) inputs included).
    @Test func matchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        #expect(fixture.pools.count == 14)
        for c in fixture.pools {
            try expectSteps(c.steps, through: makeLayer(c, as: Double.self), "\(c.kind) \(c.steps.map(\.input.shape))")
        }
    }

    /// The Float loops agree with the Double reference to Float precision.
    @Test func floatMatchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        for c in fixture.pools {
            let layer = makeLayer(c, as: Float.self)
            for step in c.steps {
                var x = Tensor<Float>(step.input.values.map { Float($0) }, shape: step.input.shape)
                x.requiresGradient = true
                let y = layer(x)
                expectClose(asDouble(y), step.output.tensor, tolerance: 1e-6, "\(c.kind) Float")
                (y * Tensor(step.upstream.values.map { Float($0) }, shape: step.upstream.shape)).sum().backward()
                expectClose(asDouble(try #require(x.gradient)), step.input_gradient!.tensor, tolerance: 1e-6, "\(c.kind) Float dX")
            }
        }
    }

    /// Autodiff agrees with central differences (distinct values, so no max ties).
    @Test func gradientsMatchFiniteDifferences() {
        let sequence = randomTensor([2, 3, 9], in: -2...2, seed: 40), image = randomTensor([2, 2, 5, 7], in: -2...2, seed: 41)
        expectLayerGradientsMatch(sequence) { MaxPool1d<Double>(3, stride: 2, padding: 1, dilation: 1, ceilMode: true) }
        expectLayerGradientsMatch(sequence) { AvgPool1d<Double>(4, stride: 2, padding: 2, ceilMode: true, countIncludePad: false) }
        expectLayerGradientsMatch(sequence) { AdaptiveAvgPool1d<Double>(outputSize: 4) }
        expectLayerGradientsMatch(image) { AdaptiveMaxPool2d<Double>(outputSize: [3, 4]) }
        expectLayerGradientsMatch(randomTensor([3, 8], in: -2...2, seed: 42)) { MaxPool1d<Double>(2) }
    }

    /// A NaN in a window is its maximum, as PyTorch's adaptive max pooling gives; among equal values
    /// the first wins and takes the gradient.
    @Test func adaptiveMaxPoolNaNAndTies() throws {
        let x = Tensor<Double>([1, .nan, 3, 3, 2, 2], shape: [1, 1, 1, 6]).detached
        var leaf = x
        leaf.requiresGradient = true
        let y = adaptiveMaxPool2d(leaf, outputSize: [1, 3])
        #expect(y[0, 0, 0, 0].isNaN && y[0, 0, 0, 1] == 3 && y[0, 0, 0, 2] == 2)
        y.sum().backward()
        #expect(try #require(leaf.gradient).scalars == [0, 1, 1, 0, 1, 0])
    }

    /// A 1-D pooling equals the 2-D pooling of the same rows with a 1-row window.
    @Test func oneDimensionalIsTwoDimensionalWithHeightOne() {
        let x = randomTensor([2, 3, 11], seed: 43)
        let as2d = x.reshaped(to: [2, 3, 1, 11])
        expectClose(maxPool1d(x, kernelSize: 3, stride: 2, padding: 1, dilation: 2),
                    maxPool2d(as2d, kernelSize: [1, 3], stride: [1, 2], padding: [0, 1], dilation: [1, 2]).reshaped(to: [2, 3, 5]),
                    tolerance: 0)
        expectClose(avgPool1d(x, kernelSize: 4, stride: 3, padding: 2, ceilMode: true),
                    avgPool2d(as2d, kernelSize: [1, 4], stride: [1, 3], padding: [0, 2], ceilMode: true).reshaped(to: [2, 3, 5]),
                    tolerance: 0)
    }

    @Test func summariesAndShapes() throws {
        let model = Sequential<Double> { MaxPool1d(2); AvgPool1d(3, stride: 1); AdaptiveAvgPool1d(outputSize: 2) }
        let summary = model.summary(inputShape: [1, 4, 12])
        #expect(summary.contains("MaxPool1d(2, stride 2)") && summary.contains("AdaptiveAvgPool1d(2)"), "\(summary)")
        #expect(try model.describe().outputShape(for: [5, 4, 12]) == [5, 4, 2])
        #expect(try ModelDescription.adaptiveMaxPool2d(outputSize: [3, 1]).outputShape(for: [2, 3, 7, 7]) == [2, 3, 3, 1])
    }
}

@Suite struct EmbeddingOptionTests {
    /// Outputs, weight gradients (none for the padding row) and the table as max_norm's in-place
    /// renormalization leaves it match PyTorch's nn.Embedding.
    @Test func matchesPyTorch() throws {
        let fixture = try NormPoolFixture.load()
        #expect(fixture.embedding.count == 5)
        for c in fixture.embedding {
            var generator = RandomGenerator(seed: 5)
            let layer = Embedding<Double>(c.count, c.dimension, paddingIndex: c.padding_index, maxNorm: c.max_norm, normType: c.norm_type,
                                          using: &generator)
            layer.weight.value = try #require(c.parameters["weight"]).tensor
            let label = "Embedding padding \(String(describing: c.padding_index)) maxNorm \(String(describing: c.max_norm)) p \(c.norm_type)"
            for (number, step) in c.train_steps.enumerated() {
                layer.zeroGradients()
                let y = layer(IndexTensor(step.input.values.map { Int($0) }, shape: step.input.shape))
                expectClose(y, step.output.tensor, tolerance: 1e-10, "\(label), step \(number)")
                (y * step.upstream.tensor).sum().backward()
                expectClose(try #require(layer.weight.gradient), try #require(step.gradients["weight"]).tensor, tolerance: 1e-10,
                            "\(label), step \(number): dW")
            }
            expectClose(layer.weight.value, c.weight_after.tensor, tolerance: 1e-10, "\(label): table after")
        }
    }

    /// The padding row starts as zeros (a negative index counts from the end); other rows are drawn.
    @Test func paddingRowStartsAtZero() {
        var generator = RandomGenerator(seed: 1)
        let layer = Embedding<Float>(6, 3, paddingIndex: -2, using: &generator)
        #expect(layer.paddingIndex == 4)
        #expect(layer.weight.value.sliced(along: 0, 4..<5).scalars == [0, 0, 0])
        #expect(layer.weight.value.sliced(along: 0, 0..<1).scalars.allSatisfy { $0 != 0 })
        #expect(layer.layerDescription == .embedding(count: 6, dimension: 3, paddingIndex: 4))
    }

    /// New keys appear only when set, so older files read and re-encode unchanged.
    @Test func descriptionDefaults() throws {
        let old = #"{"embedding":{"count":5,"dimension":3}}"#
        let read = try ModelDescription(json: Array(old.utf8), source: "old.json")
        #expect(read == .embedding(count: 5, dimension: 3))
        #expect(try read.jsonString() == old)
        for description in [ModelDescription.embedding(count: 5, dimension: 3, maxNorm: 1, normType: .infinity),
                            .embedding(count: 5, dimension: 3, paddingIndex: -1, maxNorm: 2, normType: 1)] {
            let json = try description.jsonString()
            #expect(try ModelDescription(json: Array(json.utf8), source: "e.json") == description, "\(json)")
        }
    }
}
