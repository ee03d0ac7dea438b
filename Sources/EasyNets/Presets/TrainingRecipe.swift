/// How to train a model: the optimizer, its learning rate and schedule, the epochs, the batch
/// size, gradient clipping and image augmentation.
///
/// Each ``ModelPreset`` has the recipe `easynets train` uses for it when no flag says otherwise:
///
/// ```swift
/// let recipe = ModelPreset.cnn.recipe
/// let model = try Sequential<Float>(ModelPreset.cnn.description(classes: 10), seed: 0)
/// let trainer = recipe.makeTrainer(model: model, data: train.reshapingExamples(to: FashionMNIST.imageShape))
/// try trainer.fit(epochs: recipe.epochs)
/// ```
public struct TrainingRecipe: Sendable, Equatable {
    /// The optimizer.
    public var optimizer: OptimizerKind
    /// The learning rate (the peak rate of ``ScheduleKind/onecycle``).
    public var learningRate: Double
    /// The optimizer's weight decay (see ``OptimizerKind/makeOptimizer(_:learningRate:weightDecay:)``).
    public var weightDecay: Double
    /// Whether ``weightDecay`` decays every parameter (`true`), or only the weights, with biases
    /// and normalization layers' parameters in a second parameter group without decay (`false`;
    /// see ``ParameterGroup/weightDecayGroups(of:weightDecay:)``).
    public var decaysBiasesAndNormalization: Bool
    /// The learning-rate schedule over the run.
    public var schedule: ScheduleKind
    /// The epochs to train.
    public var epochs: Int
    /// The examples per batch.
    public var batchSize: Int
    /// The largest global norm of the gradients before each step (``Trainer/gradientClipNorm``),
    /// or `nil` not to clip.
    public var gradientClipNorm: Double?
    /// The most pixels each training image is shifted by, at random (0: none; see ``ImageAugmentation``).
    public var maximumShift: Int
    /// Whether each training image is mirrored left to right with probability ½.
    public var horizontalFlip: Bool
    /// The loader's batches per optimizer step (``Trainer/accumulationSteps``; 1: none).
    public var accumulationSteps: Int
    /// With ``ScheduleKind/plateau``: the epochs without improvement before the rate is cut
    /// (shorter than PyTorch's default of 10, for runs of a few epochs).
    public var plateauPatience: Int

    /// A recipe; by default the ``standard`` one.
    public init(optimizer: OptimizerKind = .adam, learningRate: Double = 1e-3, weightDecay: Double = 0,
                decaysBiasesAndNormalization: Bool = true, schedule: ScheduleKind = .cosine, epochs: Int = 15,
                batchSize: Int = 128, gradientClipNorm: Double? = nil, maximumShift: Int = 0, horizontalFlip: Bool = false,
                accumulationSteps: Int = 1, plateauPatience: Int = 2) {
        (self.optimizer, self.learningRate, self.weightDecay, self.schedule) = (optimizer, learningRate, weightDecay, schedule)
        self.decaysBiasesAndNormalization = decaysBiasesAndNormalization
        (self.epochs, self.batchSize, self.gradientClipNorm) = (epochs, batchSize, gradientClipNorm)
        (self.maximumShift, self.horizontalFlip) = (maximumShift, horizontalFlip)
        (self.accumulationSteps, self.plateauPatience) = (accumulationSteps, plateauPatience)
    }

    /// The training images' random changes, or `nil` when the recipe makes none; with one, the
    /// training data must be images, (N, C, H, W).
    public var augmentation: ImageAugmentation? {
        maximumShift > 0 || horizontalFlip ? ImageAugmentation(maximumShift: maximumShift, horizontalFlip: horizontalFlip) : nil
    }

    /// The classifiers' recipe: Adam at 0.001 with cosine annealing, 15 epochs of batches of 128,
    /// no clipping, no augmentation.
    public static let standard = TrainingRecipe()

