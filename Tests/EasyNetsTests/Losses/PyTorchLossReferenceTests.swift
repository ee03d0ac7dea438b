import Testing
@testable import EasyNets

/// The torch.nn.functional references of the losses beyond the basic ones
/// (scripts/fixtures/make_losses_extra_fixture.py): each case's inputs, its loss under every
/// reduction and the gradients of the mean-reduced loss.
struct LossesExtraFixture: Decodable {
    struct Case: Decodable {
        var inputs: [String: EncodedTensor]
        var ints: [String: [Int]]
        var mean: EncodedTensor, sum: EncodedTensor, none: EncodedTensor
        var grad: [String: [Double]]
    }
    var cases: [String: Case]
}

@Suite struct PyTorchLossReferenceTests {
    let f: LossesExtraFixture
    init() throws { f = try loadFixture("losses_extra.json", as: LossesExtraFixture.self) }

    /// Compares every reduction (infinite values exactly) and, where the fixture has them, the
    /// gradients of the mean with respect to the inputs named `differentiable`, to 1e-10.
    func check(
        _ name: String, differentiable: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ loss: (_ inputs: [String: Tensor<Double>], _ ints: [String: [Int]], LossReduction) -> Tensor<Double>
    ) throws {
        let reference = try #require(f.cases[name], "no case \(name)", sourceLocation: sourceLocation)
        let inputs = reference.inputs.mapValues(\.tensor)
        for (reduction, expected) in [(LossReduction.mean, reference.mean), (.sum, reference.sum), (.none, reference.none)] {
            let actual = loss(inputs, reference.ints, reduction)
            #expect(actual.shape == expected.shape, "\(name) \(reduction) shape", sourceLocation: sourceLocation)
            let infinite = expected.values.map { !$0.isFinite }
            expectEqualScalars(zip(actual.scalars, infinite).filter(\.1).map(\.0), expected.values.filter { !$0.isFinite },
                               "\(name) \(reduction) infinite values", sourceLocation: sourceLocation)
            expectClose(zip(actual.scalars, infinite).map { $1 ? 0 : $0 }, expected.values.map { $0.isFinite ? $0 : 0 },
                        tolerance: 1e-10, "\(name) \(reduction)", sourceLocation: sourceLocation)
        }
        guard !reference.grad.isEmpty else { return }
        var leaves = inputs
        for key in differentiable { leaves[key]!.requiresGradient = true }
        loss(leaves, reference.ints, .mean).backward()
        for key in differentiable {
            let expected = try #require(reference.grad[key], "\(name): no gradient of \(key)", sourceLocation: sourceLocation)
            let gradient = try #require(leaves[key]!.gradient, "\(name): no gradient of \(key)", sourceLocation: sourceLocation)
            expectClose(gradient.scalars, expected, tolerance: 1e-10, "\(name) gradient of \(key)", sourceLocation: sourceLocation)
        }
    }

    @Test func binaryCrossEntropyWithPositiveWeightsMatchesPyTorch() throws {
        for shape in ["5x3", "2x3x4"] {
            try check("bce_\(shape)", differentiable: ["x"]) { i, _, r in
                binaryCrossEntropy(logits: i["x"]!, i["y"]!, weight: i["w"], positiveWeight: i["pw"], reduction: r)
            }
            try check("bce_\(shape)_plain", differentiable: ["x"]) { i, _, r in
                binaryCrossEntropy(logits: i["x"]!, i["y"]!, positiveWeight: i["pw"], reduction: r)
            }
        }
    }

    @Test func crossEntropyWithProbabilitiesMatchesPyTorch() throws {
        for shape in ["4x5", "2x3x4", "2x3x2x2"] {
            try check("ce_prob_\(shape)", differentiable: ["x"]) { i, _, r in
                crossEntropy(logits: i["x"]!, probabilities: i["p"]!, reduction: r)
            }
            try check("ce_prob_\(shape)_full", differentiable: ["x"]) { i, _, r in
                crossEntropy(logits: i["x"]!, probabilities: i["p"]!, classWeights: i["w"], labelSmoothing: 0.15, reduction: r)
            }
        }
    }

