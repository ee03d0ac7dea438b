import Foundation
import Testing
import EasyNets  // not @testable: the documentation's code must work through the public API alone

@Suite("README examples")
struct ReadmeDocumentationTests {
    /// "Train a model in Swift": three epochs on 6 000 Fashion-MNIST images.
    @Test func trainAModel() throws {
        // Documentation block: README.md #1
        let train = try FashionMNIST.load(.train, as: Float.self).prefix(6_000)
        let test = try FashionMNIST.load(.test, as: Float.self).prefix(1_000)
        RandomGenerator.seedShared(0)
        let model = Sequential<Float> {
            Linear(784, 128)
            ReLU()
            Linear(128, 10)
        }
        let optimizer = Adam(model.trainableParameters, learningRate: 1e-3)
        let trainer = Trainer(model: model, optimizer: optimizer,
                              loader: DataLoader(train, batchSize: 64, seed: 1), validationData: test)
        trainer.observers = [ProgressBar(epochs: 3)]
        try trainer.fit(epochs: 3)
        let result = evaluate(model, on: test)
        print("test accuracy:", result.accuracy)

        #expect(train.count == 6_000 && test.count == 1_000)
        #expect(trainer.epoch == 3 && trainer.history.count == 3)
        // 6 000 examples in batches of 64: ⌈6000/64⌉ = 94 steps an epoch.
        #expect(trainer.step == 3 * 94)
        // The evaluation is the model's scores, argmax and cross-entropy, computed here by loops.
        let scores = withoutGradients { model(test.features) }
        let plain = plainAccuracyAndLoss(scores: scores, labels: test.labels)
        #expect(result.accuracy == plain.accuracy)
        expectClose(result.loss, plain.loss, tolerance: 1e-5)
        // Far above chance (0.1) after three epochs.
        #expect(result.accuracy > 0.6, "\(result.accuracy)")
        // The epoch's test columns are that same evaluation.
        #expect(trainer.history.last!.value(.accuracy, on: .validation) == result.accuracy)
    }

    /// The README states the same model/data facts its example relies on.
    @Test func statedFacts() throws {
        let readme = try documentationText("README.md")
        #expect(readme.components(separatedBy: "\n").count <= 201, "README.md has at most 200 lines")
        #expect(readme.contains("Apache License 2.0, see LICENSE."))
        // Every article the README links to exists.
        let articles = Set(try documentationFiles().map(\.name))
        for link in readme.components(separatedBy: "EasyNets.docc/").dropFirst() {
            let name = String(link.prefix { $0 != ")" })
            #expect(articles.contains(name), "README links to \(name)")
        }
        // …and every article is linked from the README.
        for name in articles where name != "README.md" && name != "EasyNets.md" {
            #expect(readme.contains("EasyNets.docc/\(name))"), "README does not link \(name)")
        }
    }
}