    /// The character-level language models' recipe: Adam at 0.001 with cosine annealing, 10
    /// epochs of batches of 64 sequences, the gradients' norm clipped to 1.
    public static let languageModel = TrainingRecipe(epochs: 10, batchSize: 64, gradientClipNorm: 1)

    /// The recipe's optimizer over `parameters`, one group decayed alike (whatever
    /// ``decaysBiasesAndNormalization`` says: the groups need the model, see ``makeOptimizer(for:)``).
    public func makeOptimizer<Scalar: TensorScalar>(_ parameters: [Parameter<Scalar>]) -> any Optimizer<Scalar> {
        optimizer.makeOptimizer(parameters, learningRate: learningRate, weightDecay: weightDecay)
    }

    /// The recipe's optimizer over `model`'s trainable parameters: one group, or, when
    /// ``decaysBiasesAndNormalization`` is `false`, the two of ``ParameterGroup/weightDecayGroups(of:weightDecay:)``.
    public func makeOptimizer<Scalar: TensorScalar>(for model: some Layer<Scalar>) -> any Optimizer<Scalar> {
        decaysBiasesAndNormalization
            ? makeOptimizer(model.trainableParameters)
            : optimizer.makeOptimizer(weightDecayGroupsOf: model, learningRate: learningRate, weightDecay: weightDecay)
    }

    /// The recipe's schedule of `optimizer`'s rate over ``epochs`` epochs of `batchesPerEpoch`
    /// optimizer steps (the loader's batches, or fewer with ``accumulationSteps``), stepped as
    /// ``ScheduleKind/stepping`` says; `nil` for a constant rate (or ``ScheduleKind/plateau``).
    public func makeScheduler<Scalar: TensorScalar>(for optimizer: any Optimizer<Scalar>,
                                                    batchesPerEpoch: Int) -> LearningRateScheduler<Scalar>? {
        schedule.makeSchedule(epochs: epochs, batchesPerEpoch: batchesPerEpoch, learningRate: learningRate)
            .map { LearningRateScheduler(optimizer: optimizer, schedule: $0) }
    }

    /// A trainer by this recipe: its optimizer and schedule (or plateau), shuffled batches of its
    /// size (augmented as it says), its gradient accumulation and clipping. Run it for ``epochs``
    /// epochs with ``Trainer/fit(epochs:)``.
    ///
    /// - Parameters:
    ///   - model: the model trained.
    ///   - data: the training examples; images, (N, C, H, W), when the recipe augments them.
    ///   - validationData: evaluated after each epoch (see ``Trainer``).
    ///   - loss: the loss minimized (default: cross-entropy, for class indices).
    ///   - metrics: the metrics reported (default: those of the targets, ``Metric/defaults(for:)``).
    ///   - monitor: the value a ``ScheduleKind/plateau`` schedule watches (default: the
    ///     validation loss with validation data, else the training loss).
    ///   - shuffleSeed: the seed of the generator that shuffles (and augments) the batches.
    ///   - cancellation: a flag to stop the run after a step.
    ///   - dataParallel: the process group to train with, or `nil` to train in this process alone.
    public func makeTrainer<Scalar: TensorScalar>(
        model: any Layer<Scalar>, data: some ExampleSource<Scalar>, validationData: (any ExampleSource<Scalar>)? = nil,
        loss: Loss<Scalar> = .crossEntropy, metrics: [Metric]? = nil, monitor: String? = nil, shuffleSeed: UInt64 = 0,
        cancellation: CancellationFlag = CancellationFlag(), dataParallel: DataParallel<Scalar>? = nil
    ) -> Trainer<Scalar> {
        let optimizer = makeOptimizer(for: model)
        let loader = DataLoader(data, batchSize: batchSize, shuffle: true, augmentation: augmentation, seed: shuffleSeed)
        let steps = (loader.batchCount + accumulationSteps - 1) / accumulationSteps
        let monitor = monitor ?? (validationData == nil ? "train_loss" : "validation_loss")
        let plateau = schedule == .plateau
            ? ReduceOnPlateau(optimizer: optimizer, mode: EarlyStopping<Scalar>.defaultMode(for: monitor) == .max ? .max : .min,
                              factor: 0.1, patience: plateauPatience)
            : nil
        let trainer = Trainer(model: model, optimizer: optimizer, scheduler: makeScheduler(for: optimizer, batchesPerEpoch: steps),
                              scheduleStepping: schedule.stepping, plateau: plateau, monitor: monitor, loader: loader,
                              validationData: validationData, loss: loss, metrics: metrics, accumulationSteps: accumulationSteps,
                              cancellation: cancellation, dataParallel: dataParallel)
        trainer.gradientClipNorm = gradientClipNorm
        return trainer
    }
}

