import EasyNets
import Foundation
import Testing

// The library Trainer: observers, evaluation, model descriptions, and resuming at any
// step with bit-identical results.

/// Records what the trainer reports.
private final class Recorder<Scalar: TensorScalar>: TrainingObserver {
    var events: [String] = []
    func trainingWillStart(_ trainer: Trainer<Scalar>) throws { events.append("start") }
    func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws { events.append("batch \(batch.epoch).\(batch.batch) step \(batch.step)") }
    func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws { events.append("epoch \(metrics.epoch)") }
    func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws { events.append("end \(outcome)") }
}

private let description = ModelDescription.sequential(layers: [
    .linear(inputSize: 2, outputSize: 16, bias: true), .gelu(tanhApproximation: false), .dropout(probability: 0.2),
    .batchNorm1d(featureCount: 16, epsilon: 1e-5, momentum: 0.1, affine: true),
    .residual(block: .sequential(layers: [.linear(inputSize: 16, outputSize: 16, bias: false), .tanh])),
    .linear(inputSize: 16, outputSize: 3, bias: true),
])

/// A trainer of a fresh model (weights from `seed`) on two spirals, Adam with a one-cycle schedule.
private func makeTrainer(seed: UInt64 = 7) throws -> Trainer<Double> {
    let (x, y) = Spirals.make(pointsPerClass: 45, noise: 0.05, seed: 1, as: Double.self)
    let data = Dataset(features: x, labels: y)
    let model = try Sequential<Double>(description, seed: seed)
    let optimizer = Adam(model.trainableParameters, learningRate: 0.01)
    let scheduler = LearningRateScheduler(optimizer: optimizer, schedule: OneCycleSchedule(maximum: 0.02, totalSteps: 40))
    return Trainer(model: model, optimizer: optimizer, scheduler: scheduler, scheduleStepping: .perBatch,
                   loader: DataLoader(data, batchSize: 16, shuffle: true, seed: 3), validationData: data)
}

private func parameters(_ trainer: Trainer<Double>) -> [[Double]] { trainer.model.stateEntries.map { $0.parameter.value.scalars } }

@Suite("Trainer")
struct TrainerTests {
    @Test func observersHearEveryBatchAndEpochInOrder() throws {
        let trainer = try makeTrainer()
        let recorder = Recorder<Double>()
        trainer.observers = [recorder]
        #expect(try trainer.fit(epochs: 2) == .completed)
        let batches = 6  // 90 examples in batches of 16
        #expect(recorder.events.count == 1 + 2 * (batches + 1) + 1)
        #expect(recorder.events.first == "start" && recorder.events.last == "end completed")
        #expect(recorder.events[batches + 1] == "epoch 1" && recorder.events[batches] == "batch 1.6 step 6")
        #expect(trainer.history.map(\.epoch) == [1, 2] && trainer.step == 12 && trainer.epoch == 2)
    }