    @Test func klDivergenceWithLogTargetMatchesPyTorch() throws {
        try check("kl_log_target", differentiable: ["x", "t"]) { i, _, r in
            let kl: KLReduction = switch r { case .mean: .mean; case .sum: .sum; case .none: .none }
            return klDivergence(i["x"]!, i["t"]!, logTarget: true, reduction: kl)
        }
    }

    @Test func likelihoodLossesMatchPyTorch() throws {
        for variance in ["same", "drop_last", "last_one"] {
            for full in [false, true] {
                try check("gaussian_nll_\(variance)_\(full ? "full" : "partial")", differentiable: ["x", "y", "v"]) { i, _, r in
                    gaussianNegativeLogLikelihood(i["x"]!, target: i["y"]!, variance: i["v"]!, full: full, eps: 1e-4, reduction: r)
                }
            }
        }
        for logInput in [true, false] {
            for full in [false, true] {
                try check("poisson_nll_\(logInput ? "log" : "rate")_\(full ? "full" : "partial")", differentiable: ["x"]) { i, _, r in
                    poissonNegativeLogLikelihood(i["x"]!, target: i["y"]!, logInput: logInput, full: full, eps: 1e-6, reduction: r)
                }
            }
        }
    }

    @Test func marginLossesMatchPyTorch() throws {
        try check("cosine_embedding", differentiable: ["a", "b"]) { i, _, r in
            cosineEmbeddingLoss(i["a"]!, i["b"]!, target: i["y"]!, margin: -0.3, reduction: r)
        }
        try check("margin_ranking", differentiable: ["a", "b"]) { i, _, r in
            marginRankingLoss(i["a"]!, i["b"]!, target: i["y"]!, margin: 0.4, reduction: r)
        }
        for p in [2.0, 1.5, 3.0] {
            for swap in [false, true] {
                try check("triplet_p\(p)_\(swap ? "swap" : "noswap")", differentiable: ["a", "p", "n"]) { i, _, r in
                    tripletMarginLoss(anchor: i["a"]!, positive: i["p"]!, negative: i["n"]!, margin: 1.2, p: p, eps: 1e-6,
                                      swap: swap, reduction: r)
                }
            }
        }
        try check("hinge_embedding", differentiable: ["x"]) { i, _, r in
            hingeEmbeddingLoss(i["x"]!, target: i["y"]!, margin: 1.5, reduction: r)
        }
        try check("multilabel_soft_margin", differentiable: ["x"]) { i, _, r in
            multiLabelSoftMarginLoss(i["x"]!, target: i["y"]!, weight: i["w"], reduction: r)
        }
        try check("multilabel_soft_margin_plain", differentiable: ["x"]) { i, _, r in
            multiLabelSoftMarginLoss(i["x"]!, target: i["y"]!, reduction: r)
        }
        for p in [1, 2] {
            try check("multi_margin_p\(p)", differentiable: ["x"]) { i, ints, r in
                multiMarginLoss(i["x"]!, labels: ints["labels"]!, p: p, margin: 0.8, weight: i["w"], reduction: r)
            }
            try check("multi_margin_p\(p)_plain", differentiable: ["x"]) { i, ints, r in
                multiMarginLoss(i["x"]!, labels: ints["labels"]!, p: p, reduction: r)
            }
        }
    }

