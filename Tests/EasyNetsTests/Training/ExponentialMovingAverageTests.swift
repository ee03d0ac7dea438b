import Foundation
import Testing
@testable import EasyNets

/// The averages of the weights in optimizers_extra.json (scripts/fixtures/make_optimizers_extra_fixture.py).
struct MovingAverageFixture: Decodable {
    struct Averages: Decodable {
        var decay, learning_rate, momentum: Double
        var averages: [[[Double]]]
        var warmup_averages: [[[Double]]]
    }
    var ema: Averages
}

/// The exponential moving average against torch.optim.swa_utils.AveragedModel.
@Suite struct ExponentialMovingAverageTests {
    let f: ParameterGroupFixture
    let averages: MovingAverageFixture.Averages
    init() throws {
        f = try loadFixture("optimizers_extra.json", as: ParameterGroupFixture.self)
        averages = try loadFixture("optimizers_extra.json", as: MovingAverageFixture.self).ema
    }

    func model() -> Sequential<Double> {
        let model = Sequential<Double> { Linear(3, 4); ReLU(); Linear(4, 2) }
        for (named, (_, parameter)) in zip(f.initial, model.namedParameters) {
            parameter.assign(Tensor(named.values, shape: named.shape))
        }
        return model
    }

    func trainStep(_ model: Sequential<Double>, _ optimizer: SGD<Double>) {
        optimizer.zeroGradients()
        meanSquaredError(model(f.inputs.tensor), f.targets.tensor).backward()
        optimizer.step()
    }

    /// The plain and the warmed-up averages after each SGD step, in Double to 1e-12.
    @Test func averagesMatchTorch() {
        for (warmup, expected) in [(false, averages.averages), (true, averages.warmup_averages)] {
            let model = model()
            let optimizer = SGD(model.trainableParameters, learningRate: averages.learning_rate, momentum: averages.momentum)
            let ema = ExponentialMovingAverage(of: model, decay: averages.decay, warmup: warmup)
            for step in expected {
                trainStep(model, optimizer)
                ema.update()
                for (index, values) in step.enumerated() {
                    expectClose(ema.averagedValues[index].scalars, values, tolerance: 1e-12, "warmup \(warmup) update \(ema.updateCount)")
                }
            }
        }
    }

    /// swap exchanges twice back to the start; copy overwrites the parameters.
    @Test func swapAndCopy() {
        let model = model()
        let optimizer = SGD(model.trainableParameters, learningRate: 0.05)
        let ema = ExponentialMovingAverage(of: model, decay: 0.5)
        for _ in 0..<3 {
            trainStep(model, optimizer)
            ema.update()
        }
        let trained = model.namedParameters.map(\.parameter.value.scalars)
        let averaged = ema.averagedValues.map(\.scalars)
        #expect(trained != averaged)
        ema.swap()
        #expect(model.namedParameters.map(\.parameter.value.scalars) == averaged)
        #expect(ema.averagedValues.map(\.scalars) == trained)
        ema.swap()
        #expect(model.namedParameters.map(\.parameter.value.scalars) == trained)
        ema.copy()
        #expect(model.namedParameters.map(\.parameter.value.scalars) == averaged)
        #expect(model.namedParameters.allSatisfy { $0.parameter.value.requiresGradient })
    }

    /// The averages and the update count round-trip through a training checkpoint; a checkpoint
    /// without them, or for another model, is an error that changes nothing.
    @Test func averagesRoundTripThroughCheckpoints() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ema-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = model()
        let optimizer = SGD(model.trainableParameters, learningRate: 0.05)
        let ema = ExponentialMovingAverage(of: model, decay: 0.9, warmup: true)
        for _ in 0..<3 {
            trainStep(model, optimizer)
            ema.update()
        }
        try TrainingCheckpoint<Double>(step: 3).save(model: model, optimizer: optimizer, toFile: path)
        let restored = ExponentialMovingAverage(of: model, decay: 0.9, warmup: true)
        #expect(throws: CheckpointError.self) { try restored.load(fromCheckpoint: path) }
        try ema.save(toCheckpoint: path)
        try restored.load(fromCheckpoint: path)
        #expect(restored.updateCount == 3 && restored.nextDecay == ema.nextDecay)
        #expect(restored.averagedValues.map(\.scalars) == ema.averagedValues.map(\.scalars))
        // The model and optimizer still load from the file with the averages in it.
        _ = try TrainingCheckpoint<Double>.load(model: model, optimizer: optimizer, fromFile: path)
        let other = ExponentialMovingAverage(of: Sequential<Double> { Linear(3, 5) })
        #expect(throws: CheckpointError.self) { try other.load(fromCheckpoint: path) }
        #expect(other.updateCount == 0)
    }

    /// As a trainer's observer it updates once per optimizer step.
    @Test func updatesAfterEachTrainerStep() throws {
        var generator = RandomGenerator(seed: 5)
        let model = Sequential<Double> { Linear(2, 1, using: &generator) }
        let ema = ExponentialMovingAverage(of: model, decay: 0.9)
        let x = Tensor<Double>([[1, 2], [3, 4], [5, 6], [7, 8]]), y = Tensor<Double>([[1], [2], [3], [4]])
        let loader = DataLoader(Dataset(features: x, targets: y), batchSize: 2, shuffle: false)
        let trainer = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.001),
                              loader: loader, loss: .meanSquaredError)
        trainer.observers.append(ema)
        try trainer.fit(epochs: 2)
        #expect(ema.updateCount == 4)
    }
}
