import EasyNets

// Observers and data the trainer tests share.

/// Stops the run (through the trainer's cancellation flag) after a given optimizer step.
final class CancelAfter<Scalar: TensorScalar>: TrainingObserver {
    let step: Int
    init(step: Int) { self.step = step }
    func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws {
        if batch.step == step { trainer.cancellation.cancel() }
    }
}

/// Keeps a copy of the model's parameters and buffers after a given epoch.
final class SnapshotAfter<Scalar: TensorScalar>: TrainingObserver {
    let epoch: Int
    var taken: [[Scalar]] = []
    init(epoch: Int) { self.epoch = epoch }
    func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {
        if metrics.epoch == epoch { taken = trainer.model.stateEntries.map { $0.parameter.value.scalars } }
    }
}

/// `count` examples of `inputs` uniform features in [−1, 1] and `outputs` targets, each a fixed
/// linear function of the features plus a smooth nonlinear term: the same for the same `seed`.
func regressionData(count: Int, inputs: Int = 3, outputs: Int = 2, seed: UInt64) -> Dataset<Double> {
    let x = randomTensor([count, inputs], seed: seed).scalars
    var y: [Double] = []
    for i in 0..<count {
        let row = x[i * inputs ..< (i + 1) * inputs]
        for o in 0..<outputs {
            let linear = row.enumerated().reduce(0.0) { $0 + $1.element * Double(($1.offset + 2 * o) % 5 - 2) }
            y.append(linear + 0.3 * Double(o + 1) * row.first! * row.last! + 0.5)
        }
    }
    return Dataset(features: Tensor(x, shape: [count, inputs]), targets: Tensor(y, shape: [count, outputs]))
}

/// A trainer of a linear regressor of `train` (its weights drawn from `seed`) minimizing the mean
/// squared error with the optimizer `makeOptimizer` builds, its batches shuffled by `seed + 1`
/// unless `shuffle` is false.
func linearRegressionTrainer(_ train: Dataset<Double>, validation: Dataset<Double>? = nil, seed: UInt64, batchSize: Int,
                             shuffle: Bool = true,
                             optimizer makeOptimizer: ([Parameter<Double>]) -> any Optimizer<Double>) -> Trainer<Double> {
    var generator = RandomGenerator(seed: seed)
    let model = Linear<Double>(train.featureCount, train.targets.countPerExample, using: &generator)
    return Trainer(model: model, optimizer: makeOptimizer(model.trainableParameters),
                   loader: DataLoader(train, batchSize: batchSize, shuffle: shuffle, seed: seed + 1), validationData: validation,
                   loss: .meanSquaredError)
}
