import Foundation
import Testing
@testable import EasyNets

// The Trainer with an optimizer that re-evaluates (LBFGS) and with a moving average of the weights.

/// Every parameter of a trainer's model, by value.
private func values(_ trainer: Trainer<Double>) -> [[Double]] { trainer.model.stateEntries.map { $0.parameter.value.scalars } }

/// A temporary file path, removed by the caller.
private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).safetensors").path
}

@Suite struct ReevaluatingTrainerTests {
    let train = regressionData(count: 24, seed: 11)

    private func lbfgsTrainer(batchSize: Int = 8, shuffle: Bool = true, accumulationSteps: Int = 1) -> Trainer<Double> {
        var generator = RandomGenerator(seed: 12)
        let model = Linear<Double>(3, 2, using: &generator)
        return Trainer(model: model, optimizer: LBFGS(model.trainableParameters, maxIterations: 4, historySize: 5, lineSearch: .strongWolfe),
                       loader: DataLoader(train, batchSize: batchSize, shuffle: shuffle, seed: 13), loss: .meanSquaredError,
                       accumulationSteps: accumulationSteps)
    }

    /// The trainer's steps are those of a hand-written loop calling `step(evaluating:)` with a
    /// closure over the same batches, bit for bit, and the loss falls.
    @Test func lbfgsTrainsAsAHandWrittenLoop() throws {
        let trainer = lbfgsTrainer()
        let before = try evaluate(trainer.model, on: train, loss: .meanSquaredError, metrics: [])["loss"]!
        try trainer.fit(epochs: 2)

        var generator = RandomGenerator(seed: 12)
        let model = Linear<Double>(3, 2, using: &generator)
        let optimizer = LBFGS(model.trainableParameters, maxIterations: 4, historySize: 5, lineSearch: .strongWolfe)
        var loader = DataLoader(train, batchSize: 8, seed: 13)
        var stepLosses: [Double] = []
        var calls = 0
        for _ in 0..<2 {
            for batch in loader.epoch() {
                let examples = try batch.examples()
                stepLosses.append(optimizer.step {
                    calls += 1
                    optimizer.zeroGradients()
                    let loss = Loss<Double>.meanSquaredError(model(examples.features), examples.targets)
                    loss.backward()
                    return Double(loss.scalar)
                })
            }
        }
        #expect(calls > 2 * stepLosses.count, "the line search re-evaluates")
        #expect(optimizer.evaluationCount == calls)
        #expect((trainer.optimizer as? LBFGS<Double>)?.evaluationCount == calls)
        for (actual, expected) in zip(values(trainer), model.stateEntries.map { $0.parameter.value.scalars }) {
            expectEqualScalars(actual, expected)
        }
        // The epoch's training loss is the mean of the steps' first evaluations (equal batches).
        expectClose(trainer.history[1].values["train_loss"]!, stepLosses[3...].reduce(0, +) / 3, tolerance: 1e-12)
        let after = try evaluate(trainer.model, on: train, loss: .meanSquaredError, metrics: [])["loss"]!
        #expect(after < 0.5 * before, "loss \(before) → \(after)")
        #expect(trainer.history[1].values["train_loss"]! < trainer.history[0].values["train_loss"]!)
    }

    /// With gradient accumulation the closure covers every micro-batch of the step: two batches of
    /// 6 per step take the steps of batches of 12, to rounding.
    @Test func lbfgsClosureCoversTheAccumulatedMicroBatches() throws {
        let accumulated = lbfgsTrainer(batchSize: 6, shuffle: false, accumulationSteps: 2)
        let whole = lbfgsTrainer(batchSize: 12, shuffle: false)
        try accumulated.fit(epochs: 1)
        try whole.fit(epochs: 1)
        #expect(accumulated.step == 2 && whole.step == 2)
        for (actual, expected) in zip(values(accumulated), values(whole)) { expectClose(actual, expected, tolerance: 1e-9) }
        expectClose(accumulated.history[0].values["train_loss"]!, whole.history[0].values["train_loss"]!, tolerance: 1e-12)
    }

