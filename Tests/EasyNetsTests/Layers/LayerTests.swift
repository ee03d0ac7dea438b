import Testing
@testable import EasyNets

@Suite struct LayerTests {
    @Test func linearMatchesPlainLoopAndStoresWeightOutByIn() {
        var generator = RandomGenerator(seed: 1)
        let layer = Linear<Double>(3, 4, using: &generator)
        #expect(layer.weight.shape == [4, 3])
        #expect(layer.bias?.shape == [4])
        let x = randomTensor([5, 3], seed: 2)
        let y = layer(x)
        var expected = [Double](repeating: 0, count: 20)
        for r in 0..<5 {
            for o in 0..<4 {
                var sum = layer.bias!.value[o]
                for i in 0..<3 { sum += x[r, i] * layer.weight.value[o, i] }
                expected[r * 4 + o] = sum
            }
        }
        expectClose(y, Tensor(expected, shape: [5, 4]), tolerance: 1e-12)
        // One row goes through gemv; it must agree with the batched result.
        expectClose(layer(x.rows(2..<3)), y.rows(2..<3), tolerance: 1e-12)
        // Leading axes are kept.
        #expect(layer(randomTensor([2, 5, 3], seed: 3)).shape == [2, 5, 4])
    }

    @Test func biasRowsAreFilledForEveryBatchSize() {
        let bias: [Double] = [1.5, -2, 3.25]
        for rows in 0...9 {
            var out = [Double](repeating: .nan, count: rows * 3 + 1)
            out.withUnsafeMutableBufferPointer { fillRows($0.baseAddress!, rows: rows, with: bias, count: 3) }
            #expect(Array(out.prefix(rows * 3)) == Array((0..<rows).map { _ in bias }.joined()), "rows \(rows)")
            #expect(out.last!.isNaN, "rows \(rows): wrote past the end")
        }
    }

