import Testing
@testable import EasyNets

// Gradient accumulation: N micro-batches of B per optimizer step take the step one batch of B·N
// takes (the shuffle order does not depend on the batch size), and a run with accumulation
// resumes from any step.

/// 23 examples: batches of B·N leave a last partial one, and so does the last group of N batches of B.
private func examples() -> Dataset<Double> { regressionData(count: 23, seed: 31) }

/// A trainer of a fresh 3-6-2 MLP (the same weights for the same `seed`) on the examples,
/// shuffled with one seed whatever the batch size.
private func makeTrainer(batchSize: Int, accumulationSteps: Int, seed: UInt64 = 32,
                         optimizer makeOptimizer: ([Parameter<Double>]) -> any Optimizer<Double>) -> Trainer<Double> {
    var generator = RandomGenerator(seed: seed)
    let model = Sequential<Double> {
        Linear(3, 6, using: &generator)
        Tanh()
        Linear(6, 2, using: &generator)
    }
    return Trainer(model: model, optimizer: makeOptimizer(model.trainableParameters),
                   loader: DataLoader(examples(), batchSize: batchSize, seed: 33), loss: .meanSquaredError,
                   accumulationSteps: accumulationSteps)
}

private func momentum(_ parameters: [Parameter<Double>]) -> any Optimizer<Double> {
    SGD(parameters, learningRate: 0.05, momentum: 0.9)
}

private func adam(_ parameters: [Parameter<Double>]) -> any Optimizer<Double> { Adam(parameters, learningRate: 0.01) }

private func state(_ trainer: Trainer<Double>) -> [Double] { trainer.model.stateEntries.flatMap { $0.parameter.value.scalars } }

@Suite struct GradientAccumulationTests {
    @Test(arguments: [(3, 2), (1, 4), (2, 3)], [true, false])
    func accumulatingMicroBatchesTakesTheStepOfOneLargerBatch(micro: (batchSize: Int, steps: Int), usesAdam: Bool) throws {
        let optimizer = usesAdam ? adam : momentum
        let accumulated = makeTrainer(batchSize: micro.batchSize, accumulationSteps: micro.steps, optimizer: optimizer)
        let large = makeTrainer(batchSize: micro.batchSize * micro.steps, accumulationSteps: 1, optimizer: optimizer)
        #expect(examples().count % (micro.batchSize * micro.steps) != 0, "the last step is a partial one")
        try accumulated.fit(epochs: 3)
        try large.fit(epochs: 3)
        #expect(accumulated.step == large.step && large.step == 3 * large.loader.batchCount)
        let (a, b) = (state(accumulated), state(large))
        #expect(a != state(makeTrainer(batchSize: 1, accumulationSteps: 1, optimizer: optimizer)), "the parameters moved")
        expectWithinBounds(a, b, bounds: b.map { 1e-12 * abs($0) }, shape: [b.count], "relative tolerance 1e-12")
        for (x, y) in zip(accumulated.history, large.history) {
            for (name, value) in y.values {
                expectClose(x.values[name] ?? .nan, value, tolerance: 1e-12, "epoch \(x.epoch): \(name)")
            }
        }
    }

    @Test(arguments: [1, 2, 5, 6])
    func aRunWithAccumulationResumesBitIdentically(stopAfter: Int) throws {
        // Batches of 3, two per step: 8 batches, 4 steps an epoch.
        let straight = makeTrainer(batchSize: 3, accumulationSteps: 2, optimizer: adam)
        try straight.fit(epochs: 2)
        let path = try temporaryDirectory() + "/accumulated.safetensors"
        let first = makeTrainer(batchSize: 3, accumulationSteps: 2, optimizer: adam)
        first.observers = [CancelAfter(step: stopAfter), CheckpointWriter(path: path)]
        #expect(try first.fit(epochs: 2) == .cancelled)
        #expect(first.batchesInEpoch == 2 * (stopAfter % 4))

        let resumed = makeTrainer(batchSize: 3, accumulationSteps: 2, seed: 99, optimizer: adam)
        let record = try resumed.resume(fromFile: path)
        #expect(record.step == stopAfter && record.batchesInEpoch == 2 * (stopAfter % 4))
        #expect(try resumed.fit(epochs: 2) == .completed)
        #expect(state(resumed) == state(straight), "resumed after step \(stopAfter)")
        #expect(resumed.history.last?.values == straight.history.last?.values)
    }

    @Test func aCheckpointOfAnotherAccumulationIsRefused() throws {
        let path = try temporaryDirectory() + "/accumulated.safetensors"
        let first = makeTrainer(batchSize: 3, accumulationSteps: 2, optimizer: adam)
        first.observers = [CancelAfter(step: 1), CheckpointWriter(path: path)]
        try first.fit(epochs: 1)
        let other = makeTrainer(batchSize: 3, accumulationSteps: 3, seed: 99, optimizer: adam)
        let before = state(other)
        #expect(throws: CheckpointError(path: path, reason: "it was written by a run with accumulation steps 2; this one has 3, "
                                        + "so the rest of its epoch cannot be replayed")) {
            try other.resume(fromFile: path)
        }
        #expect(state(other) == before && other.step == 0, "nothing changed")
    }
}
