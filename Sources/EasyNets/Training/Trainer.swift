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

/// One finished optimizer step, as observers see it.
public struct BatchReport: Sendable {
    /// The epoch (1-based).
    public var epoch: Int
    /// The loader's batches of the epoch done so far (1-based; with gradient accumulation, a
    /// step takes several), and the epoch's batch count.
    public var batch: Int, batchCount: Int
    /// The optimizer step over the whole run (1-based).
    public var step: Int
    /// The step's mean loss.
    public var loss: Double
    /// The mean loss over the epoch's batches so far.
    public var runningLoss: Double
    /// The training metrics over the epoch's batches so far, by name (`accuracy`, `mae`, …).
    public var runningMetrics: [String: Double]
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
    /// After each epoch, with its metrics (the validation values from the trainer's validation data).
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

/// Trains any model on any targets: epochs of mini-batches from a ``DataLoader``, each a forward
/// pass, the loss, a backward pass and an optimizer step (or several micro-batches and one step,
/// with gradient accumulation); the schedule stepped per epoch or per batch, or a
/// ``ReduceOnPlateau`` stepped per epoch on a monitored value; the validation data evaluated
/// after each epoch; observers told of every step and epoch.
///
/// The model is any ``Layer``; the loss any ``Loss`` (cross-entropy for classifiers by default,
/// ``Loss/meanSquaredError`` for regression, ``Loss/binaryCrossEntropyWithLogits`` for
/// multi-label targets, or a closure); the metrics those asked for (by default accuracy for
/// class indices; MAE, RMSE and R² for values). Each epoch's ``EpochMetrics`` names its values
/// by the data they were measured on: `train_loss`, `train_accuracy`, `validation_loss`,
/// `validation_rmse`, …
///
/// With class indices per position (targets `(N, L)` for the next character at each step), the
/// model gives scores (N, classes, L), the loss is the mean per label and the accuracy counts
/// labels, not examples; ``Metric/bitsPerCharacter`` is a language model's cross-entropy in bits.
///
/// A run can stop after any step (``cancellation``) and resume from a checkpoint written there
/// (``saveCheckpoint(toFile:extra:)``, ``resume(fromFile:)``): the resumed run takes the remaining
/// batches of that epoch in the same order and ends with bit-identical parameters (at the same
/// ``Parallelism/threadCount``: BLAS products may round differently at another).
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 1e-3),
///                       loader: DataLoader(train, batchSize: 128, seed: 1), validationData: validation)
/// trainer.observers = [DivergenceGuard(), ProgressBar(epochs: 10), CheckpointWriter(path: "run.safetensors")]
/// try trainer.fit(epochs: 10)
/// ```
///
/// **Gradient accumulation.** With ``accumulationSteps`` N, each optimizer step takes N of the
/// loader's batches in turn (the last step of an epoch takes those left), weighting each
/// micro-batch's mean loss by its share of the step's examples: the step is the one a batch N
/// times larger would give, up to rounding, for losses that are means over examples. Layers
/// that use batch statistics (``BatchNorm1d``, ``BatchNorm2d``) see each micro-batch on its own,
/// as in PyTorch.
///
/// **Optimizers that re-evaluate.** A ``ReevaluatingOptimizer`` such as ``LBFGS`` gets, for each
/// step, a closure that clears the gradients, runs the forward pass, the loss and the backward
/// pass on the step's micro-batches (clipping the gradients when ``gradientClipNorm`` is set) and
/// returns the step's mean loss; it may call it several times. The examples are read once per
/// step; the reported loss and metrics are those of the first call. Dropout draws anew on each call.
///
/// **Moving average of the weights.** With ``movingAverage`` set, validation evaluates the
/// averaged weights while training continues from the raw ones; both are in the checkpoints.
///
/// **Data-parallel training.** Given a ``DataParallel``, the trainer runs as one of its group's
/// processes, each of which starts the same trainer: at the start every process checks that all
/// have the same model, data and settings and takes rank 0's parameters; each global batch of the
/// loader (the batch size is the global one) is split into contiguous shares, one per process;
/// gradients are summed across processes during backward, so every process takes the step one
/// process would take on the whole batch; the batch and epoch metrics are reduced across
/// processes, and the validation data is split among them too. Only rank 0 tells the observers
/// (progress, metrics files, checkpoints), and its stop requests and every process's
/// cancellation reach all. An error on one process ends the whole group with its message
/// (``ProcessGroup/abort(_:)``), so none is left waiting. `BatchNorm` layers normalize with each
/// process's own share, as PyTorch's `DistributedDataParallel` does without `SyncBatchNorm`;
/// the running statistics are rank 0's, copied to all before each evaluation.
public final class Trainer<Scalar: TensorScalar> {
    /// The model trained.
    public let model: any Layer<Scalar>
    /// The optimizer stepping the model's parameters.
    public let optimizer: any Optimizer<Scalar>
    /// ``optimizer`` when it re-evaluates the loss within its step (``ReevaluatingOptimizer``), cast once.
    private let reevaluatingOptimizer: (any ReevaluatingOptimizer<Scalar>)?
    /// The learning-rate schedule, if any.
    public let scheduler: LearningRateScheduler<Scalar>?
    /// When the schedule steps: after each epoch or after each batch.
    public let scheduleStepping: ScheduleStepping
    /// Lowers the learning rate when ``monitor`` stops improving, stepped after each epoch.
    public let plateau: ReduceOnPlateau<Scalar>?
    /// The value ``plateau`` watches: `validation_loss` (the default with validation data),
    /// `train_loss` (without), or any `<split>_<metric>` the trainer reports.
    public let monitor: String
    /// The training batches.
    public private(set) var loader: DataLoader<Scalar>
    /// The data evaluated after each epoch (the `validation_*` values), if any.
    public let validationData: (any ExampleSource<Scalar>)?
    /// The batch's mean loss, minimized.
    public let loss: Loss<Scalar>
    /// The metrics reported for the training batches and the validation data.
    public let metrics: [Metric]
    /// The loader's batches per optimizer step (1: no accumulation).
    public let accumulationSteps: Int
    /// Told of the run in order; see ``TrainingObserver``.
    public var observers: [any TrainingObserver<Scalar>] = []
    /// Set it (from any thread) to stop after the current step.
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
    /// An exponential moving average of the model's weights, when set (before ``fit(epochs:)``):
    /// updated after each optimizer step, swapped into the model to evaluate the validation data,
    /// and saved in and restored from the trainer's checkpoints (tensors `ema.*`) beside the raw
    /// weights, which training continues from. Do not also add it to ``observers``, which would
    /// update it twice a step.
    public var movingAverage: ExponentialMovingAverage<Scalar>?
    /// The metrics of each epoch this trainer completed, in order.
    public private(set) var history: [EpochMetrics] = []