    /// The shapes PyTorch accepts beyond (N, D): vectors with 0-D targets, broadcast inputs, other ranks.
    @Test func marginLossShapesMatchPyTorch() throws {
        for (name, margin) in [("cosine_embedding_vector_positive", -0.9), ("cosine_embedding_vector_negative", -0.9),
                               ("cosine_embedding_broadcast", 0.1)] {
            try check(name, differentiable: ["a", "b"]) { i, _, r in
                cosineEmbeddingLoss(i["a"]!, i["b"]!, target: i["y"]!, margin: margin, reduction: r)
            }
        }
        for (name, margin) in [("margin_ranking_broadcast", 0.3), ("margin_ranking_scalar", 0.5)] {
            try check(name, differentiable: ["a", "b"]) { i, _, r in
                marginRankingLoss(i["a"]!, i["b"]!, target: i["y"]!, margin: margin, reduction: r)
            }
        }
        for shape in ["vector", "broadcast", "rank3"] {
            for swap in [false, true] {
                try check("triplet_\(shape)_\(swap ? "swap" : "noswap")", differentiable: ["a", "p", "n"]) { i, _, r in
                    tripletMarginLoss(anchor: i["a"]!, positive: i["p"]!, negative: i["n"]!, margin: 0.7, p: 1.5, eps: 1e-6,
                                      swap: swap, reduction: r)
                }
            }
        }
        for (name, margin) in [("hinge_embedding_broadcast_target", 1.2), ("hinge_embedding_broadcast_input", 0.8)] {
            try check(name, differentiable: ["x"]) { i, _, r in
                hingeEmbeddingLoss(i["x"]!, target: i["y"]!, margin: margin, reduction: r)
            }
        }
        for p in [1, 2] {
            try check("multi_margin_vector_p\(p)", differentiable: ["x"]) { i, ints, r in
                multiMarginLoss(i["x"]!, labels: ints["labels"]!, p: p, margin: 1.3, weight: i["w"], reduction: r)
            }
        }
    }