    /// A run interrupted after 2 steps and resumed from its checkpoint ends as the whole run, bit
    /// for bit: L-BFGS's history and counters are in the trainer's checkpoint.
    @Test func lbfgsRunsResumeIdentically() throws {
        let path = temporaryPath("lbfgs-trainer")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let whole = lbfgsTrainer()
        try whole.fit(epochs: 2)
        let first = lbfgsTrainer()
        first.observers = [CancelAfter<Double>(step: 2)]
        #expect(try first.fit(epochs: 2) == .cancelled)
        try first.saveCheckpoint(toFile: path)
        let resumed = lbfgsTrainer()
        try resumed.resume(fromFile: path)
        #expect((resumed.optimizer as? LBFGS<Double>)?.iterationCount == (first.optimizer as? LBFGS<Double>)?.iterationCount)
        try resumed.fit(epochs: 2)
        for (actual, expected) in zip(values(resumed), values(whole)) { expectEqualScalars(actual, expected) }
        #expect(resumed.history.last?.values == whole.history.last?.values)
    }
}

@Suite struct TrainerMovingAverageTests {
    let train = regressionData(count: 30, seed: 21), validation = regressionData(count: 10, seed: 22)

    private func trainer(movingAverage: Bool = true) -> Trainer<Double> {
        let trainer = linearRegressionTrainer(train, validation: validation, seed: 23, batchSize: 6) { SGD($0, learningRate: 0.1, momentum: 0.9) }
        if movingAverage { trainer.movingAverage = ExponentialMovingAverage(of: trainer.model, decay: 0.8) }
        return trainer
    }

    /// The trainer updates the average after each step (as the observer does), validates with the
    /// averaged weights, and trains on from the raw ones.
    @Test func validationUsesTheAveragedWeights() throws {
        let withAverage = trainer(), observed = trainer(movingAverage: false)
        let observer = ExponentialMovingAverage(of: observed.model, decay: 0.8)
        observed.observers = [observer]
        try withAverage.fit(epochs: 2)
        try observed.fit(epochs: 2)
        let average = try #require(withAverage.movingAverage)
        #expect(average.updateCount == 10)
        for (actual, expected) in zip(average.averagedValues, observer.averagedValues) { expectEqualScalars(actual.scalars, expected.scalars) }
        for (actual, expected) in zip(values(withAverage), values(observed)) { expectEqualScalars(actual, expected) }
        #expect(values(withAverage) != average.averagedValues.map(\.scalars), "the model keeps its raw weights")
        average.swap()
        let averaged = try evaluate(withAverage.model, on: validation, loss: .meanSquaredError, metrics: withAverage.metrics)
        average.swap()
        for (name, value) in averaged {
            expectClose(withAverage.history[1].values["validation_" + name]!, value, tolerance: 1e-12, "validation_\(name)")
        }
        #expect(withAverage.history[1].values["validation_loss"] != observed.history[1].values["validation_loss"])
    }

    /// The average is in the trainer's checkpoint: a resumed run ends with the averages, weights
    /// and validation values of the whole run.
    @Test func theAverageResumesWithTheRun() throws {
        let path = temporaryPath("ema-trainer")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let whole = trainer()
        try whole.fit(epochs: 2)
        let first = trainer()
        first.observers = [CancelAfter<Double>(step: 7)]
        #expect(try first.fit(epochs: 2) == .cancelled)
        try first.saveCheckpoint(toFile: path)
        let resumed = trainer()
        try resumed.resume(fromFile: path)
        #expect(resumed.movingAverage?.updateCount == 7)
        try resumed.fit(epochs: 2)
        for (actual, expected) in zip(resumed.movingAverage!.averagedValues, whole.movingAverage!.averagedValues) {
            expectEqualScalars(actual.scalars, expected.scalars)
        }
        for (actual, expected) in zip(values(resumed), values(whole)) { expectEqualScalars(actual, expected) }
        #expect(resumed.history.last?.values == whole.history.last?.values)

        // The averages load into a model for use, and a run with an average needs them in its checkpoint.
        let model = Linear<Double>(3, 2)
        #expect(try ExponentialMovingAverage<Double>.loadAverages(into: model, from: SafeTensorsFile(contentsOfFile: path)))
        #expect(model.stateEntries.map { $0.parameter.value.scalars } == first.movingAverage!.averagedValues.map(\.scalars))
        let plain = trainer(movingAverage: false)
        try plain.saveCheckpoint(toFile: path)
        #expect(try !ExponentialMovingAverage<Double>.loadAverages(into: model, from: SafeTensorsFile(contentsOfFile: path)))
        let needsAverage = trainer()
        #expect(throws: CheckpointError.self) { try needsAverage.resume(fromFile: path) }
        #expect(needsAverage.movingAverage?.updateCount == 0)
    }
}