    @Test func linearDefaultInitializationIsPyTorchsBound() {
        var generator = RandomGenerator(seed: 3)
        let layer = Linear<Float>(100, 50, using: &generator)
        let bound: Float = 1 / 10
        let w = layer.weight.value.scalars, b = layer.bias!.value.scalars
        #expect(w.allSatisfy { abs($0) <= bound } && b.allSatisfy { abs($0) <= bound })
        // Uniform on ±1/√in has variance bound²/3; 5000 draws pin it within a few percent.
        let variance = w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)
        #expect(abs(variance - Double(bound * bound) / 3) < 0.1 * Double(bound * bound) / 3)
    }

    @Test func linearGradients() {
        let x = randomTensor([4, 3], seed: 1), w = randomTensor([5, 3], seed: 2), b = randomTensor([5], seed: 3)
        expectGradientsMatch([x, w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) }
        expectGradientsMatch([x.rows(0..<1), w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) }
        expectGradientsMatch([x, w]) { linear($0[0], weight: $0[1]) }
        expectGradientsMatch([randomTensor([2, 3, 3], seed: 4), w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) }
        // Fan-out: the same input through the layer twice.
        expectGradientsMatch([x, w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) * linear($0[0], weight: $0[1], bias: $0[2]) }
    }

    /// Two layers reading the shared generator before either wrote it back would get the same
    /// weights. (A regression to a read-then-write shows up here in about one run of five.)
    @Test func layersBuiltConcurrentlyFromTheSharedGeneratorGetTheirOwnDraws() async {
        let tables = await withTaskGroup(of: [Float].self) { group in
            for i in 0..<64 {
                group.addTask { i % 2 == 0 ? Linear<Float>(32, 32).weight.value.scalars : Embedding<Float>(32, 32).weight.value.scalars }
            }
            return await group.reduce(into: [[Float]]()) { $0.append($1) }
        }
        #expect(Set(tables).count == 64)
    }

    @Test func sequentialNamesFollowPyTorch() {
        var generator = RandomGenerator(seed: 0)
        let model = Sequential<Float> {
            Linear(4, 8, using: &generator)
            ReLU()
            Dropout(probability: 0.1)
            BatchNorm1d(8)
            Residual { Linear(8, 8, bias: false, using: &generator) }
            Linear(8, 2, using: &generator)
        }
        #expect(model.namedParameters.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "4.block.0.weight", "5.weight", "5.bias"])
        #expect(model.namedBuffers.map(\.name) == ["3.running_mean", "3.running_var", "3.num_batches_tracked"])
        #expect(model.parameterCount == 4 * 8 + 8 + 8 + 8 + 64 + 16 + 2)
        #expect(model(Tensor.zeros([3, 4])).shape == [3, 2])
    }

    @Test func trainAndEvalReachEverySublayer() {
        let dropout = Dropout<Double>(probability: 0.5)
        let model = Sequential<Double> { Residual { dropout } ; Identity() }
        model.eval()
        #expect(!dropout.isTraining)
        let x = randomTensor([4, 6], seed: 1)
        expectClose(model(x), x * 2, tolerance: 0)
        model.train()
        #expect(dropout.isTraining)
    }

    @Test func dropoutIsInvertedSeededAndOffInEvaluation() {
        let x = Tensor<Double>.ones([200, 50])
        let a = Dropout<Double>(probability: 0.3, seed: 9), b = Dropout<Double>(probability: 0.3, seed: 9)
        let ya = a(x), yb = b(x)
        #expect(ya.scalars == yb.scalars)
        // Survivors are scaled by 1/(1 − p); about 30% are dropped.
        #expect(ya.scalars.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-12 })
        let dropped = Double(ya.scalars.filter { $0 == 0 }.count) / Double(x.count)
        #expect(abs(dropped - 0.3) < 0.02)
        #expect(a(x).scalars != ya.scalars)  // a new mask each call
        a.eval()
        #expect(a(x).scalars == x.scalars)
    }

    @Test func dropoutGradientUsesTheMask() {
        expectGradientsMatch([randomTensor([6, 5], seed: 1)]) { inputs in
            Dropout<Double>(probability: 0.4, seed: 3)(inputs[0])
        }
    }

    /// The dropout op equals the input times the mask drawn from the same generator, forward and
    /// backward (so NaN and infinities where dropped give NaN, as x·0 does), in Float and Double.
    @Test func dropoutEqualsTheInputTimesItsMask() {
        func check<T: TensorScalar>(_: T.Type) {
            var source = RandomGenerator(seed: 4)
            var x = Tensor<T>.normal([37, 29], using: &source)
            x[0, 0] = .nan
            x[0, 1] = .infinity
            x[0, 2] = -.infinity
            let dY = Tensor<T>.normal([37, 29], using: &source)
            var generator = RandomGenerator(seed: 11), maskGenerator = generator
            var input = x
            input.requiresGradient = true
            let y = dropout(input, probability: 0.35, using: &generator)
            y.backward(seed: dY)
            let mask: Tensor<T> = dropoutMask(x.shape, probability: 0.35, using: &maskGenerator)
            #expect(generator == maskGenerator)
            let expected = (x * mask).scalars, actual = y.scalars
            #expect(zip(actual, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(T.self) forward")
            #expect(input.gradient?.scalars == (dY * mask).scalars, "\(T.self) backward")
        }
        check(Float.self)
        check(Double.self)
        // With a residual added in the same pass: r + x·mask, the gradient dY·mask to x and dY to r.
        var source = RandomGenerator(seed: 8)
        var (x, r) = (Tensor<Double>.normal([9, 13], using: &source), Tensor<Double>.normal([9, 13], using: &source))
        x.requiresGradient = true
        r.requiresGradient = true
        let dY = Tensor<Double>.normal([9, 13], using: &source)
        var generator = RandomGenerator(seed: 12), maskGenerator = generator
        dropout(x, probability: 0.4, adding: r, using: &generator).backward(seed: dY)
        let mask: Tensor<Double> = dropoutMask(x.shape, probability: 0.4, using: &maskGenerator)
        var again = RandomGenerator(seed: 12)
        #expect(withoutGradients { dropout(x, probability: 0.4, adding: r, using: &again) }.scalars == (r.detached + x.detached * mask).scalars)
        #expect(x.gradient?.scalars == (dY * mask).scalars && r.gradient?.scalars == dY.scalars)
        expectGradientsMatch([x.detached, r.detached]) { inputs in
            var fixed = RandomGenerator(seed: 3)
            return dropout(inputs[0], probability: 0.3, adding: inputs[1], using: &fixed)
        }
        // An empty input passes through, its (empty) gradient too.
        var empty = Tensor<Double>.zeros([0, 3])
        empty.requiresGradient = true
        var emptyGenerator = RandomGenerator(seed: 1)
        let dropped = dropout(empty, probability: 0.5, using: &emptyGenerator)
        dropped.sum().backward()
        #expect(dropped.shape == [0, 3] && empty.gradient?.shape == [0, 3])
    }

    @Test func layerNormMatchesDefinitionAndGradients() {
        let layer = LayerNorm<Double>([4])
        let x = randomTensor([3, 4], seed: 5) * 3
        let y = layer(x)
        for r in 0..<3 {
            let row = (0..<4).map { x[r, $0] }
            let mean = row.reduce(0, +) / 4
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            for i in 0..<4 { expectClose(y[r, i], (row[i] - mean) / (variance + 1e-5).squareRoot(), tolerance: 1e-12) }
        }
        expectGradientsMatch([x, randomTensor([4], seed: 6), randomTensor([4], seed: 7)]) { inputs in
            let norm = LayerNorm<Double>([4])
            norm.weight!.value = inputs[1]
            norm.bias!.value = inputs[2]
            return norm(inputs[0])
        }
        expectGradientsMatch([randomTensor([2, 3, 4], seed: 8)]) { LayerNorm<Double>([3, 4], elementwiseAffine: false)($0[0]) }
    }

    @Test func batchNormTrainingAndRunningStatistics() {
        let layer = BatchNorm1d<Double>(3, momentum: 0.1)
        let x = randomTensor([6, 3], seed: 11) * 2 + 1
        let y = layer(x)
        for c in 0..<3 {
            let column = (0..<6).map { x[$0, c] }
            let mean = column.reduce(0, +) / 6
            let biased = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            for r in 0..<6 { expectClose(y[r, c], (column[r] - mean) / (biased + 1e-5).squareRoot(), tolerance: 1e-12) }
            expectClose(layer.runningMean!.value[c], 0.9 * 0 + 0.1 * mean, tolerance: 1e-12)
            expectClose(layer.runningVariance!.value[c], 0.9 * 1 + 0.1 * biased * 6 / 5, tolerance: 1e-12)
        }
        #expect(layer.batchesTracked!.value.scalar == 1)
        layer.eval()
        let z = layer(x)
        for c in 0..<3 {
            let (m, v) = (layer.runningMean!.value[c], layer.runningVariance!.value[c])
            for r in 0..<6 { expectClose(z[r, c], (x[r, c] - m) / (v + 1e-5).squareRoot(), tolerance: 1e-12) }
        }
        #expect(layer.batchesTracked!.value.scalar == 1)  // evaluation leaves statistics alone
    }

    @Test func batchNormGradients() {
        expectGradientsMatch([randomTensor([5, 3], seed: 1), randomTensor([3], seed: 2), randomTensor([3], seed: 3)]) { inputs in
            let norm = BatchNorm1d<Double>(3)
            norm.weight!.value = inputs[1]
            norm.bias!.value = inputs[2]
            return norm(inputs[0])
        }
        expectGradientsMatch([randomTensor([4, 2, 3], seed: 4)]) { BatchNorm1d<Double>(2)($0[0]) }
        expectGradientsMatch([randomTensor([4, 2], seed: 5)]) { inputs in
            let norm = BatchNorm1d<Double>(2)
            norm.eval()
            return norm(inputs[0])
        }
    }

    @Test func embeddingLooksUpRowsAndAccumulatesRepeats() {
        var generator = RandomGenerator(seed: 4)
        let embedding = Embedding<Double>(5, 3, using: &generator)
        let indices = Tensor<Double>([[1, 4], [1, 0]])
        let y = embedding(indices)
        #expect(y.shape == [2, 2, 3])
        for (k, index) in [1, 4, 1, 0].enumerated() {
            for d in 0..<3 { #expect(y.scalars[k * 3 + d] == embedding.weight.value[index, d]) }
        }
        expectGradientsMatch([embedding.weight.value]) { inputs in
            embedding.weight.value = inputs[0]
            return embedding(indices)
        }
    }

    @Test func flattenIdentityResidual() {
        let x = randomTensor([2, 3, 4], seed: 1)
        #expect(Flatten<Double>()(x).shape == [2, 12])
        #expect(Flatten<Double>(startAxis: 0)(x).shape == [24])
        #expect(Identity<Double>()(x).scalars == x.scalars)
        expectGradientsMatch([randomTensor([3, 4], seed: 2), randomTensor([4, 4], seed: 3)]) { inputs in
            var generator = RandomGenerator(seed: 0)
            let inner = Linear<Double>(4, 4, bias: false, using: &generator)
            inner.weight.value = inputs[1]
            return Residual<Double>(inner)(inputs[0])
        }
    }

    @Test func summaryListsLayersShapesAndCounts() {
        var generator = RandomGenerator(seed: 0)
        let model = Sequential<Float> {
            Linear(784, 256, using: &generator)
            ReLU()
            Linear(256, 10, using: &generator)
        }
        let text = model.summary(inputShape: [1, 784])
        #expect(text.contains("0: Linear(784 → 256)"))
        #expect(text.contains("[1, 256]"))
        #expect(text.contains("200960"))
        #expect(text.contains("1: ReLU"))
        #expect(text.contains("[1, 10]"))
        #expect(text.contains("Total parameters: 203530"))
    }

    @Test func summaryOfAContainerThatIsNotSequential() {
        /// Two branches applied to the same input and added: its sublayers do not chain.
        final class TwoBranches: Layer {
            let left: Linear<Double>, right: Linear<Double>
            var isTraining = true
            init() {
                var generator = RandomGenerator(seed: 1)
                (left, right) = (Linear(4, 3, using: &generator), Linear(4, 3, using: &generator))
            }
            var sublayers: [(name: String, layer: any Layer<Double>)] { [("left", left), ("right", right)] }
            func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> { left(x) + right(x) }
        }
        let text = TwoBranches().summary(inputShape: [2, 4])
        #expect(text.contains("TwoBranches  [2, 3]"), "\(text)")
        #expect(text.contains("Total parameters: \(2 * (4 * 3 + 3))"), "\(text)")
        let nested = Sequential<Double> { TwoBranches(); ReLU() }.summary(inputShape: [2, 4])
        #expect(nested.contains("0: TwoBranches  [2, 3]"), "\(nested)")
        #expect(nested.contains("1: ReLU"), "\(nested)")
    }
}