    /// The shuffling generator as it was before the epoch in progress drew its order.
    private var epochGenerator: RandomGenerator
    /// The epoch in progress: the training loss and metrics summed over its batches.
    private var totals: MetricTotals
    /// The R² offsets of the training data (``MetricTotals/offsets``), read when training starts.
    private var offsets: [Double]?

    /// A trainer of `model` by `optimizer` on `loader`'s batches.
    ///
    /// - Parameters:
    ///   - model: the model trained: any layer.
    ///   - optimizer: the optimizer of the model's parameters.
    ///   - scheduler: a schedule for the optimizer's rate, stepped as `scheduleStepping` says.
    ///   - scheduleStepping: whether the schedule steps after each epoch or each batch.
    ///   - plateau: lowers the rate when `monitor` stops improving (instead of, or with, a schedule).
    ///   - monitor: the value `plateau` watches (default: `validation_loss` with validation data,
    ///     else `train_loss`).
    ///   - loader: the training batches.
    ///   - validationData: evaluated after each epoch (the `validation_*` values of the metrics).
    ///   - loss: the batch's mean loss (default: cross-entropy, for class indices).
    ///   - metrics: the metrics to report (default: ``Metric/defaults(for:)`` of the targets).
    ///   - accumulationSteps: the loader's batches per optimizer step (see "Gradient accumulation").
    ///   - cancellation: a flag to stop the run after a step (the tool sets one on Ctrl-C).
    ///   - dataParallel: the process group to train with (see "Data-parallel training" above), or
    ///     `nil` to train in this process alone.
    public init(
        model: any Layer<Scalar>, optimizer: any Optimizer<Scalar>, scheduler: LearningRateScheduler<Scalar>? = nil,
        scheduleStepping: ScheduleStepping = .perEpoch, plateau: ReduceOnPlateau<Scalar>? = nil, monitor: String? = nil,
        loader: DataLoader<Scalar>, validationData: (any ExampleSource<Scalar>)? = nil, loss: Loss<Scalar> = .crossEntropy,
        metrics: [Metric]? = nil, accumulationSteps: Int = 1,
        cancellation: CancellationFlag = CancellationFlag(), dataParallel: DataParallel<Scalar>? = nil
    ) {
        require(accumulationSteps >= 1, "Trainer: accumulationSteps must be at least 1, got \(accumulationSteps)")
        (self.model, self.optimizer, self.scheduler, self.scheduleStepping) = (model, optimizer, scheduler, scheduleStepping)
        reevaluatingOptimizer = optimizer as? any ReevaluatingOptimizer<Scalar>
        (self.plateau, self.monitor) = (plateau, monitor ?? (validationData == nil ? "train_loss" : "validation_loss"))
        (self.loader, self.validationData, self.loss, self.cancellation) = (loader, validationData, loss, cancellation)
        self.metrics = metrics ?? Metric.defaults(for: loader.source.targetLayout)
        (self.accumulationSteps, self.dataParallel) = (accumulationSteps, dataParallel)
        epochGenerator = loader.generator
        totals = MetricTotals(metrics: self.metrics, layout: loader.source.targetLayout)
    }

