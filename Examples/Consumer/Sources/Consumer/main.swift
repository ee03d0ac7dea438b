// Uses EasyNets as a dependency, as a user's package would: trains a small classifier on two
// interleaved spirals it makes itself, with Sequential, Adam and the library's Trainer, and exits
// non-zero unless the model separates them far better than chance (0.5).
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
                      loader: DataLoader(train, batchSize: 32, seed: 3), evaluationData: test)
try trainer.fit(epochs: 40)

let accuracy = evaluate(model, on: test).accuracy
print("consumer: test accuracy \(String(accuracy, style: .fixed(4))) on two spirals after \(trainer.epoch) epochs "
      + "with EasyNets \(EasyNetsVersion.current) on \(BLASRuntime.coreName)")
guard accuracy >= 0.9 else {
    print("consumer: FAILED, expected a test accuracy of at least 0.9")
    exit(1)
}
