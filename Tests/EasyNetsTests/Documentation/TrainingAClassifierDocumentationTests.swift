import Foundation
import Testing
import EasyNets

@Suite("Training a classifier example")
struct TrainingAClassifierDocumentationTests {
    /// Fashion-MNIST with a validation split, early stopping and a per-class report.
    @Test func fashionMNIST() throws {
        // Documentation block: TrainingAClassifier.md #1
        let (train, validation) = try FashionMNIST.load(.train, as: Float.self).prefix(6_000).split(validationFraction: 0.1, seed: 0)
        let test = try FashionMNIST.load(.test, as: Float.self).prefix(2_000)
        RandomGenerator.seedShared(0)
        let model = Sequential<Float> {
            Linear(784, 256); ReLU(); Dropout(probability: 0.2, seed: 1)
            Linear(256, 128); ReLU()
            Linear(128, 10)
        }
        let optimizer = Adam(model.trainableParameters, learningRate: 1e-3)
        let trainer = Trainer(model: model, optimizer: optimizer,
                              scheduler: LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 5)),
                              loader: DataLoader(train, batchSize: 128, seed: 1), validationData: validation)
        trainer.observers = [DivergenceGuard(), ProgressBar(epochs: 5), EarlyStopping(monitor: "validation_loss", patience: 2)]
        try trainer.fit(epochs: 5)
        let result = evaluate(model, on: test)        // evaluation mode, no tape
        print(result.accuracy, result.loss)
        print(result.report.formatted(classNames: FashionMNIST.classNames))

        #expect(train.count + validation.count == 6_000 && test.count == 2_000)
        #expect((1...5).contains(trainer.history.count))
        // The report is the argmax of the model's scores in evaluation mode, counted by loops.
        model.eval()
        let scores = withoutGradients { model(test.features) }
        let plain = plainPredictionsAndLosses(scores: scores, labels: test.labels)
        #expect(result.predictions == plain.predictions)
        expectClose(result.loss, plain.losses.reduce(0, +) / Double(plain.losses.count), tolerance: 1e-5)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: 10), count: 10)
        for (label, prediction) in zip(test.labels, plain.predictions) { confusion[label][prediction] += 1 }
        #expect(result.report.confusion == confusion)
        #expect(result.accuracy == Double((0..<10).map { confusion[$0][$0] }.reduce(0, +)) / 2_000)
        for c in 0..<10 {
            let predicted = (0..<10).map { confusion[$0][c] }.reduce(0, +), actual = confusion[c].reduce(0, +)
            expectClose(result.report.precision(c), predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted), tolerance: 1e-15)
            expectClose(result.report.recall(c), actual == 0 ? 0 : Double(confusion[c][c]) / Double(actual), tolerance: 1e-15)
        }
        let formatted = result.report.formatted(classNames: FashionMNIST.classNames)
        #expect(FashionMNIST.classNames.allSatisfy { formatted.contains($0) })
        #expect(result.accuracy > 0.7, "\(result.accuracy)")
    }

    /// The article's stated defaults are the tool's.
    @Test func statedRecipe() throws {
        let text = try documentationText("TrainingAClassifier.md")
        #expect(text.contains("0.8929 test accuracy"))
        #expect(FashionMNIST.defaultDirectory == "/usr/share/datasets/fashion-mnist" && text.contains(FashionMNIST.defaultDirectory))
        #expect(FashionMNIST.imageShape.reduce(1, *) == 784)
    }
}