// MARK: - Resuming

extension TrainingRecipe {
    /// What a training checkpoint keeps of the recipe (under ``Trainer/saveCheckpoint(toFile:extra:)``'s
    /// `extra`), so that a resumed run follows the schedule it was started with: the optimizer,
    /// the learning rate, the schedule and the epochs it spans.
    public var checkpointExtra: [String: String] {
        ["recipe.optimizer": optimizer.rawValue, "recipe.learning_rate": String(learningRate),
         "recipe.schedule": schedule.rawValue, "recipe.epochs": String(epochs)]
    }

    /// This recipe with the optimizer, learning rate, schedule and epochs a checkpoint's `extra`
    /// keeps (``checkpointExtra``); values it does not keep, or cannot be read, stay as they are.
    public func resuming(checkpointExtra extra: [String: String]) -> TrainingRecipe {
        var recipe = self
        if let value = extra["recipe.optimizer"].flatMap(OptimizerKind.init(rawValue:)) { recipe.optimizer = value }
        if let value = extra["recipe.learning_rate"].flatMap(Double.init), value > 0, value.isFinite { recipe.learningRate = value }
        if let value = extra["recipe.schedule"].flatMap(ScheduleKind.init(rawValue:)) { recipe.schedule = value }
        if let value = extra["recipe.epochs"].flatMap(Int.init), value >= 1 { recipe.epochs = value }
        return recipe
    }

    /// Checks that this recipe continues the run that wrote a checkpoint's `extra`
    /// (``checkpointExtra``) on the same schedule: the same optimizer, learning rate and schedule,
    /// and, for a schedule fitted to the run's length (``ScheduleKind/step``, ``ScheduleKind/cosine``,
    /// ``ScheduleKind/onecycle``), the same epochs. Throws a ``CheckpointError`` naming `path`, the
    /// value the run was started with and this recipe's; values the checkpoint does not keep pass.
    public func checkContinues(checkpointExtra extra: [String: String], path: String) throws {
        let saved = resuming(checkpointExtra: extra)
        func fail(_ what: String, _ started: String, _ now: String, _ advice: String) -> CheckpointError {
            CheckpointError(path: path, reason: "its run was started with \(what) \(started), this one has \(now); \(advice)")
        }
        if saved.optimizer != optimizer {
            throw fail("the optimizer", saved.optimizer.rawValue, optimizer.rawValue, "the optimizer's state is of the first; resume with it")
        }
        if saved.schedule != schedule {
            throw fail("the schedule", saved.schedule.rawValue, schedule.rawValue, "resume with the schedule it was started with")
        }
        if saved.learningRate != learningRate {
            throw fail("the learning rate", String(saved.learningRate), String(learningRate),
                       "the schedule continues from the first; resume with it")
        }
        if saved.epochs != epochs, [.step, .cosine, .onecycle].contains(schedule) {
            let started = saved.epochs == 1 ? "1 epoch" : "\(saved.epochs) epochs"
            throw fail(started, "(its \(schedule.rawValue) schedule spans \(saved.epochs == 1 ? "it" : "them"))", "\(epochs)",
                       "resuming would change the learning rate mid-schedule; resume with \(started), or start a new run for another length")
        }
    }
}
