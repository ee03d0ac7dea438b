import Foundation

/// A live progress bar on a terminal (batches, running loss, samples/s, ETA), or a few plain lines
/// per epoch when standard output is not a terminal; one summary line per epoch.
public final class ProgressBar<Scalar: TensorScalar>: TrainingObserver {
    /// The run's total epochs, shown as "epoch 3/15".
    public let epochs: Int
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = ContinuousClock.now
    private var lastPlainQuarter = 0
    private var drawn = false

    /// Where the lines go (standard output by default).
    private let write: (String) -> Void

    /// A progress bar for a run of `epochs` epochs, written by `write` (standard output by default).
    public init(epochs: Int, write: @escaping (String) -> Void = { print($0, terminator: "") }) {
        (self.epochs, self.write) = (epochs, write)
    }

    public func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws {
        // Text is formatted only for the batches that are drawn: a few per second at most.
        func status() -> String {
            "\(batch.batch)/\(batch.batchCount) loss \(String(batch.runningLoss, style: .fixed(4))) "
                + "\(Int(batch.samplesPerSecond)) samples/s ETA \(String(batch.secondsLeft, style: .fixed(1))) s"
        }
        if isTerminal {
            let now = ContinuousClock.now
            guard batch.batch == batch.batchCount || lastDraw.duration(to: now) > .milliseconds(100) else { return }
            lastDraw = now
            let width = 30, filled = 30 * batch.batch / Swift.max(batch.batchCount, 1)
            write("\repoch \(batch.epoch)/\(epochs) [\(String(repeating: "█", count: filled))"
                  + "\(String(repeating: "·", count: width - filled))] \(status())\u{1B}[K")
            fflush(nil)
            drawn = true
        } else {
            let quarter = batch.batch * 4 / Swift.max(batch.batchCount, 1)
            if quarter > lastPlainQuarter || batch.batch == 1 {
                lastPlainQuarter = quarter
                write("epoch \(batch.epoch)/\(epochs) \(status())\n")
                fflush(nil)  // a log file or pipe sees the progress as it happens
            }
        }
    }

    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {
        endLine()
        lastPlainQuarter = 0
        // "train loss 0.3012 accuracy 0.8912 | validation loss 0.3310 accuracy 0.8801 | 2.1 s, 28000 samples/s"
        let parts = DataSplit.allCases.compactMap { split -> String? in
            let prefix = split.rawValue + "_"
            let names = metrics.values.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            guard !names.isEmpty else { return nil }
            let ordered = names.sorted { ($0 == "loss" ? 0 : 1, $0) < ($1 == "loss" ? 0 : 1, $1) }
            return split.rawValue + " " + ordered.map { "\($0.replacingOccurrences(of: "_", with: " ")) \(fixed(metrics.values[prefix + $0]!))" }
                .joined(separator: " ")
        }
        write("epoch \(metrics.epoch)/\(epochs): " + parts.joined(separator: " | ")
              + " | \(String(metrics.seconds, style: .fixed(1))) s, \(Int(metrics.samplesPerSecond)) samples/s\n")
        fflush(nil)
    }

    public func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws { endLine() }

    private func endLine() {
        if drawn { write("\n") }
        drawn = false
    }

    private func fixed(_ value: Double) -> String { String(value, style: .fixed(4)) }
}

/// Appends each epoch's ``EpochMetrics`` as one JSON line to a file (the format `easynets plot`
/// reads). Values are checked first, so the file never holds NaN.
public final class MetricsWriter<Scalar: TensorScalar>: TrainingObserver {
    /// The metrics file.
    public let path: String
    private var truncateNext: Bool

    /// Writes to `path`, emptying it at the first epoch when `truncating` (a new run) or appending
    /// (a resumed run).
    public init(path: String, truncating: Bool = true) { (self.path, truncateNext) = (path, truncating) }

    public func trainingWillStart(_ trainer: Trainer<Scalar>) throws { try OutputFile.checkWritable(path) }

    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {
        if let problem = metrics.problem {
            throw TrainingError(epoch: metrics.epoch, step: trainer.step, reason: "the epoch's metrics are unusable: \(problem)")
        }
        try OutputFile.append(try metrics.jsonLine() + "\n", to: path, truncating: truncateNext)
        truncateNext = false
    }
}

/// Writes the trainer's checkpoint (``Trainer/saveCheckpoint(toFile:extra:)``) atomically after
/// every epoch, every `everySteps` optimizer steps, and when the run is cancelled. A checkpoint is
/// written only when every parameter is finite, so the last one on disk is always good.
public final class CheckpointWriter<Scalar: TensorScalar>: TrainingObserver {
    /// The checkpoint file.
    public let path: String
    /// Also write every this many optimizer steps (`nil`: only after epochs and on cancellation).
    public let everySteps: Int?
    /// Free-form values stored with every checkpoint.
    public let extra: [String: String]