    @Test(arguments: [1, 5, 6, 7, 16])
    func interruptedAndResumedRunEndsBitIdentical(stopAfter: Int) throws {
        let straight = try makeTrainer()
        try straight.fit(epochs: 3)

        let path = try temporaryDirectory() + "/run.safetensors"
        let first = try makeTrainer()
        first.observers = [CancelAfter(step: stopAfter), CheckpointWriter(path: path)]
        #expect(try first.fit(epochs: 3) == .cancelled)
        #expect(first.step == stopAfter)

        // A new process: another seed for the fresh weights, which the checkpoint replaces.
        let second = try makeTrainer(seed: 99)
        let record = try second.resume(fromFile: path)
        #expect(record.step == stopAfter && record.batchesInEpoch == stopAfter % 6)
        #expect(try second.fit(epochs: 3) == .completed)
        #expect(parameters(second) == parameters(straight), "parameters differ after resuming at step \(stopAfter)")
        let (a, b) = (try #require(second.history.last), try #require(straight.history.last))
        #expect(a.values == b.values && a.learningRate == b.learningRate, "the epoch's metrics carry over the interruption")
    }

    @Test func twoRunsWriteByteIdenticalCheckpoints() throws {
        let folder = try temporaryDirectory()
        for name in ["a", "b"] {
            let trainer = try makeTrainer()
            trainer.observers = [CheckpointWriter(path: "\(folder)/\(name).safetensors", extra: ["note": "x"])]
            try trainer.fit(epochs: 1)
        }
        let a = FileManager.default.contents(atPath: folder + "/a.safetensors"), b = FileManager.default.contents(atPath: folder + "/b.safetensors")
        #expect(a != nil && a == b)
    }

    @Test func checkpointEveryNStepsAndEarlyStoppingRestoresTheBestWeights() throws {
        let path = try temporaryDirectory() + "/run.safetensors"
        let trainer = try makeTrainer()
        let stopping = EarlyStopping<Double>(monitor: "validation_loss", patience: 0, minimumDelta: 1e9)  // no later epoch counts as better
        trainer.observers = [stopping, CheckpointWriter(path: path, everySteps: 4)]
        final class Snapshot: TrainingObserver {
            var taken: [[Double]] = []
            func epochDidEnd(_ trainer: Trainer<Double>, _ metrics: EpochMetrics) throws {
                if metrics.epoch == 1 { taken = trainer.model.stateEntries.map { $0.parameter.value.scalars } }
            }
        }
        let snapshot = Snapshot()
        trainer.observers.append(snapshot)
        #expect(try trainer.fit(epochs: 5) == .stoppedEarly)
        #expect(trainer.epoch == 2, "stops after the first epoch without improvement")
        #expect(stopping.best?.epoch == 1)
        #expect(parameters(trainer) == snapshot.taken, "the best epoch's weights are restored")
        let record = try TrainingCheckpoint<Double>.record(in: SafeTensorsFile(contentsOfFile: path), path: path)
        #expect(record.epoch == 2 && record.batchesInEpoch == 0)
    }

    @Test func divergenceGuardStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
        let path = try temporaryDirectory() + "/run.safetensors"
        let (x, y) = Spirals.make(pointsPerClass: 40, noise: 0.05, seed: 1, as: Float.self)
        let model = try Sequential<Float>(.sequential(layers: [.linear(inputSize: 2, outputSize: 8, bias: true), .relu,
                                                                .linear(inputSize: 8, outputSize: 2, bias: true)]))
        let optimizer = SGD(model.trainableParameters, learningRate: 1e-3)
        let trainer = Trainer(model: model, optimizer: optimizer, loader: DataLoader(Dataset(features: x, labels: y), batchSize: 20, seed: 1))
        trainer.observers = [DivergenceGuard(), CheckpointWriter(path: path)]
        try trainer.fit(epochs: 1)
        let good = FileManager.default.contents(atPath: path)
        optimizer.learningRate = 1e35
        #expect(throws: TrainingError.self) { try trainer.fit(epochs: 3) }
        #expect(FileManager.default.contents(atPath: path) == good)
    }

    @Test func batchNormalizationWithABatchOfOneIsAnErrorBeforeTraining() throws {
        let model = try Sequential<Double>(.sequential(layers: [.linear(inputSize: 2, outputSize: 4, bias: true),
                                                               .batchNorm1d(featureCount: 4, epsilon: 1e-5, momentum: 0.1, affine: true),
                                                               .linear(inputSize: 4, outputSize: 2, bias: true)]))
        let data = Dataset(features: Tensor<Double>.zeros([5, 2]), labels: [0, 1, 0, 1, 0])
        let trainer = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1),
                              loader: DataLoader(data, batchSize: 2))
        #expect(throws: TrainingError(epoch: 1, step: 0, reason: "the model has a BatchNorm1d, which needs more than one example per "
                                      + "batch in training, but 5 examples in batches of 2 leave a batch of one")) {
            try trainer.fit(epochs: 1)
        }
        let dropped = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1),
                              loader: DataLoader(data, batchSize: 2, dropLast: true))
        #expect(try dropped.fit(epochs: 1) == .completed)
        // Nothing to train is an error too, not a backward pass through nothing.
        let empty = Sequential<Double> { Tanh() }
        let idle = Trainer(model: empty, optimizer: SGD(empty.trainableParameters, learningRate: 0.1), loader: DataLoader(data, batchSize: 2))
        #expect(throws: TrainingError(epoch: 1, step: 0, reason: "the optimizer has no parameters to train")) { try idle.fit(epochs: 1) }
    }

    @Test func integerBuffersFromAFileMustBeCounts() throws {
        let model = try Sequential<Float>(.sequential(layers: [.batchNorm1d(featureCount: 2, epsilon: 1e-5, momentum: 0.1, affine: true)]))
        for bad in [Float.nan, 1e30, 2.5] {
            var file = SafeTensorsFile(entries: model.stateEntries())
            file.entries["0.num_batches_tracked"] = SafeTensorsEntry(Tensor<Float>(bad), as: .float32)
            #expect(throws: CheckpointError.self) { try model.loadState(from: file) }
        }
    }

    @Test func evaluateReportsLossAccuracyAndConfusionInEvaluationMode() throws {
        let model = try Sequential<Double>(.sequential(layers: [.linear(inputSize: 2, outputSize: 3, bias: true), .dropout(probability: 0.5)]))
        let x = Tensor<Double>([[1, 0], [0, 1], [1, 1], [-1, 2]]), labels = [0, 1, 2, 1]
        let result = evaluate(model, on: Dataset(features: x, labels: labels), batchSize: 3)
        model.eval()
        let logits = withoutGradients { model(x) }
        let expected = withoutGradients { crossEntropy(logits: logits, labels: labels) }
        #expect(abs(result.loss - expected.scalar) < 1e-12)
        #expect(result.predictions == logits.argmax(along: 1))
        #expect(result.report.total == 4 && result.report.classCount == 3)
        model.train()
        #expect(model.isTraining, "evaluate restores the training mode")
    }
}

