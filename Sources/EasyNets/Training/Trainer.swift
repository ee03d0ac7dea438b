import Synchronization

/// When the learning-rate schedule advances.
public enum ScheduleStepping: String, Sendable, Codable {
    /// Once after each epoch (e.g. cosine annealing over epochs).
    case perEpoch
    /// Once after each optimizer step (e.g. one-cycle).
    case perBatch
}

/// A flag another thread (or a signal handler) sets to ask a running ``Trainer`` to stop after
/// the current batch.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// A flag that is not set.
    public init() {}
    /// Asks the trainer to stop after the current batch.
    public func cancel() { flag.store(true, ordering: .relaxed) }
    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// One finished batch, as observers see it.
public struct BatchReport: Sendable {
    /// The epoch (1-based).
    public var epoch: Int
    /// The batch within the epoch (1-based), and the epoch's batch count.
    public var batch: Int, batchCount: Int
    /// The optimizer step over the whole run (1-based).
    public var step: Int
    /// The batch's mean loss.
    public var loss: Double
    /// The mean loss and the accuracy over the epoch's batches so far.
    public var runningLoss: Double, runningAccuracy: Double
    /// Examples seen in the epoch so far.
    public var samples: Int
    /// Seconds since the epoch (or its resumption) started.
    public var seconds: Double
    /// Examples per second and the estimated seconds left in the epoch, from the batches this
    /// run took (a resumed epoch's earlier batches are not counted).
    public var samplesPerSecond: Double, secondsLeft: Double
}

/// How a run of ``Trainer/fit(epochs:)`` ended.
public enum TrainingOutcome: Sendable, Equatable {
    /// Every epoch ran.
    case completed
    /// The cancellation flag was set; the run stopped after a batch.
    case cancelled
    /// An observer (e.g. ``EarlyStopping``) asked to stop after an epoch.
    case stoppedEarly
    /// An error stopped the run (it is rethrown after the observers heard of it).
    case failed
}

/// Watches a training run. Every method has a default that does nothing; a method that throws
/// stops the run (``TrainingOutcome/failed``) and the error reaches the caller of ``Trainer/fit(epochs:)``.
public protocol TrainingObserver<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// Before the first batch of the run (also of a resumed run).
    func trainingWillStart(_ trainer: Trainer<Scalar>) throws
    /// After each optimizer step.
    func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws
    /// After each epoch, with its metrics (the test columns from the trainer's evaluation data).
    func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws
    /// When the run ends, however it ends.
    func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws
}

extension TrainingObserver {
    public func trainingWillStart(_ trainer: Trainer<Scalar>) throws {}
    public func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws {}
    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {}
    public func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws {}
}

/// Trains a classifier: epochs of mini-batches from a ``DataLoader``, each a forward pass, the
/// loss, a backward pass and an optimizer step; the schedule stepped per epoch or per batch; an
/// evaluation after each epoch; observers told of every batch and epoch.
///
/// With labels per position (a ``Dataset/labelShape`` such as `[L]` for the next character at
/// each step), the model gives scores (N, classes, L), the loss is the mean per label and the
/// accuracy counts labels, not examples; a language model's loss in nats per character divided
/// by ln 2 is its bits per character.
///
/// A run can stop after any batch (``cancellation``) and resume from a checkpoint written there
/// (``saveCheckpoint(toFile:extra:)``, ``resume(fromFile:)``): the resumed run takes the remaining
/// batches of that epoch in the same order and ends with bit-identical parameters (at the same
/// ``Parallelism/threadCount``: BLAS products may round differently at another).
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 1e-3),
///                       loader: DataLoader(train, batchSize: 128, seed: 1), evaluationData: test)
/// trainer.observers = [DivergenceGuard(), ProgressBar(epochs: 10), CheckpointWriter(path: "run.safetensors")]
/// try trainer.fit(epochs: 10)
/// ```
///
/// **Data-parallel training.** Given a ``DataParallel``, the trainer runs as one of its group's
/// processes, each of which starts the same trainer: at the start every process checks that all
/// have the same model, data and settings and takes rank 0's parameters; each global batch of the
/// loader (the batch size is the global one) is split into contiguous shares, one per process;
/// gradients are summed across processes during backward, so every process takes the step one
/// process would take on the whole batch; the batch and epoch metrics are reduced across
/// processes, and the evaluation data is split among them too. Only rank 0 tells the observers
/// (progress, metrics files, checkpoints), and its stop requests and every process's
/// cancellation reach all. An error on one process ends the whole group with its message
/// (``ProcessGroup/abort(_:)``), so none is left waiting. `BatchNorm` layers normalize with each
/// process's own share, as PyTorch's `DistributedDataParallel` does without `SyncBatchNorm`;
/// the running statistics are rank 0's, copied to all before each evaluation.
public final class Trainer<Scalar: TensorScalar> {
    /// The model trained.
    public let model: Sequential<Scalar>
    /// The optimizer stepping the model's parameters.
    public let optimizer: any Optimizer<Scalar>
    /// The learning-rate schedule, if any.
    public let scheduler: LearningRateScheduler<Scalar>?
    /// When the schedule steps: after each epoch or after each batch.
    public let scheduleStepping: ScheduleStepping
    /// The training batches.
    public private(set) var loader: DataLoader<Scalar>
    /// The data evaluated after each epoch (the metrics' test columns), if any.
    public let evaluationData: Dataset<Scalar>?
    /// The mean loss of a batch's logits against its labels.
    public let loss: (_ logits: Tensor<Scalar>, _ labels: [Int]) -> Tensor<Scalar>
    /// Told of the run in order; see ``TrainingObserver``.
    public var observers: [any TrainingObserver<Scalar>] = []
    /// Set it (from any thread) to stop after the current batch.
    public let cancellation: CancellationFlag
    /// The process group this trainer trains with, or `nil` to train alone.
    public let dataParallel: DataParallel<Scalar>?

