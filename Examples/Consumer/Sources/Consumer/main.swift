// Uses EasyNets as a dependency, as a user's package would: trains a small classifier on two
// interleaved spirals it makes itself, with Sequential, Adam and the library's Trainer, and a
// regressor of a smooth function of two inputs with the mean squared error, and exits non-zero
// unless the classifier separates the spirals far better than chance (0.5) and the regressor
// explains most of its targets' variance (R² ≥ 0.9).
import EasyNets
#if canImport(Glibc)
import Glibc
#endif

let (features, labels) = Spirals.make(pointsPerClass: 500, noise: 0.02, seed: 1, as: Float.self)
let (testFeatures, testLabels) = Spirals.make(pointsPerClass: 200, noise: 0.02, seed: 2, as: Float.self)
let train = Dataset(features: features, labels: labels)
let test = Dataset(features: testFeatures, labels: testLabels)

var generator = RandomGenerator(seed: 0)
let model = Sequential<Float> {
    Linear(2, 64, using: &generator)
    ReLU()
    Linear(64, 64, using: &generator)
    ReLU()
    Linear(64, 2, using: &generator)
}
let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.01),
                      loader: DataLoader(train, batchSize: 32, seed: 3), validationData: test)
try trainer.fit(epochs: 40)

let accuracy = evaluate(model, on: test).accuracy
print("consumer: test accuracy \(String(accuracy, style: .fixed(4))) on two spirals after \(trainer.epoch) epochs "
      + "with EasyNets \(EasyNetsVersion.current) on \(BLASRuntime.coreName)")
guard accuracy >= 0.9 else {
    print("consumer: FAILED, expected a test accuracy of at least 0.9")
    exit(1)
}

// A regressor: y = sin(3·x₁) + x₂² from inputs in [−1, 1]², with a held-out validation part.
let inputs = Tensor<Float>.uniform([1200, 2], low: -1, high: 1, using: &generator)
let targets = Tensor<Float>(inputs.scalars.indices.filter { $0 % 2 == 0 }.map { i in
    Float(sin(3 * Double(inputs.scalars[i])) + Double(inputs.scalars[i + 1] * inputs.scalars[i + 1]))
}, shape: [1200, 1])
let (fit, held) = Dataset(features: inputs, targets: targets).split(validationFraction: 0.2, seed: 4)
let regressor = Sequential<Float> {
    Linear(2, 64, using: &generator)
    Tanh()
    Linear(64, 1, using: &generator)
}
let regression = Trainer(model: regressor, optimizer: Adam(regressor.trainableParameters, learningRate: 0.01),
                         loader: DataLoader(fit, batchSize: 32, seed: 5), validationData: held, loss: .meanSquaredError)
try regression.fit(epochs: 60)
let r2 = try evaluate(regressor, on: held, loss: .meanSquaredError, metrics: [.r2])["r2"] ?? 0
print("consumer: validation R² \(String(r2, style: .fixed(4))) for a regressor of sin(3·x₁) + x₂² after \(regression.epoch) epochs")
guard r2 >= 0.9 else {
    print("consumer: FAILED, expected a validation R² of at least 0.9")
    exit(1)
}