@Suite("Model descriptions")
struct ModelDescriptionTests {
    @Test func everyLibraryLayerRoundTripsThroughJSON() throws {
        let full = ModelDescription.sequential(layers: [
            .linear(inputSize: 4, outputSize: 6, bias: false), .relu, .leakyRelu(negativeSlope: 0.2), .elu(alpha: 0.5), .selu,
            .gelu(tanhApproximation: true), .silu, .mish, .sigmoid, .hardSigmoid, .tanh, .softplus, .dropout(probability: 0.1),
            .layerNorm(normalizedShape: [6], epsilon: 1e-6, elementwiseAffine: false),
            .batchNorm1d(featureCount: 6, epsilon: 1e-3, momentum: 0.2, affine: false), .identity,
            .residual(block: .sequential(layers: [.linear(inputSize: 6, outputSize: 6, bias: true)])), .flatten(startAxis: 1),
            .softmax(axis: -1), .logSoftmax(axis: 1),
        ])
        let model = try Sequential<Float>(full)
        #expect(try model.describe() == full)
        let json = try full.jsonString()
        #expect(try ModelDescription(json: Array(json.utf8), source: "m.json") == full)
        #expect(try full.outputShape(for: [5, 4]) == [5, 6])
        let embedding = ModelDescription.sequential(layers: [.embedding(count: 10, dimension: 3), .flatten(startAxis: 1)])
        #expect(try Sequential<Double>(embedding).describe() == embedding)
        #expect(try embedding.outputShape(for: [2, 4]) == [2, 12])
    }

    @Test func theMLPPresetIsTheSameModelAsBefore() throws {
        var generator = RandomGenerator(seed: 5)
        let made = MultilayerPerceptron.make(inputSize: 3, hidden: [4], classes: 2, activation: .gelu, dropout: 0.3,
                                             using: &generator, dropoutSeed: 1005, as: Double.self)
        let rebuilt = try Sequential<Double>(made.describe(), seed: 5)
        #expect(made.stateEntries.map { $0.parameter.value.scalars } == rebuilt.stateEntries.map { $0.parameter.value.scalars })
    }