    /// Whether this process tells the observers: the only one, or rank 0 of a data-parallel group.
    public var isReporting: Bool { (dataParallel?.group.rank ?? 0) == 0 }

    /// Completed epochs.
    public private(set) var epoch = 0
    /// Completed optimizer steps.
    public private(set) var step = 0
    /// Completed batches of the epoch in progress (0 between epochs).
    public private(set) var batchesInEpoch = 0
    /// Set by an observer to stop after the current epoch.
    public var stopRequested = false
    /// When set, each step first scales the gradients so that their global L2 norm is at most
    /// this (``clipGradientNorm(_:maxNorm:)``, PyTorch's `clip_grad_norm_`), after they are summed
    /// across processes in data-parallel training.
    public var gradientClipNorm: Double? {
        didSet { require(gradientClipNorm.map { $0 > 0 && $0.isFinite } ?? true, "Trainer: gradientClipNorm must be positive and finite") }
    }
    /// The metrics of each epoch this trainer completed, in order.
    public private(set) var history: [EpochMetrics] = []

    /// The shuffling generator as it was before the epoch in progress drew its order.
    private var epochGenerator: RandomGenerator
    /// The epoch in progress: summed loss, correct predictions, examples.
    private var totals = (loss: 0.0, correct: 0, seen: 0)

    /// A trainer of `model` by `optimizer` on `loader`'s batches.
    ///
    /// - Parameters:
    ///   - model: the model trained.
    ///   - optimizer: the optimizer of the model's parameters.
    ///   - scheduler: a schedule for the optimizer's rate, stepped as `scheduleStepping` says.
    ///   - scheduleStepping: whether the schedule steps after each epoch or each batch.
    ///   - loader: the training batches.
    ///   - evaluationData: evaluated after each epoch (test loss and accuracy of the metrics;
    ///     without it, the metrics' test columns repeat the training ones).
    ///   - loss: the mean loss of logits against labels (default: cross-entropy).
    ///   - cancellation: a flag to stop the run after a batch (the tool sets one on Ctrl-C).
    ///   - dataParallel: the process group to train with (see "Data-parallel training" above), or
    ///     `nil` to train in this process alone.
    public init(
        model: Sequential<Scalar>, optimizer: any Optimizer<Scalar>, scheduler: LearningRateScheduler<Scalar>? = nil,
        scheduleStepping: ScheduleStepping = .perEpoch, loader: DataLoader<Scalar>, evaluationData: Dataset<Scalar>? = nil,
        loss: @escaping (_ logits: Tensor<Scalar>, _ labels: [Int]) -> Tensor<Scalar> = { crossEntropy(logits: $0, labels: $1) },
        cancellation: CancellationFlag = CancellationFlag(), dataParallel: DataParallel<Scalar>? = nil
    ) {
        (self.model, self.optimizer, self.scheduler, self.scheduleStepping) = (model, optimizer, scheduler, scheduleStepping)
        (self.loader, self.evaluationData, self.loss, self.cancellation) = (loader, evaluationData, loss, cancellation)
        self.dataParallel = dataParallel
        epochGenerator = loader.generator
    }

