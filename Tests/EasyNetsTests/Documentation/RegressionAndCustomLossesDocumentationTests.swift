import Foundation
import Testing
import EasyNets

@Suite("Regression, multi-label targets and custom losses examples")
struct RegressionAndCustomLossesDocumentationTests {
    /// A linear regressor recovers its target: the reported metrics are those of the model.
    @Test func regressor() throws {
        // Documentation block: RegressionAndCustomLosses.md #1
        var generator = RandomGenerator(seed: 0)
        let x = Tensor<Double>.uniform([500, 3], low: -1, high: 1, using: &generator)
        let y = matmul(x, Tensor<Double>([[2], [-1], [0.5]])) + 0.3           // (500, 1)
        let (train, validation) = Dataset(features: x, targets: y).split(validationFraction: 0.2, seed: 0)
        let model = Sequential<Double> { Linear(3, 1, using: &generator) }
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.05),
                              loader: DataLoader(train, batchSize: 32, seed: 1), validationData: validation,
                              loss: .meanSquaredError, metrics: [.meanAbsoluteError, .rootMeanSquaredError, .r2])
        try trainer.fit(epochs: 40)
        let last = trainer.history.last!
        print(last.value(.r2, on: .validation)!, last.value(.rootMeanSquaredError, on: .validation)!)

        // The validation values, recomputed by hand from the final model's outputs.
        let output = withoutGradients { model(validation.features) }.scalars, target = validation.targets.valueTensor.scalars
        let n = Double(target.count), mean = target.reduce(0, +) / n
        let squared = zip(output, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let spread = target.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        expectClose(last.value(.rootMeanSquaredError, on: .validation)!, (squared / n).squareRoot(), tolerance: 1e-12)
        expectClose(last.value(.r2, on: .validation)!, 1 - squared / spread, tolerance: 1e-10)
        expectClose(last.value(.meanAbsoluteError, on: .validation)!, zip(output, target).reduce(0) { $0 + abs($1.0 - $1.1) } / n,
                    tolerance: 1e-12)
        #expect(last.value(.r2, on: .validation)! > 0.99)
        let weights = model.namedParameters.map { $0.parameter.value.scalars }
        expectClose(weights[0], [2, -1, 0.5], tolerance: 0.05)
        expectClose(weights[1], [0.3], tolerance: 0.05)
    }

    /// Three labels per example, each learned.
    @Test func multiLabel() throws {
        // Documentation block: RegressionAndCustomLosses.md #2
        var generator = RandomGenerator(seed: 1)
        let x = Tensor<Double>.normal([400, 2], using: &generator)
        let labels = Tensor<Double>(x.scalars.indices.filter { $0 % 2 == 0 }.flatMap { i in
            [x.scalars[i] > 0 ? 1 : 0, x.scalars[i + 1] > 0 ? 1 : 0, x.scalars[i] + x.scalars[i + 1] > 0 ? 1 : 0]
        }, shape: [400, 3])
        let model = Sequential<Double> { Linear(2, 16, using: &generator); Tanh(); Linear(16, 3, using: &generator) }
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.05),
                              loader: DataLoader(Dataset(features: x, targets: labels), batchSize: 32, seed: 2),
                              loss: .binaryCrossEntropyWithLogits, metrics: [.accuracy])
        try trainer.fit(epochs: 30)
        print(trainer.history.last!.value(.accuracy, on: .train)!)     // the fraction of labels right

        // Counted by hand with the final model: a label is right when its logit's sign matches.
        let logits = withoutGradients { model(x) }.scalars
        let right = zip(logits, labels.scalars).filter { ($0.0 > 0) == ($0.1 > 0.5) }.count
        #expect(Double(right) / 1200 > 0.95, "\(right) of 1200 labels")
        #expect(trainer.history.last!.value(.accuracy, on: .train)! > 0.9)
    }

    /// The pinball loss finds the 90th percentile of standard normal noise.
    @Test func customLoss() throws {
        // Documentation block: RegressionAndCustomLosses.md #3
        let pinball = Loss<Double>(name: "pinball 0.9") { output, targets in
            let error = targets.valueTensor - output
            return maximum(error * 0.9, error * -0.1).mean()
        }
        var generator = RandomGenerator(seed: 2)
        let noise = Tensor<Double>.normal([2000, 1], using: &generator)
        let data = Dataset(features: Tensor<Double>.ones([2000, 1]), targets: noise)
        let model = Sequential<Double> { Linear(1, 1, bias: false, using: &generator) }
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.05),
                              loader: DataLoader(data, batchSize: 100, seed: 3), loss: pinball, metrics: [])
        try trainer.fit(epochs: 30)
        print(model(Tensor<Double>.ones([1, 1])).scalar)              // near 1.28, the normal's 90th percentile

        // The sample's own 90th percentile, by sorting: the loss's minimizer lies near it.
        let sorted = noise.scalars.sorted()
        let prediction = model(Tensor<Double>.ones([1, 1])).scalar
        #expect(abs(prediction - sorted[1800]) < 0.1, "\(prediction) vs the sample's 90th percentile \(sorted[1800])")
        let below = noise.scalars.filter { $0 < prediction }.count
        #expect((1700...1900).contains(below), "\(below) of 2000 below the prediction")
    }

    /// Plateau, early stopping on R² and accumulation, together.
    @Test func validationPlateauAccumulation() throws {
        // Documentation block: RegressionAndCustomLosses.md #4
        var generator = RandomGenerator(seed: 4)
        let x = Tensor<Double>.uniform([600, 2], low: -1, high: 1, using: &generator)
        let y = matmul(x, Tensor<Double>([[1], [-2]]))
        let (train, validation) = Dataset(features: x, targets: y).split(validationFraction: 0.25, seed: 5)
        let model = Sequential<Double> { Linear(2, 1, using: &generator) }
        let optimizer = SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9)
        let trainer = Trainer(model: model, optimizer: optimizer,
                              plateau: ReduceOnPlateau(optimizer: optimizer, factor: 0.5, patience: 1),
                              loader: DataLoader(train, batchSize: 16, seed: 6), validationData: validation,
                              loss: .meanSquaredError, accumulationSteps: 4)  // steps of 64 examples
        trainer.observers = [EarlyStopping(monitor: "validation_r2", patience: 3, restoresBestWeights: true)]
        let outcome = try trainer.fit(epochs: 50)
        print(outcome, trainer.step, optimizer.learningRate)

        // 450 training examples in batches of 16: 29 batches, so 8 steps an epoch (the last of 1 batch).
        #expect(train.count == 450 && trainer.step == trainer.epoch * 8)
        #expect(trainer.monitor == "validation_loss")
        // The rate halves only after an epoch that did not improve the validation loss by the threshold.
        let rates = trainer.history.map(\.learningRate)
        for (epoch, pair) in zip(rates, rates.dropFirst()).enumerated() where pair.1 != pair.0 {
            #expect(pair.1 == pair.0 * 0.5, "epoch \(epoch + 2): \(pair)")
        }
        #expect(trainer.history.last!.value(.r2, on: .validation)! > 0.999)
    }
}