    /// A writer to `path`, optionally also every `everySteps` steps.
    public init(path: String, everySteps: Int? = nil, extra: [String: String] = [:]) {
        require(everySteps.map { $0 > 0 } ?? true, "CheckpointWriter: everySteps must be positive, got \(everySteps!)")
        (self.path, self.everySteps, self.extra) = (path, everySteps, extra)
    }

    public func trainingWillStart(_ trainer: Trainer<Scalar>) throws { try OutputFile.checkWritable(path) }

    public func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws {
        if let everySteps, batch.step % everySteps == 0, batch.batch < batch.batchCount { try save(trainer) }
    }

    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws { try save(trainer, epoch: metrics.epoch) }

    public func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws {
        if outcome == .cancelled { try save(trainer, epoch: trainer.epoch + (trainer.batchesInEpoch > 0 ? 1 : 0)) }
    }

    private func save(_ trainer: Trainer<Scalar>, epoch: Int? = nil) throws {
        try DivergenceGuard<Scalar>().check(parameters: trainer.model.namedParameters, epoch: epoch ?? trainer.epoch + 1, step: trainer.step)
        try trainer.saveCheckpoint(toFile: path, extra: extra)
    }
}

/// Stops training when a monitored value has not improved for `patience` epochs, and then
/// (optionally) puts back the weights of the best epoch, as Keras' `EarlyStopping`.
public final class EarlyStopping<Scalar: TensorScalar>: TrainingObserver {
    /// Whether a lower or a higher value is better.
    public enum Mode: String, Sendable {
        /// Lower is better (losses, errors).
        case min
        /// Higher is better (accuracies, R²).
        case max
    }

    /// The value watched: `validation_loss`, `validation_accuracy`, `train_loss`, … any
    /// `<split>_<metric>` the trainer reports (``Trainer/reportedValueNames``).
    public let monitor: String
    /// Whether lower or higher values of ``monitor`` are better.
    public let mode: Mode
    /// Epochs without improvement tolerated before stopping.
    public let patience: Int
    /// The smallest change that counts as an improvement.
    public let minimumDelta: Double
    /// Whether the best epoch's weights are restored when training ends.
    public let restoresBestWeights: Bool
    /// The best value seen, and its epoch.
    public private(set) var best: (value: Double, epoch: Int)?
    private var badEpochs = 0
    private var bestState: [Tensor<Scalar>] = []

    /// Stops after `patience` epochs without an improvement of at least `minimumDelta` in
    /// `monitor`; `mode` defaults to the value's own (``defaultMode(for:)``).
    public init(monitor: String = "validation_loss", mode: Mode? = nil, patience: Int, minimumDelta: Double = 0,
                restoresBestWeights: Bool = true) {
        require(patience >= 0 && minimumDelta >= 0, "EarlyStopping: patience and minimumDelta must not be negative")
        (self.monitor, self.patience, self.minimumDelta, self.restoresBestWeights) = (monitor, patience, minimumDelta, restoresBestWeights)
        self.mode = mode ?? Self.defaultMode(for: monitor)
    }

    /// `max` for values where higher is better (accuracies, R²), `min` for the others (losses,
    /// errors, bits per character).
    public static func defaultMode(for name: String) -> Mode {
        let measure = String(name.split(separator: "_", maxSplits: 1).last ?? "")
        return Metric(name: measure)?.higherIsBetter == true ? .max : .min
    }

    /// Throws when the trainer does not report ``monitor``.
    public func trainingWillStart(_ trainer: Trainer<Scalar>) throws {
        guard trainer.reportedValueNames.contains(monitor) else {
            throw TrainingError(epoch: trainer.epoch + 1, step: trainer.step, reason: "early stopping monitors \"\(monitor)\", "
                                + "which this run does not report; it reports \(trainer.reportedValueNames.joined(separator: ", "))")
        }
    }

    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {
        guard let value = metrics[monitor] else { return }
        let improved = best.map { mode == .min ? value < $0.value - minimumDelta : value > $0.value + minimumDelta } ?? true
        if improved {
            best = (value, metrics.epoch)
            badEpochs = 0
            if restoresBestWeights { bestState = trainer.model.stateEntries.map { Tensor(storage: $0.parameter.value.storage.copy(), shape: $0.parameter.value.shape) } }
        } else {
            badEpochs += 1
            if badEpochs > patience { trainer.stopRequested = true }
        }
    }

    /// Restores the best weights when the run completed or stopped early (not when it was cancelled
    /// or failed: a cancelled run resumes from where it stopped). Its own counters are not saved in
    /// checkpoints: after a resume, patience counts from the resumed epochs.
    public func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws {
        guard restoresBestWeights, !bestState.isEmpty, outcome == .completed || outcome == .stoppedEarly else { return }
        for ((_, parameter), value) in zip(trainer.model.stateEntries, bestState) { parameter.assign(value) }
    }
}
