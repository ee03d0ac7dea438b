import EasyNets
import Foundation
import Testing
@testable import EasyNetsTensorBoard

@Suite("TensorBoard writer")
struct TensorBoardWriterTests {
    /// A three-epoch run on spirals: each epoch's scalars equal the trainer's EpochMetrics (as
    /// Float), each step has its loss, every parameter and gradient has a histogram per epoch,
    /// and the model summary and the settings are written once.
    @Test func trainerRunMatchesEpochMetrics() throws {
        let folder = try temporaryFolder() + "/runs/a"  // created by the writer
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (features, labels) = Spirals.make(pointsPerClass: 40, seed: 3, as: Double.self)
        let data = Dataset(features: features, labels: labels)
        var generator = RandomGenerator(seed: 4)
        let (hidden, output) = (Linear<Double>(2, 8, using: &generator), Linear<Double>(8, 2, using: &generator))
        let model = Sequential<Double> { hidden; Tanh(); output }
        let optimizer = SGD(model.trainableParameters, learningRate: 0.1)
        let trainer = Trainer(model: model, optimizer: optimizer,
                              scheduler: LearningRateScheduler(optimizer: optimizer, schedule: StepSchedule(stepSize: 1, gamma: 0.5)),
                              loader: DataLoader(data, batchSize: 16, seed: 5), validationData: data)
        let steps = LossRecorder()
        trainer.observers = [steps, TensorBoardWriter(directory: folder, hyperparameters: ["optimizer": "sgd", "epochs": 3])]
        try trainer.fit(epochs: 3)

        let events = try readEvents(inFolder: folder)
        var scalars: [String: [(step: Int64, value: Float)]] = [:]
        var histogramTags: [String: [Int64]] = [:]
        var plugins: [String: String] = [:]
        for event in events {
            for value in event.summary.value {
                switch value.value {
                case .simpleValue(let scalar): scalars[value.tag, default: []].append((event.step, scalar))
                case .histo: histogramTags[value.tag, default: []].append(event.step)
                default: plugins[value.tag] = value.metadata.pluginData.pluginName
                }
            }
        }
        #expect(trainer.history.count == 3)
        for record in trainer.history {
            for (name, value) in record.values {
                let written = scalars["epoch/" + name]?.first { $0.step == Int64(record.epoch) }
                #expect(written?.value == Float(value), "epoch \(record.epoch) \(name)")
            }
            #expect(scalars["epoch/learning_rate"]?.first { $0.step == Int64(record.epoch) }?.value == Float(record.learningRate))
        }
        // The halving schedule: epoch e used 0.1·0.5^(e−1).
        #expect(scalars["epoch/learning_rate"]?.map(\.value) == [0.1, 0.05, 0.025])
        #expect(scalars["epoch/train_loss"]?.count == 3 && scalars["epoch/validation_accuracy"]?.count == 3)
        // Steps: 80 examples in batches of 16, 5 steps an epoch.
        #expect(scalars["batch/loss"]?.map(\.step) == (1...15).map(Int64.init))
        #expect(scalars["batch/loss"]?.map(\.value) == steps.losses.map(Float.init))
        #expect(scalars["batch/learning_rate"]?.map(\.value) == [0.1, 0.05, 0.025].flatMap { Array(repeating: Float($0), count: 5) })
        for (name, _) in model.namedParameters {
            #expect(histogramTags["parameters/" + name] == [1, 2, 3], "\(name)")
            #expect(histogramTags["gradients/" + name] == [1, 2, 3], "\(name)")
        }
        #expect(plugins["model/summary"] == "text")
        #expect(plugins["_hparams_/session_start_info"] == "hparams" && plugins["_hparams_/session_end_info"] == "hparams")
    }

    /// A folder path that is a file fails before training, naming it.
    @Test func unusableFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/taken"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        let error = try #require(throws: DataError.self) { try TensorBoardWriter<Float>.prepare(directory: file) }
        #expect(error.path == file)
    }
}

/// Keeps each step's loss.
final class LossRecorder: TrainingObserver {
    typealias Scalar = Double
    var losses: [Double] = []
    func batchDidEnd(_ trainer: Trainer<Double>, _ batch: BatchReport) throws { losses.append(batch.loss) }
}