    /// The fixture's CTC gradients are those of logits whose log-softmax is the log-probabilities.
    @Test func ctcLossMatchesPyTorch() throws {
        for name in ["ctc_padded", "ctc_concatenated", "ctc_blank_last", "ctc_empty_target", "ctc_too_long",
                     "ctc_too_long_zero_infinity", "ctc_unbatched", "ctc_unbatched_padded", "ctc_no_frames",
                     "ctc_no_frames_infinite", "ctc_no_frames_zero_infinity"] {
            try check(name, differentiable: ["logits"]) { i, ints, r in
                ctcLoss(logProbabilities: logSoftmax(i["logits"]!, along: i["logits"]!.rank - 1),
                        targets: IndexTensor(ints["targets"]!, shape: ints["target_shape"]!),
                        inputLengths: ints["input_lengths"]!, targetLengths: ints["target_lengths"]!, blank: ints["blank"]![0],
                        reduction: r, zeroInfinity: ints["zero_infinity"]![0] == 1)
            }
        }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let bce = try #require(f.cases["bce_2x3x4"]).inputs.mapValues(\.tensor)
        expectGradientsMatch([bce["x"]!.clamped(min: -20, max: 20)]) {
            binaryCrossEntropy(logits: $0[0], bce["y"]!, weight: bce["w"], positiveWeight: bce["pw"], reduction: .none)
        }
        let gaussian = try #require(f.cases["gaussian_nll_last_one_full"]).inputs.mapValues(\.tensor)
        expectGradientsMatch([gaussian["x"]!, gaussian["y"]!, gaussian["v"]! + 0.5]) {
            gaussianNegativeLogLikelihood($0[0], target: $0[1], variance: $0[2], full: true, reduction: .none)
        }
        let broadcastTriplet = try #require(f.cases["triplet_broadcast_swap"]).inputs.mapValues(\.tensor)
        expectGradientsMatch([broadcastTriplet["a"]!, broadcastTriplet["p"]!, broadcastTriplet["n"]!]) {
            tripletMarginLoss(anchor: $0[0], positive: $0[1], negative: $0[2], margin: 0.7, p: 1.5, swap: true, reduction: .none)
        }
        let cosine = try #require(f.cases["cosine_embedding_broadcast"]).inputs.mapValues(\.tensor)
        expectGradientsMatch([cosine["a"]!, cosine["b"]!]) {
            cosineEmbeddingLoss($0[0], $0[1], target: cosine["y"]!, margin: 0.1, reduction: .none)
        }
        let multiMargin = try #require(f.cases["multi_margin_vector_p2"]).inputs.mapValues(\.tensor)
        expectGradientsMatch([multiMargin["x"]!]) {
            multiMarginLoss($0[0], labels: [3], p: 2, margin: 1.3, weight: multiMargin["w"], reduction: .none)
        }
        // Sequences without frames have no gradient; the others keep theirs.
        let noFrames = try #require(f.cases["ctc_no_frames"])
        let noFramesLogP = logSoftmax(noFrames.inputs["logits"]!.tensor, along: 2).detached
        expectGradientsMatch([noFramesLogP]) {
            ctcLoss(logProbabilities: $0[0], targets: IndexTensor(noFrames.ints["targets"]!, shape: noFrames.ints["target_shape"]!),
                    inputLengths: noFrames.ints["input_lengths"]!, targetLengths: noFrames.ints["target_lengths"]!, reduction: .sum)
        }
        let unbatched = try #require(f.cases["ctc_unbatched"])
        let unbatchedLogP = logSoftmax(unbatched.inputs["logits"]!.tensor, along: 1).detached
        expectGradientsMatch([unbatchedLogP]) {
            ctcLoss(logProbabilities: $0[0], targets: IndexTensor(unbatched.ints["targets"]!),
                    inputLengths: unbatched.ints["input_lengths"]!, targetLengths: unbatched.ints["target_lengths"]!, reduction: .none)
        }
        let triplet = try #require(f.cases["triplet_p1.5_swap"]).inputs.mapValues(\.tensor)
        expectGradientsMatch([triplet["a"]!, triplet["p"]!, triplet["n"]!]) {
            tripletMarginLoss(anchor: $0[0], positive: $0[1], negative: $0[2], p: 1.5, swap: true, reduction: .none)
        }
        let probabilities = try #require(f.cases["ce_prob_2x3x4_full"]).inputs.mapValues(\.tensor)
        expectGradientsMatch([probabilities["x"]!]) {
            crossEntropy(logits: $0[0], probabilities: probabilities["p"]!, classWeights: probabilities["w"],
                         labelSmoothing: 0.15, reduction: .none)
        }
        // CTC's gradient with respect to the log-probabilities themselves (not normalized).
        let ctc = try #require(f.cases["ctc_padded"])
        let logProbabilities = logSoftmax(ctc.inputs["logits"]!.tensor, along: 2).detached
        for reduction in [LossReduction.none, .mean] {
            expectGradientsMatch([logProbabilities]) {
                ctcLoss(logProbabilities: $0[0], targets: IndexTensor(ctc.ints["targets"]!, shape: ctc.ints["target_shape"]!),
                        inputLengths: ctc.ints["input_lengths"]!, targetLengths: ctc.ints["target_lengths"]!, reduction: reduction)
            }
        }
    }

    @Test func binaryCrossEntropyWithPositiveWeightsIsFiniteForHugeLogits() {
        var logits = Tensor<Float>([[1e4, -1e4, 0], [-1e4, 1e4, 30]])
        logits.requiresGradient = true
        let loss = binaryCrossEntropy(logits: logits, Tensor([[0, 1, 1], [1, 0, 0.5]]), positiveWeight: Tensor([2, 0.5, 3]))
        loss.backward()
        #expect(loss.scalar.isFinite)
        expectAllFinite(logits.gradient?.scalars ?? [.nan])
    }

