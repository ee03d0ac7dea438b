import EasyNets
import Testing

// The recipes `easynets train` documents in its help, and the trainers they make.

@Test func standardRecipes() {
    let standard = TrainingRecipe.standard
    #expect(standard.optimizer == .adam && standard.learningRate == 1e-3 && standard.weightDecay == 0)
    #expect(standard.schedule == .cosine && standard.epochs == 15 && standard.batchSize == 128)
    #expect(standard.gradientClipNorm == nil && standard.augmentation == nil)
    #expect(TrainingRecipe() == standard)

    let text = TrainingRecipe.languageModel
    #expect(text.optimizer == .adam && text.learningRate == 1e-3 && text.schedule == .cosine)
    #expect(text.epochs == 10 && text.batchSize == 64 && text.gradientClipNorm == 1 && text.augmentation == nil)
}

/// The recipe's trainer is the one built by hand from its values: the same parameters after training.
@Test func recipeTrainerMatchesATrainerBuiltByHand() throws {
    let (x, y) = Spirals.make(pointsPerClass: 50, seed: 3, as: Float.self)
    let data = Dataset(features: x, labels: y)
    var recipe = TrainingRecipe(optimizer: .sgd, learningRate: 0.05, schedule: .onecycle, epochs: 2, batchSize: 16, gradientClipNorm: 0.5)
    recipe.weightDecay = 1e-4
    let description = try ModelPreset.mlp.description(classes: 2, inputSize: 2, hidden: [16])

    let model = try Sequential<Float>(description, seed: 7)
    let trainer = recipe.makeTrainer(model: model, data: data, shuffleSeed: 8)
    #expect(trainer.loader.batchSize == 16 && trainer.loader.shuffle && trainer.loader.augmentation == nil)
    #expect(trainer.gradientClipNorm == 0.5 && trainer.scheduleStepping == .perBatch)
    try trainer.fit(epochs: recipe.epochs)

    let reference = try Sequential<Float>(description, seed: 7)
    let optimizer = SGD(reference.trainableParameters, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4, nesterov: true)
    let loader = DataLoader(data, batchSize: 16, shuffle: true, seed: 8)
    let manual = Trainer(model: reference, optimizer: optimizer,
                         scheduler: LearningRateScheduler(optimizer: optimizer, schedule: OneCycleSchedule(maximum: 0.05, totalSteps: 14)),
                         scheduleStepping: .perBatch, loader: loader)
    manual.gradientClipNorm = 0.5
    try manual.fit(epochs: 2)

    for (a, b) in zip(model.trainableParameters, reference.trainableParameters) { #expect(a.value.scalars == b.value.scalars) }
}

/// A regression recipe with gradient accumulation and a one-cycle schedule: the schedule counts
/// optimizer steps (two an epoch: six batches of 4, three per step), as a trainer built by hand.
@Test func recipeWithAccumulationSchedulesOptimizerSteps() throws {
    let data = regressionData(count: 23, seed: 51)
    let recipe = TrainingRecipe(optimizer: .adam, learningRate: 0.02, schedule: .onecycle, epochs: 2, batchSize: 4, accumulationSteps: 3)
    func model() -> Sequential<Double> {
        var generator = RandomGenerator(seed: 52)
        return Sequential<Double> { Linear(3, 4, using: &generator); Tanh(); Linear(4, 2, using: &generator) }
    }
    let made = model()
    let trainer = recipe.makeTrainer(model: made, data: data, loss: .meanSquaredError, shuffleSeed: 53)
    #expect(trainer.accumulationSteps == 3 && trainer.metrics == [.meanAbsoluteError, .rootMeanSquaredError, .r2])
    try trainer.fit(epochs: recipe.epochs)
    #expect(trainer.step == 4)

    let reference = model()
    let optimizer = Adam(reference.trainableParameters, learningRate: 0.02)
    let manual = Trainer(model: reference, optimizer: optimizer,
                         scheduler: LearningRateScheduler(optimizer: optimizer, schedule: OneCycleSchedule(maximum: 0.02, totalSteps: 4)),
                         scheduleStepping: .perBatch, loader: DataLoader(data, batchSize: 4, shuffle: true, seed: 53),
                         loss: .meanSquaredError, accumulationSteps: 3)
    try manual.fit(epochs: 2)
    for (a, b) in zip(made.trainableParameters, reference.trainableParameters) { #expect(a.value.scalars == b.value.scalars) }
}

/// The plateau schedule watches the monitor in its direction, with the recipe's patience.
@Test func recipeWithAPlateauWatchesTheMonitor() {
    let data = regressionData(count: 10, seed: 54)
    let recipe = TrainingRecipe(schedule: .plateau, plateauPatience: 4)
    for (monitor, mode) in [("validation_r2", ReduceOnPlateau<Double>.Mode.max), ("validation_rmse", .min), ("train_loss", .min)] {
        let model = Linear<Double>(3, 2)
        let trainer = recipe.makeTrainer(model: model, data: data, validationData: data, loss: .meanSquaredError, monitor: monitor)
        #expect(trainer.scheduler == nil && trainer.monitor == monitor)
        #expect(trainer.plateau?.mode == mode && trainer.plateau?.patience == 4 && trainer.plateau?.factor == 0.1, "\(monitor)")
    }
    let unvalidated = recipe.makeTrainer(model: Linear<Double>(3, 2), data: data, loss: .meanSquaredError)
    #expect(unvalidated.monitor == "train_loss")
    #expect(recipe.makeTrainer(model: Linear<Double>(3, 2), data: data, validationData: data, loss: .meanSquaredError).monitor == "validation_loss")
}
