import Foundation
import Testing
import EasyNets
@testable import EasyNetsTensorBoard

@Suite("TensorBoard examples")
struct TensorBoardDocumentationTests {
    /// The observer example: five epochs, each epoch's scalars equal to the trainer's metrics.
    @Test func observer() throws {
        try inScratchDirectory {
            // Documentation block: TensorBoard.md #1
            let (features, labels) = Spirals.make(pointsPerClass: 100, seed: 0, as: Float.self)
            let data = Dataset(features: features, labels: labels)
            let model = Sequential<Float> { Linear(2, 16); Tanh(); Linear(16, 2) }
            let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.01),
                                  loader: DataLoader(data, batchSize: 20, seed: 1), validationData: data)
            trainer.observers = [TensorBoardWriter(directory: "runs/spirals",
                                                   hyperparameters: ["optimizer": "adam", "learning_rate": 0.01, "hidden": 16])]
            try trainer.fit(epochs: 5)

            let events = try readEvents(inFolder: "runs/spirals")
            let losses = events.flatMap { event in
                event.summary.value.filter { $0.tag == "epoch/validation_loss" }.map { (event.step, $0.simpleValue) }
            }
            #expect(losses.map(\.0) == [1, 2, 3, 4, 5])
            #expect(losses.map(\.1) == trainer.history.map { Float($0.validationLoss ?? .nan) })
            let steps = events.flatMap { event in event.summary.value.filter { $0.tag == "batch/loss" }.map { _ in event.step } }
            #expect(steps == (1...50).map(Int64.init))  // 200 examples in batches of 20, 5 epochs
        }
    }

    /// The event file example: 100 scalars 1/step and a histogram worked by hand.
    @Test func eventFile() throws {
        try inScratchDirectory {
            // Documentation block: TensorBoard.md #2
            try TensorBoardWriter<Float>.prepare(directory: "runs/custom")   // creates the folder
            let file = try EventFileWriter(directory: "runs/custom")
            for step in 1...100 {
                try file.addScalar(1 / Double(step), tag: "custom/decay", step: step)
            }
            try file.addHistograms([("custom/values", Histogram([0.5, 1.5, 2.5, 2.75] as [Double], bucketCount: 3))], step: 100)
            try file.close()

            let events = try readEvents(inFolder: "runs/custom")
            let scalars = events.flatMap { event in event.summary.value.filter { $0.tag == "custom/decay" }.map { (event.step, $0.simpleValue) } }
            #expect(scalars.map(\.0) == (1...100).map(Int64.init))
            #expect(scalars.map(\.1) == (1...100).map { Float(1 / Double($0)) })
            // Width (2.75 − 0.5)/3 = 0.75: limits 1.25, 2, 2.75; counts 0.5 | 1.5 | 2.5, 2.75.
            let histogram = try #require(events.last?.summary.value.first).histo
            #expect(histogram.bucketLimit == [1.25, 2, 2.75] && histogram.bucket == [1, 1, 2])
        }
    }
}
