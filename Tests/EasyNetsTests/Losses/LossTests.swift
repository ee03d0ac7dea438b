import Testing
@testable import EasyNets

/// The torch.nn.functional reference values (scripts/fixtures/make_loss_fixture.py).
struct LossFixture: Decodable {
    struct Case: Decodable {
        var mean: [Double], sum: [Double], none: [Double]
        var grad_mean: [Double]
    }
    var rows: Int, classes: Int
    var prediction: [Double], target: [Double], probabilities: [Double], binary: [Double], logits: [Double]
    var labels: [Int], class_weights: [Double], log_input: [Double], target_probabilities: [Double]
    var kl_batchmean: Double
    var cases: [String: Case]
}

@Suite struct LossTests {
    let f: LossFixture
    init() throws { f = try loadFixture("losses.json", as: LossFixture.self) }

    func matrix(_ values: [Double]) -> Tensor<Double> { Tensor(values, shape: [f.rows, f.classes]) }

    /// Compares all three reductions and the gradient of the mean with the fixture.
    func check(_ name: String, _ input: [Double], sourceLocation: SourceLocation = #_sourceLocation,
               _ loss: (Tensor<Double>, LossReduction) -> Tensor<Double>) throws {
        let reference = try #require(f.cases[name], sourceLocation: sourceLocation)
        let x = matrix(input)
        expectClose(loss(x, .mean).scalars, reference.mean, tolerance: 1e-12, "\(name) mean", sourceLocation: sourceLocation)
        expectClose(loss(x, .sum).scalars, reference.sum, tolerance: 1e-12, "\(name) sum", sourceLocation: sourceLocation)
        expectClose(loss(x, .none).scalars, reference.none, tolerance: 1e-12, "\(name) none", sourceLocation: sourceLocation)
        var leaf = x
        leaf.requiresGradient = true
        loss(leaf, .mean).backward()
        expectClose(try #require(leaf.gradient).scalars, reference.grad_mean, tolerance: 1e-12, "\(name) gradient",
                    sourceLocation: sourceLocation)
        expectGradientsMatch([x], sourceLocation: sourceLocation) { loss($0[0], .sum) }
    }

    @Test func regressionLossesMatchPyTorch() throws {
        let target = matrix(f.target)
        try check("mse", f.prediction) { meanSquaredError($0, target, reduction: $1) }
        try check("l1", f.prediction) { l1Loss($0, target, reduction: $1) }
        try check("huber", f.prediction) { huberLoss($0, target, delta: 0.7, reduction: $1) }
        try check("smooth_l1", f.prediction) { smoothL1Loss($0, target, beta: 0.6, reduction: $1) }
    }

    @Test func binaryCrossEntropyMatchesPyTorch() throws {
        let target = matrix(f.binary)
        try check("bce", f.probabilities) { binaryCrossEntropy($0, target, reduction: $1) }
        try check("bce_logits", f.logits) { binaryCrossEntropy(logits: $0, target, reduction: $1) }
    }

    @Test func crossEntropyAndNLLMatchPyTorch() throws {
        let weights = Tensor(f.class_weights)
        try check("cross_entropy", f.logits) { crossEntropy(logits: $0, labels: f.labels, reduction: $1) }
        try check("cross_entropy_full", f.logits) {
            crossEntropy(logits: $0, labels: f.labels, classWeights: weights, ignoreIndex: 3, labelSmoothing: 0.2, reduction: $1)
        }
        try check("nll", f.log_input) {
            negativeLogLikelihood($0, labels: f.labels, classWeights: weights, ignoreIndex: 1, reduction: $1)
        }
    }

    @Test func klDivergenceMatchesPyTorch() throws {
        let target = matrix(f.target_probabilities)
        let reference = try #require(f.cases["kl"])
        let input = matrix(f.log_input)
        expectClose(klDivergence(input, target, reduction: .mean).scalars, reference.mean, tolerance: 1e-12)
        expectClose(klDivergence(input, target, reduction: .sum).scalars, reference.sum, tolerance: 1e-12)
        expectClose(klDivergence(input, target, reduction: .none).scalars, reference.none, tolerance: 1e-12)
        expectClose(klDivergence(input, target, reduction: .batchMean).scalar, f.kl_batchmean, tolerance: 1e-12)
        expectGradientsMatch([input]) { klDivergence($0[0], target, reduction: .sum) }
    }

    @Test func crossEntropyIsFiniteForHugeLogits() {
        for logits in [Tensor<Float>([[1e4, -1e4, 0], [-1e4, 1e4, 5]]), Tensor<Float>([[-1e4, -1e4, -1e4], [1e4, 1e4, 1e4]])] {
            var leaf = logits
            leaf.requiresGradient = true
            let loss = crossEntropy(logits: leaf, labels: [1, 0])
            #expect(loss.scalar.isFinite)
            loss.backward()
            #expect(leaf.gradient!.scalars.allSatisfy { $0.isFinite })
        }
        // Exact values: the row [1e4, −1e4, 0] with label 1 costs 2e4; a uniform row costs log 3.
        let exact = crossEntropy(logits: Tensor<Double>([[1e4, -1e4, 0], [-1e4, -1e4, -1e4]]), labels: [1, 2], reduction: .none)
        expectClose(exact.scalars, [2e4, Double.log(3)], tolerance: 1e-12)
        let bce = binaryCrossEntropy(logits: Tensor<Double>([1e4, -1e4]), Tensor([0, 1]), reduction: .none)
        expectClose(bce.scalars, [1e4, 1e4], tolerance: 1e-12)
    }
}
