import Testing
@testable import EasyNets

/// A batch-1 `Linear` backward keeps its weight gradient as the two factors of an outer product;
/// these tests pin down that this is invisible: the gradient reads as the dense product, it
/// accumulates and clears as usual, and every optimizer's update from it is bit-identical to the
/// update from the written-out gradient.
@Suite struct OuterProductGradientTests {
    @Test func batchOneWeightGradientIsTheOuterProduct() {
        var generator = RandomGenerator(seed: 7)
        let layer = Linear<Double>(5, 3, using: &generator)
        let x = Tensor<Double>.normal([1, 5], using: &generator)
        let c = Tensor<Double>.normal([1, 3], using: &generator)
        (layer(x) * c).sum().backward()

        // The fast path is taken: the weight holds factors, not a buffer, until it is read.
        #expect(layer.weight.value.node?.outerProductGradient != nil)
        #expect(layer.weight.value.node?.gradient == nil)
        // ∂/∂W of Σ c·(x·Wᵀ + b) is cᵀ·x, ∂/∂b is c: by hand, one product per element.
        let xs = x.scalars, cs = c.scalars
        let expected = (0..<3).flatMap { i in (0..<5).map { j in cs[i] * xs[j] } }
        #expect(layer.weight.gradient!.scalars == expected)
        #expect(layer.weight.gradient!.shape == [3, 5])
        #expect(layer.bias!.gradient!.scalars == cs)
        // Reading changes nothing: the factors stay.
        #expect(layer.weight.value.node?.outerProductGradient != nil && layer.weight.value.node?.gradient == nil)

        // A second backward accumulates (2·c·x is exact in binary floating point).
        (layer(x) * c).sum().backward()
        #expect(layer.weight.gradient!.scalars == expected.map { 2 * $0 })
        #expect(layer.bias!.gradient!.scalars == cs.map { 2 * $0 })

        // Two backward passes before any read: the second adds densely onto the first's factors.
        layer.weight.zeroGradient()
        layer.bias!.zeroGradient()
        #expect(layer.weight.gradient == nil)
        (layer(x) * c).sum().backward()
        (layer(x) * c).sum().backward()
        #expect(layer.weight.gradient!.scalars == expected.map { 2 * $0 })

        // Cleared while still factored, it is gone; a batch of 2 then writes a dense gradient.
        layer.weight.zeroGradient()
        #expect(layer.weight.value.node?.outerProductGradient == nil && layer.weight.gradient == nil)
        let x2 = Tensor<Double>.normal([2, 5], using: &generator)
        (layer(x2) * Tensor<Double>([[1, 0, 0], [0, 0, 0]])).sum().backward()
        #expect(layer.weight.gradient!.scalars == [x2.scalars[0..<5].map { $0 }, [Double](repeating: 0, count: 10)].flatMap { $0 })
    }

    @Test func inputGradientOfABatchOneLayerIsWTransposeTimesTheOutputGradient() {
        var generator = RandomGenerator(seed: 8)
        let layer = Linear<Double>(4, 3, using: &generator)
        var x = Tensor<Double>.normal([1, 4], using: &generator)
        x.requiresGradient = true
        let c = Tensor<Double>.normal([1, 3], using: &generator)
        (layer(x) * c).sum().backward()
        let w = layer.weight.value.scalars, cs = c.scalars
        let expected = (0..<4).map { j in (0..<3).reduce(0.0) { $0 + w[$1 * 4 + j] * cs[$1] } }
        expectClose(x.gradient!.scalars, expected, tolerance: 1e-15)
    }

    /// Trains two identical models on the same batch-1 stream; `dense` has every gradient written
    /// out before the step, the other lets the optimizer take the factors (SGD's fused update) or
    /// write them out itself (every other optimizer).
    func trajectoriesAgree<Scalar: TensorScalar>(
        _ name: String, as _: Scalar.Type, _ makeOptimizer: ([Parameter<Scalar>]) -> any Optimizer<Scalar>
    ) {
        func model() -> Sequential<Scalar> {
            var generator = RandomGenerator(seed: 11)
            // 300 × 40 = 12 000 weights: a ragged tail after any vector width.
            return Sequential { Linear<Scalar>(300, 40, using: &generator); ReLU<Scalar>(); Linear<Scalar>(40, 7, using: &generator) }
        }
        let (factored, dense) = (model(), model())
        let (optimizerF, optimizerD) = (makeOptimizer(factored.trainableParameters), makeOptimizer(dense.trainableParameters))
        var generator = RandomGenerator(seed: 12)
        for step in 0..<4 {
            let x = Tensor<Scalar>.normal([1, 300], using: &generator)
            let label = Int(generator.next() % 7)
            for (model, optimizer, readFirst) in [(factored, optimizerF, false), (dense, optimizerD, true)] {
                optimizer.zeroGradients()
                crossEntropy(logits: model(x), labels: [label]).backward()
                if readFirst {
                    for parameter in model.trainableParameters { parameter.value.node?.materializeGradient() }
                    #expect(model.trainableParameters[0].value.node?.outerProductGradient == nil)
                } else {
                    #expect(model.trainableParameters[0].value.node?.outerProductGradient != nil)
                }
                optimizer.step()
            }
            for (f, d) in zip(factored.trainableParameters, dense.trainableParameters) {
                let differing = zip(f.value.scalars, d.value.scalars).filter { $0 != $1 }.count
                #expect(differing == 0, "\(name), \(Scalar.self), step \(step + 1): \(differing) of \(f.value.count) values differ")
            }
        }
    }

    @Test func everyOptimizerUpdatesBitIdenticallyFromTheFactors() {
        func check<S: TensorScalar>(_: S.Type) {
            trajectoriesAgree("SGD", as: S.self) { SGD($0, learningRate: 0.1) }
            trajectoriesAgree("SGD momentum", as: S.self) { SGD($0, learningRate: 0.1, momentum: 0.9) }
            trajectoriesAgree("SGD Nesterov", as: S.self) { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }
            trajectoriesAgree("SGD dampening", as: S.self) { SGD($0, learningRate: 0.1, momentum: 0.8, dampening: 0.3) }
            trajectoriesAgree("SGD weight decay", as: S.self) { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }
            trajectoriesAgree("Adam", as: S.self) { Adam($0, learningRate: 0.01) }
            trajectoriesAgree("AdamW AMSGrad", as: S.self) { AdamW($0, learningRate: 0.01, amsgrad: true) }
            trajectoriesAgree("RMSProp", as: S.self) { RMSProp($0, learningRate: 0.01, momentum: 0.5, centered: true) }
            trajectoriesAgree("Adagrad", as: S.self) { Adagrad($0, learningRate: 0.1, learningRateDecay: 0.01) }
            trajectoriesAgree("Adadelta", as: S.self) { Adadelta($0, weightDecay: 0.01) }
        }
        check(Float.self)
        check(Double.self)
    }
}