    @Test func aCustomLayerIsAnErrorNamingIt() {
        final class Affine: Layer {
            let scale = Parameter(Tensor<Double>.ones([2]))
            var isTraining = true
            var parameters: [(name: String, parameter: Parameter<Double>)] { [("scale", scale)] }
            func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> { x * scale.value }
        }
        let model = Sequential<Double> { Linear(2, 2); Residual { Affine() } }
        #expect(throws: ModelDescriptionError(layer: "layer 1.block.0", reason: "Affine cannot be described; only the library's layers can")) {
            try model.describe()
        }
    }

    @Test func checkpointsCarryTheDescriptionAndReloadWithoutFlags() throws {
        let model = try Sequential<Float>(description, seed: 3)
        let folder = try temporaryDirectory()
        try model.saveState(toFile: folder + "/state.safetensors")
        try TrainingCheckpoint<Float>().save(model: model, optimizer: nil, toFile: folder + "/run.safetensors")
        for name in ["state", "run"] {
            let path = "\(folder)/\(name).safetensors"
            let loaded = try #require(try Sequential<Float>.loadModel(from: SafeTensorsFile(contentsOfFile: path), path: path))
            #expect(try loaded.describe() == description)
            #expect(loaded.stateEntries.map { $0.parameter.value.scalars } == model.stateEntries.map { $0.parameter.value.scalars })
        }
    }

    @Test func aModelChecksThatItFitsTheData() throws {
        let model = try Sequential<Float>(.sequential(layers: [.linear(inputSize: 3, outputSize: 4, bias: true)]))
        let data = Dataset(features: Tensor<Float>.zeros([2, 3]), labels: [0, 3])
        #expect(try model.describe().checkFits(data, modelSource: "m.safetensors", dataName: "d.csv") == 4)
        #expect(throws: ModelDescriptionError(layer: "m.safetensors", reason: "the model gives 4 class scores, but d.csv has labels up to 4")) {
            try model.describe().checkFits(Dataset(features: Tensor<Float>.zeros([1, 3]), labels: [4]), modelSource: "m.safetensors", dataName: "d.csv")
        }
        #expect(throws: ModelDescriptionError(layer: "m.safetensors", reason: "the model cannot take the 5 features of d.csv: "
                                              + "layer 0: Linear takes 3 features, the input has shape [2, 5]")) {
            try model.describe().checkFits(Dataset(features: Tensor<Float>.zeros([1, 5]), labels: [0]), modelSource: "m.safetensors", dataName: "d.csv")
        }
    }

    @Test func aModelThatFitsOnlyABatchOfOneOrTakesNoIndicesIsRejected() throws {
        // LayerNorm over (1, 3) takes a batch of one only; a real batch would stop the process.
        let batchOfTwo = try Sequential<Float>(.sequential(layers: [.layerNorm(normalizedShape: [2, 3], epsilon: 1e-5, elementwiseAffine: true),
                                                                   .linear(inputSize: 3, outputSize: 2, bias: true)]))
        #expect(throws: ModelDescriptionError.self) { try batchOfTwo.describe().checkFits(Dataset(features: Tensor<Float>.zeros([4, 3]), labels: [0, 1, 0, 1]), modelSource: "m", dataName: "d") }
        let batchOfOne = try Sequential<Float>(.sequential(layers: [.layerNorm(normalizedShape: [1, 3], epsilon: 1e-5, elementwiseAffine: true),
                                                                   .linear(inputSize: 3, outputSize: 2, bias: true)]))
        let data = Dataset(features: Tensor<Float>.zeros([4, 3]), labels: [0, 1, 0, 1])
        #expect(throws: ModelDescriptionError.self) { try batchOfOne.describe().checkFits(data, modelSource: "m", dataName: "d") }
        // An embedding's inputs must be row indices.
        let embedded = try Sequential<Float>(.sequential(layers: [.embedding(count: 5, dimension: 2), .flatten(startAxis: 1),
                                                                 .linear(inputSize: 6, outputSize: 2, bias: true)]))
        let indices = Dataset(features: Tensor<Float>([[0, 4, 2], [1, 1, 3]]), labels: [0, 1])
        #expect(try embedded.describe().checkFits(indices, modelSource: "m", dataName: "d") == 2)
        let pixels = Dataset(features: Tensor<Float>([[0, 0.5, 2], [1, 1, 3]]), labels: [0, 1])
        #expect(throws: ModelDescriptionError(layer: "m", reason: "the model starts with an embedding of 5 rows, but d has the "
                                              + "feature value 0.5, which is not a row index")) {
            try embedded.describe().checkFits(pixels, modelSource: "m", dataName: "d")
        }
        // Only the model's input can be indices.
        let late = ModelDescription.sequential(layers: [.linear(inputSize: 3, outputSize: 3, bias: true), .embedding(count: 5, dimension: 2)])
        #expect(throws: ModelDescriptionError(layer: "layer 1", reason: "an embedding takes row indices, which no layer computes: it must come first")) {
            try late.outputShape(for: [2, 3])
        }
        // A LayerNorm whose size overflows cannot hide behind other layers' counts.
        let overflowing = ModelDescription.sequential(layers: [
            .layerNorm(normalizedShape: [1 << 32, 1 << 32], epsilon: 1e-5, elementwiseAffine: true), .linear(inputSize: 1, outputSize: 1, bias: true)])
        #expect(overflowing.problem() != nil)
    }

    @Test func badDescriptionsAreErrorsNamingTheLayer() {
        let cases: [(ModelDescription, String)] = [
            (.sequential(layers: [.linear(inputSize: 0, outputSize: 2, bias: true)]), "layer 0: Linear sizes"),
            (.sequential(layers: [.relu, .dropout(probability: 1.5)]), "layer 1: dropout probability 1.5"),
            (.sequential(layers: [.residual(block: .sequential(layers: [.batchNorm1d(featureCount: 2, epsilon: -1, momentum: 0.1, affine: true)]))]),
             "layer 0.block.0: BatchNorm1d"),
            (.sequential(layers: [.linear(inputSize: 1 << 40, outputSize: 1 << 20, bias: true)]), "InputLimits.maximumBytes"),
            (.relu, "the outermost layer must be a sequential model"),
        ]
        for (bad, fragment) in cases {
            do {
                _ = try Sequential<Float>(bad)
                Issue.record("no error for \(bad)")
            } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
        let mismatch = ModelDescription.sequential(layers: [.linear(inputSize: 4, outputSize: 3, bias: true), .linear(inputSize: 5, outputSize: 2, bias: true)])
        #expect(throws: ModelDescriptionError(layer: "layer 1", reason: "Linear takes 5 features, the input has shape [1, 3]")) {
            try mismatch.outputShape(for: [1, 4])
        }
        #expect(throws: ModelDescriptionError.self) { try ModelDescription(json: Array(#"{"conv9d":{}}"#.utf8), source: "m.json") }
    }
}
