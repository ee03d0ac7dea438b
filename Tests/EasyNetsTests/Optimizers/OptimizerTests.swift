import Testing
@testable import EasyNets

/// Reference trajectories from scripts/fixtures/make_optimizer_fixture.py (NumPy, cross-checked
/// there against torch.optim).
struct OptimizerFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var optimizer: String
        var hyper: [String: Double]
        var steps: [[[Double]]]  // step → parameter → flat values
    }
    var shapes: [[Int]]
    var initial: [[Double]]
    var a: [[Double]]
    var c: [[Double]]
    var cases: [Case]
}

@Suite struct OptimizerTests {
    func makeOptimizer(_ c: OptimizerFixture.Case, _ parameters: [Parameter<Double>]) throws -> any Optimizer<Double> {
        let h = c.hyper
        func flag(_ key: String) -> Bool { (h[key] ?? 0) != 0 }
        switch c.optimizer {
        case "SGD":
            return SGD(parameters, learningRate: h["lr"]!, momentum: h["momentum"] ?? 0, dampening: h["dampening"] ?? 0,
                       weightDecay: h["weight_decay"] ?? 0, nesterov: flag("nesterov"))
        case "Adam":
            return Adam(parameters, learningRate: h["lr"]!, beta1: h["beta1"] ?? 0.9, beta2: h["beta2"] ?? 0.999,
                        weightDecay: h["weight_decay"] ?? 0, amsgrad: flag("amsgrad"))
        case "AdamW":
            return AdamW(parameters, learningRate: h["lr"]!, weightDecay: h["weight_decay"] ?? 0.01, amsgrad: flag("amsgrad"))
        case "RMSprop":
            return RMSProp(parameters, learningRate: h["lr"]!, alpha: h["alpha"] ?? 0.99, weightDecay: h["weight_decay"] ?? 0,
                           momentum: h["momentum"] ?? 0, centered: flag("centered"))
        case "Adagrad":
            return Adagrad(parameters, learningRate: h["lr"]!, learningRateDecay: h["lr_decay"] ?? 0,
                           weightDecay: h["weight_decay"] ?? 0, initialAccumulatorValue: h["initial_accumulator_value"] ?? 0)
        case "Adadelta":
            return Adadelta(parameters, learningRate: h["lr"] ?? 1, rho: h["rho"] ?? 0.9, weightDecay: h["weight_decay"] ?? 0)
        default:
            Issue.record("unknown optimizer \(c.optimizer)")
            throw CancellationError()
        }
    }

    @Test func updatesMatchTheReferenceTrajectories() throws {
        let f = try loadFixture("optimizers.json", as: OptimizerFixture.self)
        #expect(f.cases.count == 13)
        for c in f.cases {
            let parameters = zip(f.initial, f.shapes).map { Parameter(Tensor<Double>($0, shape: $1)) }
            let a = zip(f.a, f.shapes).map { Tensor<Double>($0, shape: $1) }
            let b = zip(f.c, f.shapes).map { Tensor<Double>($0, shape: $1) }
            let optimizer = try makeOptimizer(c, parameters)
            for (t, expected) in c.steps.enumerated() {
                optimizer.zeroGradients()
                // L = Σ a·p² + c·p, so ∂L/∂p = 2a·p + c (the fixture's loss).
                let loss = parameters.indices.map { (a[$0] * square(parameters[$0].value) + b[$0] * parameters[$0].value).sum() }
                    .reduce(Tensor(0.0), +)
                loss.backward()
                optimizer.step()
                for (i, parameter) in parameters.enumerated() {
                    expectClose(parameter.value.scalars, expected[i], tolerance: 1e-13, "\(c.name) step \(t + 1) parameter \(i)")
                }
            }
        }
    }

    @Test func floatUpdatesTrackTheDoubleOnes() throws {
        // The same Adam step in Float and Double agree to Float precision.
        let values: [Double] = [0.3, -1.2, 2.5, 0.01]
        let pd = Parameter(Tensor<Double>(values)), pf = Parameter(Tensor<Float>(values.map(Float.init)))
        let od = Adam([pd], learningRate: 0.1), of = Adam([pf], learningRate: 0.1)
        for _ in 0..<5 {
            od.zeroGradients(); of.zeroGradients()
            square(pd.value).sum().backward(); square(pf.value).sum().backward()
            od.step(); of.step()
        }
        expectClose(pf.value.scalars.map(Double.init), pd.value.scalars, tolerance: 1e-5)
    }

    @Test func parametersWithoutGradientsAreSkipped() {
        let used = Parameter(Tensor<Double>([1, 2])), unused = Parameter(Tensor<Double>([3, 4]))
        let optimizer = SGD([used, unused], learningRate: 0.5, momentum: 0.9)
        (used.value * 2).sum().backward()
        optimizer.step()
        #expect(used.value.scalars == [0, 1])
        #expect(unused.value.scalars == [3, 4])
        #expect(optimizer.state.keys.sorted() == ["0.momentum_buffer", "0.step"])
    }

    @Test func gradientClipping() {
        let p = Parameter(Tensor<Double>([1, 1])), q = Parameter(Tensor<Double>([1]))
        ((p.value * Tensor([3, 0])).sum() + (q.value * 4).sum()).backward()  // gradients (3, 0) and (4): norm 5
        let norm = clipGradientNorm([p, q], maxNorm: 1)
        expectClose(norm, 5, tolerance: 1e-12)
        expectClose(p.gradient!.scalars, [3 / (5 + 1e-6), 0], tolerance: 1e-12)
        expectClose(q.gradient!.scalars, [4 / (5 + 1e-6)], tolerance: 1e-12)
        // Below the limit nothing changes.
        let before = p.gradient!.scalars
        clipGradientNorm([p, q], maxNorm: 10)
        #expect(p.gradient!.scalars == before)
        let r = Parameter(Tensor<Double>([1, 1, 1]))
        (r.value * Tensor([-3, 0.5, 7])).sum().backward()
        clipGradientValue([r], maxValue: 1)
        #expect(r.gradient!.scalars == [-1, 0.5, 1])
    }

    @Test func stateRoundTripsAndRejectsMismatches() throws {
        let p = Parameter(Tensor<Double>([1, 2, 3]))
        let a = Adam([p], learningRate: 0.1, amsgrad: true)
        square(p.value).sum().backward()
        a.step()
        let b = Adam([Parameter(Tensor<Double>([1, 2, 3]))], learningRate: 0.1, amsgrad: true)
        try b.loadState(a.state)
        #expect(b.state.mapValues(\.scalars) == a.state.mapValues(\.scalars))
        #expect(throws: OptimizerStateError.self) { try b.loadState(["0.exp_avg": Tensor([1.0])]) }
        #expect(throws: OptimizerStateError.self) { try b.loadState(["7.exp_avg": Tensor([1.0, 2, 3])]) }
        #expect(throws: OptimizerStateError.self) { try b.loadState(["0.velocity": Tensor([1.0, 2, 3])]) }
    }
}
