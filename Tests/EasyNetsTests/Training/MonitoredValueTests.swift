import Testing
@testable import EasyNets

// Early stopping and the plateau schedule watch any value the trainer reports, in the direction
// that value improves, and refuse one it does not report.

/// y = Σx + 0·shift: an output that no step changes (the shift's gradient is 0), so every epoch's
/// values are the same and the monitored value never improves after the first epoch.
private final class Unlearnable: Layer {
    let shift = Parameter(Tensor<Double>.zeros([1]))
    var isTraining = true
    var parameters: [(name: String, parameter: Parameter<Double>)] { [("shift", shift)] }
    func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> { x.sum(along: 1, keepingDims: true) + shift.value * 0 }
}

/// Full-batch gradient descent with a small rate on a linear regressor of one output, validated
/// on its own training data: the loss falls every epoch, so R² rises every epoch.
private func steadilyImprovingTrainer() -> Trainer<Double> {
    let data = regressionData(count: 20, outputs: 1, seed: 41)
    return linearRegressionTrainer(data, validation: data, seed: 42, batchSize: 20, shuffle: false) { SGD($0, learningRate: 0.05) }
}

/// A trainer of the unlearnable model at rate 0.1, its rate halved after two epochs without a
/// better `validation_mae`.
private func plateauTrainer() -> (Trainer<Double>, ReduceOnPlateau<Double>) {
    let data = regressionData(count: 12, outputs: 1, seed: 43)
    let model = Unlearnable()
    let optimizer = SGD(model.trainableParameters, learningRate: 0.1)
    let plateau = ReduceOnPlateau(optimizer: optimizer, mode: .min, factor: 0.5, patience: 2)
    let trainer = Trainer(model: model, optimizer: optimizer, plateau: plateau, monitor: "validation_mae",
                          loader: DataLoader(data, batchSize: 5, seed: 44), validationData: data.prefix(6), loss: .meanSquaredError)
    return (trainer, plateau)
}

@Suite struct MonitoredValueTests {
    @Test func earlyStoppingTakesTheDirectionOfTheValue() {
        for name in ["validation_r2", "train_r2", "validation_accuracy", "train_top5_accuracy"] {
            #expect(EarlyStopping<Double>(monitor: name, patience: 1).mode == .max, "\(name)")
        }
        for name in ["validation_loss", "validation_mae", "train_rmse", "validation_bits_per_character"] {
            #expect(EarlyStopping<Double>(monitor: name, patience: 1).mode == .min, "\(name)")
        }
        #expect(EarlyStopping<Double>(monitor: "validation_r2", mode: .min, patience: 1).mode == .min, "an explicit mode wins")
    }

    @Test func earlyStoppingOnRSquaredKeepsGoingWhileItRises() throws {
        let rising = steadilyImprovingTrainer()
        rising.observers = [EarlyStopping<Double>(monitor: "validation_r2", patience: 0)]
        #expect(try rising.fit(epochs: 5) == .completed)
        let r2 = rising.history.map { $0.values["validation_r2"]! }
        #expect(zip(r2, r2.dropFirst()).allSatisfy { $0 < $1 }, "R² rises every epoch: \(r2)")

        // Watched the wrong way, a rising R² is no improvement: the run stops after epoch 2.
        let backwards = steadilyImprovingTrainer()
        backwards.observers = [EarlyStopping<Double>(monitor: "validation_r2", mode: .min, patience: 0, restoresBestWeights: false)]
        #expect(try backwards.fit(epochs: 5) == .stoppedEarly)
        #expect(backwards.epoch == 2)
    }

    @Test func earlyStoppingRestoresTheBestWeights() throws {
        let trainer = steadilyImprovingTrainer()
        let stopping = EarlyStopping<Double>(monitor: "validation_r2", patience: 1, minimumDelta: 10)  // R² never gains 10
        let snapshot = SnapshotAfter<Double>(epoch: 1)
        trainer.observers = [stopping, snapshot]
        #expect(try trainer.fit(epochs: 6) == .stoppedEarly)
        #expect(trainer.epoch == 3 && stopping.best?.epoch == 1)
        #expect(stopping.best?.value == trainer.history[0].values["validation_r2"])
        #expect(trainer.model.stateEntries.map { $0.parameter.value.scalars } == snapshot.taken, "the weights of epoch 1")
        #expect(snapshot.taken != steadilyImprovingTrainer().model.stateEntries.map { $0.parameter.value.scalars })
    }

    @Test func anUnreportedMonitorIsAnErrorListingWhatIsReported() throws {
        let trainer = steadilyImprovingTrainer()
        trainer.observers = [EarlyStopping<Double>(monitor: "validation_accuracy", patience: 1)]
        #expect(throws: TrainingError(epoch: 1, step: 0, reason: "early stopping monitors \"validation_accuracy\", which this run "
                                      + "does not report; it reports train_loss, train_mae, train_rmse, train_r2, validation_loss, "
                                      + "validation_mae, validation_rmse, validation_r2")) {
            try trainer.fit(epochs: 1)
        }
        #expect(trainer.step == 0)

        let data = regressionData(count: 6, outputs: 1, seed: 45)
        let model = Linear<Double>(3, 1)
        let optimizer = SGD(model.trainableParameters, learningRate: 0.1)
        let withoutValidation = Trainer(model: model, optimizer: optimizer, plateau: ReduceOnPlateau(optimizer: optimizer),
                                        monitor: "validation_loss", loader: DataLoader(data, batchSize: 3), loss: .meanSquaredError,
                                        metrics: [.r2])
        #expect(throws: TrainingError(epoch: 1, step: 0, reason: "the plateau schedule monitors \"validation_loss\", which this "
                                      + "trainer does not report; it reports train_loss, train_r2")) {
            try withoutValidation.fit(epochs: 1)
        }
    }

    @Test func thePlateauHalvesTheRateAfterPatienceEpochsWithoutImprovement() throws {
        let (trainer, _) = plateauTrainer()
        try trainer.fit(epochs: 10)
        let watched = trainer.history.map { $0.values["validation_mae"]! }
        #expect(Set(watched).count == 1, "the monitored value never changes: \(watched)")
        // Epoch 1 improves on nothing; epochs 2–4 do not improve, so the rate halves after epoch 4
        // (three bad epochs > patience 2), again after epoch 7, and after epoch 10.
        #expect(trainer.history.map(\.learningRate) == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025])
        #expect(trainer.optimizer.learningRate == 0.0125)
    }

    @Test(arguments: [7, 9, 14])
    func aResumedRunKeepsThePlateauState(stopAfter: Int) throws {
        // 12 examples in batches of 5: 3 steps an epoch; the runs stop inside epoch 3, at its end, and inside epoch 5.
        let (straight, straightPlateau) = plateauTrainer()
        try straight.fit(epochs: 9)
        let path = try temporaryDirectory() + "/plateau.safetensors"
        let (first, _) = plateauTrainer()
        first.observers = [CancelAfter(step: stopAfter), CheckpointWriter(path: path)]
        #expect(try first.fit(epochs: 9) == .cancelled)

        let (resumed, resumedPlateau) = plateauTrainer()
        try resumed.resume(fromFile: path)
        #expect(try resumed.fit(epochs: 9) == .completed)
        #expect(first.history.map(\.learningRate) + resumed.history.map(\.learningRate) == straight.history.map(\.learningRate))
        #expect(resumed.optimizer.learningRate == straight.optimizer.learningRate && resumed.optimizer.learningRate == 0.025)
        #expect(resumedPlateau.best == straightPlateau.best && resumedPlateau.badSteps == straightPlateau.badSteps)
    }
}