    /// The names of the values each epoch reports: `train_loss`, `train_<metric>` for each
    /// metric, and the same for `validation` with validation data.
    public var reportedValueNames: [String] {
        let names = ["loss"] + metrics.map(\.name)
        return names.map { "train_\($0)" } + (validationData == nil ? [] : names.map { "validation_\($0)" })
    }

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
            if let movingAverage {
                require(!observers.contains { $0 === movingAverage },
                        "Trainer: the moving average is both the trainer's movingAverage and an observer; it would update twice a step")
            }
            totals.offsets = try newTotals().offsets
            if let dataParallel {
                try dataParallel.start(model: model, data: loader.source, settings: "batch size \(loader.batchSize), shuffle "
                                       + "\(loader.shuffle), drop last \(loader.dropLast), generator \(epochGenerator.state), "
                                       + "epoch \(epoch), step \(step), batch \(batchesInEpoch), parameters \(optimizer.parameters.count), "
                                       + "gradient clipping \(gradientClipNorm.map { String($0) } ?? "none"), "
                                       + "accumulation \(accumulationSteps), loss \(loss.name), metrics \(metrics)")
            }
            defer { dataParallel?.endSynchronization(of: model) }
            for observer in reportedObservers { try observer.trainingWillStart(self) }
            model.train()
            epochs: while epoch < epochs && !stopRequested {
                let start = clock.now
                let (startBatch, startSeen) = (batchesInEpoch, totals.examples)
                loader.generator = epochGenerator
                let batches = loader.epoch()
                // This process's shares of the epoch's remaining batches, read ahead while the steps train.
                let reader = loader.reader(for: batches[batchesInEpoch...].map(share).filter { $0.count > 0 })
                defer { reader.finish() }
                while batchesInEpoch < batches.count {
                    let group = Array(batches[batchesInEpoch ..< Swift.min(batchesInEpoch + accumulationSteps, batches.count)])
                    let (value, cancelled) = try trainStep(on: group, reader: reader)
                    movingAverage?.update()
                    if scheduleStepping == .perBatch { scheduler?.step() }
                    step += 1
                    batchesInEpoch += group.count
                    let seconds = start.duration(to: clock.now).inSeconds
                    let running = Dictionary(totals.values.dropFirst().map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                    let report = BatchReport(
                        epoch: epoch + 1, batch: batchesInEpoch, batchCount: batches.count, step: step, loss: value,
                        runningLoss: totals.values[0].value, runningMetrics: running, samples: Int(totals.examples), seconds: seconds,
                        samplesPerSecond: seconds > 0 ? (totals.examples - startSeen) / seconds : 0,
                        secondsLeft: seconds / Double(batchesInEpoch - startBatch) * Double(batches.count - batchesInEpoch))
                    for observer in reportedObservers { try observer.batchDidEnd(self, report) }
                    // Alone, a cancellation by an observer of this batch counts; in a group, the one all processes agreed on.
                    if (dataParallel == nil ? cancellation.isCancelled : cancelled) && batchesInEpoch < batches.count {
                        outcome = .cancelled
                        break epochs
                    }
                }
                let seconds = Swift.max(start.duration(to: clock.now).inSeconds, 1e-9)
                var values: [String: Double] = [:]
                for (name, value) in totals.values { values["train_" + name] = value }
                let samplesPerSecond = (totals.examples - startSeen) / seconds, learningRate = optimizer.learningRate
                if scheduleStepping == .perEpoch { scheduler?.step() }
                epoch += 1
                batchesInEpoch = 0
                totals = try newTotals()
                epochGenerator = loader.generator
                if let validationData {
                    for (name, value) in try evaluateEpoch(on: validationData) { values["validation_" + name] = value }
                }
                let record = EpochMetrics(epoch: epoch, values: values, seconds: seconds, samplesPerSecond: samplesPerSecond,
                                          learningRate: learningRate)
                history.append(record)
                if let plateau, let value = values[monitor] { plateau.step(metric: value) }
                for observer in reportedObservers { try observer.epochDidEnd(self, record) }
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

    /// One optimizer step on the micro-batches `group` (this process's share of each, in
    /// data-parallel training), each weighted by its share of the step's examples: returns the
    /// step's mean loss and whether any process was cancelled.
    ///
    /// A ``ReevaluatingOptimizer`` gets the evaluation as its closure and may run it several
    /// times on the same micro-batches; the step's loss and metrics are those of the first run,
    /// at the parameters before the step.
    private func trainStep(on group: [DataLoader<Scalar>.Batch], reader: DataLoader<Scalar>.Reader) throws -> (loss: Double, cancelled: Bool) {
        let total = group.reduce(0) { $0 + $1.count }
        let reevaluating = reevaluatingOptimizer
        // A re-evaluating optimizer sees the same examples each time: read once, kept for the step.
        var kept: [Int: Dataset<Scalar>] = [:]
        var stepTotals: MetricTotals?
        func evaluate() throws -> Double {
            optimizer.zeroGradients()
            var totals = try newTotals()
            var loss = 0.0
            for (index, batch) in group.enumerated() {
                let share = share(of: batch)
                let weight = Double(share.count) / Double(total)
                let isLast = index == group.count - 1
                guard share.count > 0 else {
                    if isLast { try dataParallel?.backward(nil, weight: 0, parameters: optimizer.parameters) }
                    continue
                }
                let examples = try kept[index] ?? reader.examples(of: share)
                if reevaluating != nil { kept[index] = examples }
                let output = model(examples.features)
                if let problem = self.loss.problem(outputShape: output.shape, batch: share.count, layout: examples.targetLayout) {
                    throw TrainingError(epoch: epoch + 1, step: step + 1, reason: problem)
                }
                let batchLoss = self.loss(output, examples.targets)
                if let dataParallel, isLast {
                    try dataParallel.backward(batchLoss, weight: weight, parameters: optimizer.parameters)
                } else if weight == 1 {
                    batchLoss.backward()
                } else {
                    batchLoss.backward(seed: Tensor(filledWith: Scalar(weight), shape: batchLoss.shape))
                }
                loss += weight == 1 ? Double(batchLoss.scalar) : weight * Double(batchLoss.scalar)
                if stepTotals == nil {
                    totals.add(loss: Double(batchLoss.scalar), examples: share.count, output: output, targets: examples.targets)
                }
            }
            if let gradientClipNorm { clipGradientNorm(optimizer.parameters, maxNorm: gradientClipNorm) }
            if stepTotals == nil { stepTotals = totals }
            // Every process of a group takes the same decisions from the loss of the whole batch.
            if let group = dataParallel?.group, reevaluating != nil { loss = try group.sum([loss])[0] }
            return loss
        }
        if let reevaluating {
            try reevaluating.step(evaluating: evaluate)
        } else {
            _ = try evaluate()
            optimizer.step()
        }
        var finished = stepTotals!
        var cancelled = cancellation.isCancelled
        if let group = dataParallel?.group {
            let summed = try group.sum(finished.vector + [cancelled ? 1 : 0])
            finished.load(Array(summed.dropLast()))
            cancelled = summed.last! > 0
        }
        totals.merge(finished)
        return (finished.lossSum / Swift.max(finished.examples, 1), cancelled)
    }

    /// Empty sums of the training loss and metrics, with the training data's R² offsets.
    private func newTotals() throws -> MetricTotals {
        if offsets == nil { offsets = try MetricTotals.offsets(for: metrics, of: loader.source) }
        var totals = MetricTotals(metrics: metrics, layout: loader.source.targetLayout)
        totals.offsets = offsets!
        return totals
    }

    /// This process's share of `batch`: all of it alone, its part in data-parallel training.
    private func share(of batch: DataLoader<Scalar>.Batch) -> DataLoader<Scalar>.Batch {
        dataParallel.map { batch.share($0.share(of: batch.count)) } ?? batch
    }

    /// Whether this process, or any process of the group, was cancelled.
    private func isCancelledEverywhere() throws -> Bool {
        guard let group = dataParallel?.group else { return cancellation.isCancelled }
        return try group.sum([cancellation.isCancelled ? 1 : 0])[0] > 0
    }

    /// The epoch's validation loss and metrics: in data-parallel training each process evaluates
    /// its share of `data` with rank 0's running statistics, and the sums are reduced.
    private func evaluateEpoch(on data: any ExampleSource<Scalar>) throws -> [(name: String, value: Double)] {
        var range = 0..<data.count
        if let dataParallel {
            try dataParallel.broadcastBuffers(of: model)
            range = dataParallel.share(of: data.count)
        }
        // With a moving average, the averaged weights are evaluated; training continues from the raw ones.
        movingAverage?.swap()
        defer { movingAverage?.swap() }
        var sums = try evaluationTotals(model, on: data, range: range, loss: loss, metrics: metrics)
        if let group = dataParallel?.group { sums.load(try group.sum(sums.vector)) }
        return sums.values
    }

    /// Throws when there is nothing to train (as PyTorch's optimizers refuse an empty parameter
    /// list), when the loss, a metric or the validation data does not fit the training targets,
    /// or when a training batch (or, data-parallel, a process's share of one, unless the batch
    /// normalization is synchronized) would hold one example while the model has a ``BatchNorm1d``,
    /// which needs more than one value per channel in training (as in PyTorch).
    private func checkTrainable() throws {
        func fail(_ reason: String) -> TrainingError { TrainingError(epoch: epoch + 1, step: step, reason: reason) }
        guard !optimizer.parameters.isEmpty else { throw fail("the optimizer has no parameters to train") }
        let layout = loader.source.targetLayout
        if let problem = loss.problem(for: layout) { throw fail(problem) }
        if let problem = metrics.lazy.compactMap({ $0.problem(for: layout) }).first { throw fail(problem) }
        if let validationData {
            guard validationData.targetLayout == layout, validationData.exampleShape == loader.source.exampleShape else {
                throw fail("the validation data has examples of shape \(validationData.exampleShape) and targets of "
                           + "\(validationData.targetLayout), the training data \(loader.source.exampleShape) and \(layout)")
            }
        }
        if plateau != nil, !reportedValueNames.contains(monitor) {
            throw fail("the plateau schedule monitors \"\(monitor)\", which this trainer does not report; it reports "
                       + reportedValueNames.joined(separator: ", "))
        }
        let count = loader.source.count, size = loader.batchSize
        let batchSizes = [size] + (!loader.dropLast && count % size != 0 ? [count % size] : [])
        // Synchronized batch normalization runs a collective in every forward pass: each process
        // needs an example of every batch.
        if let dataParallel, dataParallel.synchronizesBatchNorm, let smallest = batchSizes.min(), smallest < dataParallel.group.size {
            throw DistributedError(rank: dataParallel.group.rank, reason: "synchronized batch normalization needs an example "
                + "of every batch on each of the \(dataParallel.group.size) processes, and a batch has \(smallest); "
                + "use a batch size of at least \(dataParallel.group.size) and drop a shorter last batch")
        }
        guard model.namedLayers.contains(where: { $0.layer is BatchNorm1d<Scalar> }) else { return }
        if size == 1 || (!loader.dropLast && count % size == 1) {
            throw fail("the model has a BatchNorm1d, which needs more than one example "
                       + "per batch in training, but \(count) examples in batches of \(size) leave a batch of one")
        }
        // Synchronized, the layer normalizes the whole batch, whatever each process's share.
        guard let dataParallel, !dataParallel.synchronizesBatchNorm else { return }
        let group = dataParallel.group
        for batch in batchSizes where (0..<group.size).contains(where: { batch * ($0 + 1) / group.size - batch * $0 / group.size == 1 }) {
            throw fail("the model has a BatchNorm1d, which needs more than one example "
                       + "per process in training, but a batch of \(batch) split among \(group.size) processes leaves one of them one")
        }
    }

    /// Writes a checkpoint of the run at its current position, atomically: the model (with its
    /// description when it has one), the optimizer, the schedule or plateau, the shuffling and
    /// dropout generators, the position within the epoch in progress with its sums so far, and the
    /// ``movingAverage``, if any.
    public func saveCheckpoint(toFile path: String, extra: [String: String] = [:]) throws {
        var extra = extra
        extra["trainer.epoch_totals"] = totals.vector.map { String($0) }.joined(separator: ",")
        extra["trainer.batch_size"] = String(loader.batchSize)
        extra["trainer.examples"] = String(loader.source.count)
        extra["trainer.accumulation_steps"] = String(accumulationSteps)
        var file = try TrainingCheckpoint<Scalar>(step: step, epoch: epoch, batchesInEpoch: batchesInEpoch,
                                                  generators: ["shuffle": epochGenerator], extra: extra)
            .file(model: model, optimizer: optimizer, scheduler: scheduler, plateau: plateau)
        for (key, tensor) in movingAverage?.state ?? [:] { file.entries[key] = SafeTensorsEntry(tensor, as: Scalar._safeTensorsDType) }
        try file.write(toFile: path)
    }

    /// Restores a run from a checkpoint written by ``saveCheckpoint(toFile:extra:)``: the next
    /// ``fit(epochs:)`` continues with the remaining batches of the epoch it was written in. With a
    /// ``movingAverage``, the checkpoint must hold one; without, any it holds is not read.
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
        let settings = [("batch_size", loader.batchSize), ("examples", loader.source.count), ("accumulation_steps", accumulationSteps)]
        for (key, expected) in settings {
            if let saved = peek.extra["trainer." + key], saved != String(expected) {
                throw fail("it was written by a run with \(key.replacingOccurrences(of: "_", with: " ")) \(saved); "
                           + "this one has \(expected), so the rest of its epoch cannot be replayed")
            }
        }
        guard peek.batchesInEpoch <= loader.batchCount else {
            throw fail("it stopped after batch \(peek.batchesInEpoch) of an epoch; this data has \(loader.batchCount) batches an epoch")
        }
        let epochTotals = try savedTotals(peek, fail: fail)
        // The moving average first (it validates before it changes), put back if the rest fails.
        let previousAverage = movingAverage?.state
        if let movingAverage {
            guard ExponentialMovingAverage<Scalar>.isStored(in: file) else {
                throw fail("it holds no moving average of the weights (ema.*), which this run keeps")
            }
            try movingAverage.load(from: file, path: path)
        }
        let record: TrainingCheckpoint<Scalar>
        do {
            record = try TrainingCheckpoint<Scalar>.load(model: model, optimizer: optimizer, scheduler: scheduler, plateau: plateau,
                                                         from: file, path: path)
        } catch {
            if let previousAverage { try? movingAverage?.loadState(previousAverage) }
            throw error
        }
        (epoch, step, batchesInEpoch) = (record.epoch, record.step, record.batchesInEpoch)
        totals = epochTotals
        if let shuffle = record.generators["shuffle"] { epochGenerator = shuffle }
        loader.generator = epochGenerator
        return record
    }

    /// The sums of the epoch in progress a checkpoint holds, validated: `trainer.epoch_totals`,
    /// or the loss, correct labels and examples of checkpoints written before other metrics.
    private func savedTotals(_ record: TrainingCheckpoint<Scalar>, fail: (String) -> CheckpointError) throws -> MetricTotals {
        var sums = try newTotals()
        let perExample = Double(loader.source.targetLayout.exampleShape.reduce(1, *))
        let maximumExamples = Double(record.batchesInEpoch * loader.batchSize)
        let malformed = fail("metadata \"extra.trainer.epoch_totals\" does not describe the epoch in progress of this run's "
                             + "loss and metrics (\(metrics.map(\.name).joined(separator: ", ")))")
        if let text = record.extra["trainer.epoch_totals"] {
            let vector = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard vector.count == sums.vector.count, vector.allSatisfy({ $0?.isFinite == true }) else { throw malformed }
            sums.load(vector.map { $0! })
        } else if let loss = record.extra["trainer.epoch_loss"], let correct = record.extra["trainer.epoch_correct"],
                  let seen = record.extra["trainer.epoch_seen"] {
            // Written before other metrics: the loss, the correct labels and the examples.
            guard let loss = Double(loss), loss.isFinite, let correct = Double(correct), correct >= 0, let seen = Double(seen),
                  seen == 0 || metrics.allSatisfy({ $0 == .accuracy }) else { throw malformed }
            sums.load([loss, seen, seen * perExample] + metrics.map { _ in correct } + sums.columns)
        }
        guard sums.examples >= 0, sums.examples == sums.examples.rounded(), sums.examples <= maximumExamples,
              sums.targetCount >= 0, sums.targetCount <= sums.examples * perExample,
              zip(metrics, sums.sums).allSatisfy({ $0.0 != .accuracy || ($0.1 >= 0 && $0.1 <= sums.targetCount) }) else { throw malformed }
        return sums
    }
}