    @Test func ctcLossInFloatAgreesWithDouble() throws {
        let ctc = try #require(f.cases["ctc_concatenated"])
        let logits = ctc.inputs["logits"]!.tensor
        func loss<T: TensorScalar>(_ logits: Tensor<T>) -> Tensor<T> {
            ctcLoss(logProbabilities: logSoftmax(logits, along: 2), targets: IndexTensor(ctc.ints["targets"]!),
                    inputLengths: ctc.ints["input_lengths"]!, targetLengths: ctc.ints["target_lengths"]!, reduction: .none)
        }
        let single = loss(Tensor<Float>(logits.scalars.map(Float.init), shape: logits.shape)).scalars.map(Double.init)
        expectClose(single, loss(logits).scalars, tolerance: 1e-5)
    }

    @Test func unbatchedLossesInFloatAgreeWithDouble() throws {
        let ctc = try #require(f.cases["ctc_unbatched"])
        let logits = ctc.inputs["logits"]!.tensor
        func loss<T: TensorScalar>(_ logits: Tensor<T>) -> Tensor<T> {
            ctcLoss(logProbabilities: logSoftmax(logits, along: 1), targets: IndexTensor(ctc.ints["targets"]!),
                    inputLengths: ctc.ints["input_lengths"]!, targetLengths: ctc.ints["target_lengths"]!, reduction: .none)
        }
        let single = loss(Tensor<Float>(logits.scalars.map(Float.init), shape: logits.shape))
        #expect(single.shape == [])
        expectClose(single.scalars.map(Double.init), ctc.none.values, tolerance: 1e-5)
        let noFrames = ctcLoss(logProbabilities: Tensor<Float>.zeros([4, 2, 3]), targets: IndexTensor([1, 2], shape: [2, 1]),
                               inputLengths: [0, 0], targetLengths: [0, 1], reduction: .none)
        #expect(noFrames.scalars == [0, .infinity])
        let multi = try #require(f.cases["multi_margin_vector_p2"])
        let x = multi.inputs["x"]!.tensor, w = multi.inputs["w"]!.tensor
        let singleMargin = multiMarginLoss(Tensor<Float>(x.scalars.map(Float.init), shape: x.shape), labels: [3], p: 2, margin: 1.3,
                                           weight: Tensor<Float>(w.scalars.map(Float.init), shape: w.shape), reduction: .none)
        #expect(singleMargin.shape == [])
        expectClose(singleMargin.scalars.map(Double.init), multi.none.values, tolerance: 1e-5)
    }

    @Test func trainerLossesMatchTheirFunctions() throws {
        let bce = try #require(f.cases["bce_5x3_plain"]).inputs.mapValues(\.tensor)
        let weighted = Loss<Double>.binaryCrossEntropyWithLogits(positiveWeight: bce["pw"]!.scalars)
        expectClose(weighted(bce["x"]!, .values(bce["y"]!)).scalar,
                    binaryCrossEntropy(logits: bce["x"]!, bce["y"]!, positiveWeight: bce["pw"]!).scalar, tolerance: 1e-15)
        let soft = try #require(f.cases["ce_prob_4x5"]).inputs.mapValues(\.tensor)
        expectClose(Loss<Double>.crossEntropyWithProbabilities()(soft["x"]!, .values(soft["p"]!)).scalar,
                    crossEntropy(logits: soft["x"]!, probabilities: soft["p"]!).scalar, tolerance: 1e-15)
        let poisson = try #require(f.cases["poisson_nll_log_full"]).inputs.mapValues(\.tensor)
        expectClose(Loss<Double>.poissonNegativeLogLikelihood(full: true)(poisson["x"]!, .values(poisson["y"]!)).scalar,
                    poissonNegativeLogLikelihood(poisson["x"]!, target: poisson["y"]!, full: true).scalar, tolerance: 1e-15)
        let multiLabel = try #require(f.cases["multilabel_soft_margin_plain"]).inputs.mapValues(\.tensor)
        expectClose(Loss<Double>.multiLabelSoftMargin(multiLabel["x"]!, .values(multiLabel["y"]!)).scalar,
                    multiLabelSoftMarginLoss(multiLabel["x"]!, target: multiLabel["y"]!).scalar, tolerance: 1e-15)
    }
}