    /// The labels of each training example (1, or one per position of the data's label shape).
    private var labelsPerExample: Int { loader.dataset.labelsPerExample }

    /// The observers this process tells: all of them on the reporting process, none elsewhere.
    private var reportedObservers: [any TrainingObserver<Scalar>] { isReporting ? observers : [] }

    /// Trains until `epochs` epochs are complete (counting those of a resumed run), the flag is
    /// cancelled, or an observer stops the run; returns how it ended. An error from the model's
    /// data or an observer (e.g. ``TrainingError`` from ``DivergenceGuard``) stops the run and is
    /// rethrown after the observers' ``TrainingObserver/trainingDidEnd(_:_:)``.
    @discardableResult
    public func fit(epochs: Int) throws -> TrainingOutcome {
        require(epochs >= 0, "Trainer.fit: epochs must not be negative, got \(epochs)")
        let clock = ContinuousClock()
        var outcome = TrainingOutcome.completed
        do {
            try checkTrainable()
            if let dataParallel {
                try dataParallel.start(model: model, data: loader.dataset, settings: "batch size \(loader.batchSize), shuffle "
                                       + "\(loader.shuffle), drop last \(loader.dropLast), generator \(epochGenerator.state), "
                                       + "epoch \(epoch), step \(step), batch \(batchesInEpoch), parameters \(optimizer.parameters.count), "
                                       + "gradient clipping \(gradientClipNorm.map { String($0) } ?? "none")")
            }
            for observer in reportedObservers { try observer.trainingWillStart(self) }
            model.train()
            epochs: while epoch < epochs && !stopRequested {
                let start = clock.now
                let (startBatch, startSeen) = (batchesInEpoch, totals.seen)
                loader.generator = epochGenerator
                let batches = loader.epoch()
                for batch in batches[batchesInEpoch...] {
                    let (value, correct, cancelled) = try trainStep(on: batch)
                    if scheduleStepping == .perBatch { scheduler?.step() }
                    step += 1
                    batchesInEpoch += 1
                    totals.loss += value * Double(batch.count)
                    totals.correct += correct
                    totals.seen += batch.count
                    let seconds = start.duration(to: clock.now).inSeconds
                    let report = BatchReport(
                        epoch: epoch + 1, batch: batchesInEpoch, batchCount: batches.count, step: step, loss: value,
                        runningLoss: totals.loss / Double(totals.seen), runningAccuracy: Double(totals.correct) / Double(totals.seen * labelsPerExample),
                        samples: totals.seen, seconds: seconds,
                        samplesPerSecond: seconds > 0 ? Double(totals.seen - startSeen) / seconds : 0,
                        secondsLeft: seconds / Double(batchesInEpoch - startBatch) * Double(batches.count - batchesInEpoch))
                    for observer in reportedObservers { try observer.batchDidEnd(self, report) }
                    // Alone, a cancellation by an observer of this batch counts; in a group, the one all processes agreed on.
                    if (dataParallel == nil ? cancellation.isCancelled : cancelled) && batchesInEpoch < batches.count {
                        outcome = .cancelled
                        break epochs
                    }
                }
                let seconds = Swift.max(start.duration(to: clock.now).inSeconds, 1e-9)
                let seen = Double(Swift.max(totals.seen, 1))
                let (trainLoss, trainAccuracy) = (totals.loss / seen, Double(totals.correct) / (seen * Double(labelsPerExample)))
                let samplesPerSecond = Double(totals.seen - startSeen) / seconds, learningRate = optimizer.learningRate
                if scheduleStepping == .perEpoch { scheduler?.step() }
                epoch += 1
                batchesInEpoch = 0
                totals = (0, 0, 0)
                epochGenerator = loader.generator
                let test = try evaluationData.map { try evaluateEpoch(on: $0) }
                let metrics = EpochMetrics(
                    epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy, testLoss: test?.loss ?? trainLoss,
                    testAccuracy: test?.accuracy ?? trainAccuracy, seconds: seconds, samplesPerSecond: samplesPerSecond,
                    learningRate: learningRate)
                history.append(metrics)
                for observer in reportedObservers { try observer.epochDidEnd(self, metrics) }
                if let dataParallel {  // rank 0's observers decide for all
                    stopRequested = try dataParallel.group.sum([stopRequested ? 1 : 0])[0] > 0
                }
                if try isCancelledEverywhere() {  // after the last batch of an epoch: the epoch ended first
                    outcome = .cancelled
                    break epochs
                }
            }
            if stopRequested && outcome == .completed && epoch < epochs { outcome = .stoppedEarly }
            if outcome == .cancelled && epoch >= epochs { outcome = .completed }
        } catch {
            for observer in reportedObservers { try? observer.trainingDidEnd(self, .failed) }
            // The other processes may be waiting in a collective: end them all, with this message.
            if let group = dataParallel?.group, group.size > 1, !(error is DistributedError) { group.abort("\(error)") }
            throw error
        }
        for observer in reportedObservers { try observer.trainingDidEnd(self, outcome) }
        return outcome
    }

