import Foundation
import Testing
@testable import EasyNets

// The Trainer beyond classifiers: regression and multi-label targets, a loss from a closure, a
// model that is not a Sequential, and what it refuses before training.

/// y = tanh(x·Aᵀ)·B + x·S: a layer of its own with its own parameter names and no description.
private final class TwoPathRegressor: Layer {
    let a: Parameter<Double>  // (hidden, in)
    let b: Parameter<Double>  // (hidden, out)
    let skip: Parameter<Double>  // (in, out)
    var isTraining = true
    var parameters: [(name: String, parameter: Parameter<Double>)] { [("a", a), ("b", b), ("skip", skip)] }

    init(inputs: Int, hidden: Int, outputs: Int, seed: UInt64) {
        a = Parameter(randomTensor([hidden, inputs], in: -0.8...0.8, seed: seed))
        b = Parameter(randomTensor([hidden, outputs], in: -0.8...0.8, seed: seed + 1))
        skip = Parameter(randomTensor([inputs, outputs], in: -0.5...0.5, seed: seed + 2))
    }

    func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> {
        matmul(tanh(matmul(x, a.value, transposeB: true)), b.value) + matmul(x, skip.value)
    }
}

/// Every parameter and buffer of a trainer's model, by value.
private func state(_ trainer: Trainer<Double>) -> [[Double]] { trainer.model.stateEntries.map { $0.parameter.value.scalars } }

/// Expects each `validation_*` value of `record` to equal what `evaluate` gives now, to 1e-12.
private func expectValidationMatchesEvaluate(_ trainer: Trainer<Double>, _ record: EpochMetrics, on data: Dataset<Double>,
                                             sourceLocation: SourceLocation = #_sourceLocation) throws {
    let values = try evaluate(trainer.model, on: data, loss: trainer.loss, metrics: trainer.metrics)
    for (name, value) in values {
        let reported = try #require(record.values["validation_" + name], "no validation_\(name)", sourceLocation: sourceLocation)
        expectClose(reported, value, tolerance: 1e-12, "epoch \(record.epoch): validation_\(name)", sourceLocation: sourceLocation)
    }
}

@Suite struct GeneralTrainerTests {
    @Test func aRegressorReportsErrorsAndRSquaredThatEvaluateConfirms() throws {
        let train = regressionData(count: 40, seed: 1), validation = regressionData(count: 15, seed: 2)
        let trainer = linearRegressionTrainer(train, validation: validation, seed: 3, batchSize: 8) { Adam($0, learningRate: 0.05) }
        let names = ["loss", "mae", "rmse", "r2"]
        #expect(trainer.reportedValueNames == names.map { "train_" + $0 } + names.map { "validation_" + $0 })
        for epoch in 1...3 {
            try trainer.fit(epochs: epoch)
            let record = try #require(trainer.history.last)
            #expect(Set(record.values.keys) == Set(trainer.reportedValueNames))
            try expectValidationMatchesEvaluate(trainer, record, on: validation)
        }
        let (first, last) = (trainer.history[0], trainer.history[2])
        #expect(last.values["validation_rmse"]! < first.values["validation_rmse"]!, "the regressor learns")
        #expect(last.values["validation_r2"]! > first.values["validation_r2"]!)
    }