    /// One optimizer step on `batch` (this process's share of it, in data-parallel training):
    /// returns the batch's mean loss, its correct predictions, and whether any process was cancelled.
    private func trainStep(on batch: DataLoader<Scalar>.Batch) throws -> (loss: Double, correct: Int, cancelled: Bool) {
        optimizer.zeroGradients()
        let share = dataParallel.map { batch.share($0.share(of: batch.count)) } ?? batch
        var (value, correct) = (0.0, 0)  // the share's mean loss and correct predictions
        if share.count > 0 {
            let labels = share.labels
            let logits = model(share.features)
            let batchLoss = loss(logits, labels)
            if let dataParallel {
                try dataParallel.backward(batchLoss, weight: Double(share.count) / Double(batch.count), parameters: optimizer.parameters)
            } else {
                batchLoss.backward()
            }
            value = Double(batchLoss.scalar)
            correct = zip(logits.detached.argmax(along: 1), labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        } else {
            try dataParallel?.backward(nil, weight: 0, parameters: optimizer.parameters)
        }
        if let gradientClipNorm { clipGradientNorm(optimizer.parameters, maxNorm: gradientClipNorm) }
        optimizer.step()
        guard let group = dataParallel?.group else { return (value, correct, cancellation.isCancelled) }
        let totals = try group.sum([value * Double(share.count), Double(correct), cancellation.isCancelled ? 1 : 0])
        return (totals[0] / Double(batch.count), Int(totals[1]), totals[2] > 0)
    }

    /// Whether this process, or any process of the group, was cancelled.
    private func isCancelledEverywhere() throws -> Bool {
        guard let group = dataParallel?.group else { return cancellation.isCancelled }
        return try group.sum([cancellation.isCancelled ? 1 : 0])[0] > 0
    }

    /// The epoch's evaluation: in data-parallel training each process evaluates its share of
    /// `data` with rank 0's running statistics, and the sums are reduced.
    private func evaluateEpoch(on data: Dataset<Scalar>) throws -> (loss: Double, accuracy: Double) {
        // The trainer's loss is a mean per label: times the labels, a sum.
        let summedLoss = { (logits: Tensor<Scalar>, labels: [Int]) in self.loss(logits, labels) * Scalar(labels.count) }
        guard let dataParallel else {
            let result = evaluate(model, on: data, loss: summedLoss)
            return (result.loss, result.accuracy)
        }
        try dataParallel.broadcastBuffers(of: model)
        let share = data.slice(dataParallel.share(of: data.count))
        var sums = [0.0, 0.0]
        if share.count > 0 {
            let result = evaluate(model, on: share, loss: summedLoss)
            let labels = Double(share.labels.count)
            sums = [result.loss * labels, (result.accuracy * labels).rounded()]  // loss sum, correct
        }
        let totals = try dataParallel.group.sum(sums)
        let count = Double(Swift.max(data.labels.count, 1))
        return (totals[0] / count, totals[1] / count)
    }

    /// Throws when there is nothing to train (as PyTorch's optimizers refuse an empty parameter
    /// list), or when a training batch would hold one example while the model has a
    /// ``BatchNorm1d``, which needs more than one value per channel in training (as in PyTorch).
    private func checkTrainable() throws {
        guard !optimizer.parameters.isEmpty else {
            throw TrainingError(epoch: epoch + 1, step: step, reason: "the optimizer has no parameters to train")
        }
        guard model.namedLayers.contains(where: { $0.layer is BatchNorm1d<Scalar> }) else { return }
        let count = loader.dataset.count, size = loader.batchSize
        if size == 1 || (!loader.dropLast && count % size == 1) {
            throw TrainingError(epoch: epoch + 1, step: step, reason: "the model has a BatchNorm1d, which needs more than one example "
                                + "per batch in training, but \(count) examples in batches of \(size) leave a batch of one")
        }
        guard let group = dataParallel?.group else { return }
        let batchSizes = [size] + (!loader.dropLast && count % size != 0 ? [count % size] : [])
        for batch in batchSizes where (0..<group.size).contains(where: { batch * ($0 + 1) / group.size - batch * $0 / group.size == 1 }) {
            throw TrainingError(epoch: epoch + 1, step: step, reason: "the model has a BatchNorm1d, which needs more than one example "
                                + "per process in training, but a batch of \(batch) split among \(group.size) processes leaves one of them one")
        }
    }

    /// Writes a checkpoint of the run at its current position, atomically: the model (with its
    /// description when it has one), the optimizer, the schedule, the shuffling and dropout
    /// generators, and the position within the epoch in progress.
    public func saveCheckpoint(toFile path: String, extra: [String: String] = [:]) throws {
        var extra = extra
        extra["trainer.epoch_loss"] = String(totals.loss)
        extra["trainer.epoch_correct"] = String(totals.correct)
        extra["trainer.epoch_seen"] = String(totals.seen)
        extra["trainer.batch_size"] = String(loader.batchSize)
        extra["trainer.examples"] = String(loader.dataset.count)
        try TrainingCheckpoint<Scalar>(step: step, epoch: epoch, batchesInEpoch: batchesInEpoch,
                                       generators: ["shuffle": epochGenerator], extra: extra)
            .save(model: model, optimizer: optimizer, scheduler: scheduler, toFile: path)
    }

    /// Restores a run from a checkpoint written by ``saveCheckpoint(toFile:extra:)``: the next
    /// ``fit(epochs:)`` continues with the remaining batches of the epoch it was written in.
    /// Returns the checkpoint's record. Everything is validated before anything changes.
    @discardableResult
    public func resume(fromFile path: String) throws -> TrainingCheckpoint<Scalar> {
        try resume(from: SafeTensorsFile(contentsOfFile: path), path: path)
    }

    /// Restores a run from a checkpoint already read (see ``resume(fromFile:)``).
    @discardableResult
    public func resume(from file: SafeTensorsFile, path: String = "<memory>") throws -> TrainingCheckpoint<Scalar> {
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, reason: reason) }
        let peek = try TrainingCheckpoint<Scalar>.record(in: file, path: path)
        for (key, expected) in [("batch_size", loader.batchSize), ("examples", loader.dataset.count)] {
            if let saved = peek.extra["trainer." + key], saved != String(expected) {
                throw fail("it was written by a run with \(key.replacingOccurrences(of: "_", with: " ")) \(saved); "
                           + "this one has \(expected), so the rest of its epoch cannot be replayed")
            }
        }
        guard peek.batchesInEpoch <= loader.batchCount else {
            throw fail("it stopped after batch \(peek.batchesInEpoch) of an epoch; this data has \(loader.batchCount) batches an epoch")
        }
        let number = { (key: String) in peek.extra["trainer." + key].map { Double($0) } ?? 0 }
        guard let loss = number("epoch_loss"), loss.isFinite, let correct = number("epoch_correct"), let seen = number("epoch_seen"),
              let correctCount = Int(exactly: correct), let seenCount = Int(exactly: seen), correctCount >= 0,
              seenCount <= peek.batchesInEpoch * loader.batchSize, seenCount * labelsPerExample >= correctCount else {
            throw fail("metadata \"extra.trainer.*\" does not describe the epoch in progress")
        }
        let record = try TrainingCheckpoint<Scalar>.load(model: model, optimizer: optimizer, scheduler: scheduler, from: file, path: path)
        (epoch, step, batchesInEpoch) = (record.epoch, record.step, record.batchesInEpoch)
        totals = (loss, correctCount, seenCount)
        if let shuffle = record.generators["shuffle"] { epochGenerator = shuffle }
        loader.generator = epochGenerator
        return record
    }
}