    @Test func fullBatchTrainingValuesAreThoseOfTheModelBeforeTheStep() throws {
        // One batch an epoch: the epoch's training values measure the model the step started from.
        let train = regressionData(count: 30, seed: 5)
        let trainer = linearRegressionTrainer(train, seed: 6, batchSize: 30, shuffle: false) {
            SGD($0, learningRate: 0.1, momentum: 0.5)
        }
        for epoch in 1...3 {
            let before = try evaluate(trainer.model, on: train, loss: .meanSquaredError, metrics: trainer.metrics)
            try trainer.fit(epochs: epoch)
            let record = try #require(trainer.history.last)
            for (name, value) in before {
                expectClose(try #require(record.values["train_" + name]), value, tolerance: 1e-12, "epoch \(epoch): train_\(name)")
            }
        }
    }

    @Test func aMultiLabelClassifierTrainsWithBinaryCrossEntropy() throws {
        // Three labels per example, each a linear rule of four features.
        func data(_ count: Int, seed: UInt64) -> Dataset<Double> {
            let x = randomTensor([count, 4], seed: seed)
            let rules: [[Double]] = [[1, 1, 0, 0], [0, -1, 2, 0], [1, 0, 0, -1]]
            var y: [Double] = []
            for i in 0..<count {
                for rule in rules {
                    let score = zip(rule, x.scalars[i * 4 ..< i * 4 + 4]).reduce(0.0) { $0 + $1.0 * $1.1 }
                    y.append(score > 0 ? 1 : 0)
                }
            }
            return Dataset(features: x, targets: Tensor(y, shape: [count, 3]))
        }
        let train = data(120, seed: 7), validation = data(40, seed: 8)
        var generator = RandomGenerator(seed: 9)
        let model = Linear<Double>(4, 3, using: &generator)
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.1),
                              loader: DataLoader(train, batchSize: 16, seed: 10), validationData: validation,
                              loss: .binaryCrossEntropyWithLogits, metrics: [.accuracy])
        #expect(trainer.reportedValueNames == ["train_loss", "train_accuracy", "validation_loss", "validation_accuracy"])
        try trainer.fit(epochs: 8)
        let record = try #require(trainer.history.last)
        try expectValidationMatchesEvaluate(trainer, record, on: validation)
        // The accuracy counts values: a hand count over the 40 × 3 validation values.
        let logits = withoutGradients { model(validation.features) }.scalars, targets = validation.targets.valueTensor.scalars
        let correct = zip(logits, targets).filter { ($0 > 0) == ($1 > 0.5) }.count
        #expect(record.values["validation_accuracy"] == Double(correct) / 120)
        #expect(record.values["validation_accuracy"]! >= 0.9, "linear rules are learnable")
        #expect(record.values["train_loss"]! < trainer.history[0].values["train_loss"]!)
    }

    @Test func aLossFromAClosureTrains() throws {
        // Squared errors weighted per output, summed over outputs, averaged over examples.
        let weights = Tensor<Double>([[1, 3]])
        let loss = Loss<Double>(name: "weighted sse") { output, targets in
            (square(output - targets.valueTensor) * weights).sum() / Double(output.shape[0])
        }
        let train = regressionData(count: 24, seed: 11)
        var generator = RandomGenerator(seed: 12)
        let model = Linear<Double>(3, 2, using: &generator)
        let initial = withoutGradients { model(train.features) }.scalars, y = train.targets.valueTensor.scalars
        var expected = 0.0
        for i in 0..<48 {
            let d = initial[i] - y[i]
            expected += (i % 2 == 0 ? 1 : 3) * d * d / 24
        }
        let trainer = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.02),
                              loader: DataLoader(train, batchSize: 24, shuffle: false), loss: loss, metrics: [.meanAbsoluteError])
        try trainer.fit(epochs: 20)
        expectClose(trainer.history[0].values["train_loss"]!, expected, tolerance: 1e-12, "the closure's value, by hand")
        #expect(trainer.history[19].values["train_loss"]! < 0.5 * expected)
    }

    @Test(arguments: [2, 5, 7])
    func aCustomLayerTrainsCheckpointsAndResumesBitIdentically(stopAfter: Int) throws {
        let train = regressionData(count: 20, seed: 13), validation = regressionData(count: 6, seed: 14)
        func makeTrainer(seed: UInt64) -> Trainer<Double> {
            let model = TwoPathRegressor(inputs: 3, hidden: 5, outputs: 2, seed: seed)
            let optimizer = Adam(model.trainableParameters, learningRate: 0.02)
            return Trainer(model: model, optimizer: optimizer,
                           scheduler: LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 4)),
                           loader: DataLoader(train, batchSize: 6, seed: 15), validationData: validation, loss: .meanSquaredError)
        }
        let straight = makeTrainer(seed: 16)
        try straight.fit(epochs: 3)
        #expect(straight.history[2].values["train_loss"]! < straight.history[0].values["train_loss"]!)
        #expect(straight.model.stateEntries.map(\.name) == ["a", "b", "skip"])

        let path = try temporaryDirectory() + "/custom.safetensors"
        let first = makeTrainer(seed: 16)
        first.observers = [CancelAfter(step: stopAfter), CheckpointWriter(path: path)]
        #expect(try first.fit(epochs: 3) == .cancelled)
        let resumed = makeTrainer(seed: 99)  // other weights, which the checkpoint replaces
        #expect(state(resumed) != state(first))
        try resumed.resume(fromFile: path)
        #expect(try resumed.fit(epochs: 3) == .completed)
        #expect(state(resumed) == state(straight), "resumed after step \(stopAfter)")
        #expect(resumed.history.last?.values == straight.history.last?.values)
    }

    // MARK: Refused before training

    @Test func anOutputThatDoesNotFitTheTargetsNamesBothShapes() throws {
        let data = regressionData(count: 8, outputs: 2, seed: 17)
        let model = Linear<Double>(3, 1)
        let trainer = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1),
                              loader: DataLoader(data, batchSize: 4), loss: .meanSquaredError)
        #expect(throws: TrainingError(epoch: 1, step: 1, reason: "the model's output has shape [4, 1] for a batch of 4, but targets "
                                      + "of values of shape [2] per example need an output of shape (4, 2)")) {
            try trainer.fit(epochs: 1)
        }
        #expect(throws: EvaluationError(reason: "the model's output has shape [3, 1] for a batch of 3, but targets of values of "
                                        + "shape [2] per example need an output of shape (3, 2)")) {
            _ = try evaluate(model, on: data, loss: .meanSquaredError, metrics: [], batchSize: 3)
        }
    }

    @Test func aLossOrMetricThatDoesNotApplyIsRefused() throws {
        let values = regressionData(count: 6, seed: 18)
        let classes = Dataset(features: values.features, labels: [0, 1, 2, 0, 1, 2])
        let model = Linear<Double>(3, 3)
        func fit(_ data: Dataset<Double>, loss: Loss<Double> = .crossEntropy, metrics: [Metric]? = nil) throws {
            try Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1), loader: DataLoader(data, batchSize: 3),
                        loss: loss, metrics: metrics).fit(epochs: 1)
        }
        let cases: [(Dataset<Double>, Loss<Double>, [Metric]?, String)] = [
            (classes, .crossEntropy, [.r2], "the metric r2 applies to values (regression), but the targets are class indices of shape [] per example"),
            (classes, .crossEntropy, [.accuracy, .meanAbsoluteError], "the metric mae applies to values (regression), but the targets are class indices of shape [] per example"),
            (values, .meanSquaredError, [.bitsPerCharacter], "the metric bits_per_character applies to class indices, but the targets are values of shape [2] per example"),
            (values, .meanSquaredError, [.topKAccuracy(2)], "the metric top2_accuracy applies to class indices, but the targets are values of shape [2] per example"),
            (classes, .crossEntropy, [.topKAccuracy(0)], "top-k accuracy needs k ≥ 1, got 0"),
            (values, .crossEntropy, nil, "the cross-entropy loss takes class indices, but the targets are values of shape [2] per example"),
            (classes, .l1, nil, "the l1 loss takes values, but the targets are class indices of shape [] per example"),
        ]
        let before = model.stateEntries.map { $0.parameter.value.scalars }
        for (data, loss, metrics, reason) in cases {
            #expect(throws: TrainingError(epoch: 1, step: 0, reason: reason)) { try fit(data, loss: loss, metrics: metrics) }
            #expect(throws: EvaluationError(reason: reason)) {
                _ = try evaluate(model, on: data, loss: loss, metrics: metrics ?? [])
            }
        }
        #expect(model.stateEntries.map { $0.parameter.value.scalars } == before, "nothing trained")
    }

    @Test func validationDataOfAnotherKindIsRefused() throws {
        let train = regressionData(count: 6, outputs: 2, seed: 19), validation = regressionData(count: 4, outputs: 1, seed: 20)
        let model = Linear<Double>(3, 2)
        let trainer = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1),
                              loader: DataLoader(train, batchSize: 3), validationData: validation, loss: .meanSquaredError)
        #expect(throws: TrainingError(epoch: 1, step: 0, reason: "the validation data has examples of shape [3] and targets of values "
                                      + "of shape [1] per example, the training data [3] and values of shape [2] per example")) {
            try trainer.fit(epochs: 1)
        }
    }
}
