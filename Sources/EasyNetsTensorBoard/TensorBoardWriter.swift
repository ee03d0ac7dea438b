import EasyNets
import Foundation

/// Writes a training run as TensorBoard event files: add it to a ``Trainer``'s observers and run
/// `tensorboard --logdir` on the folder (or its parent, to compare runs).
///
/// What it writes, by tag:
/// - each optimizer step (x-axis: the step): `batch/loss` (the step's mean loss),
///   `batch/learning_rate` (the rate the step used) and `batch/samples_per_second`;
/// - each epoch (x-axis: the epoch): `epoch/<name>` for every value of the epoch's
///   `EpochMetrics` (`epoch/train_loss`, `epoch/validation_accuracy`, …), `epoch/learning_rate`,
///   `epoch/seconds` and `epoch/samples_per_second`; histograms `parameters/<name>` of every
///   parameter and `gradients/<name>` of its gradient from the epoch's last step;
/// - once, at the start: `model/summary`, the model's layer table (text dashboard), and the
///   hyperparameters (HParams dashboard, with the epoch scalars as its metrics).
///
/// Step scalars are kept in memory and written with the epoch's histograms at the end of each
/// epoch, and at the end of the run; the histograms take two passes over the parameters once
/// an epoch. A run resumed from a checkpoint adds a new event file to the same folder, which
/// TensorBoard reads as one run.
public final class TensorBoardWriter<Scalar: TensorScalar>: TrainingObserver {
    /// The run's folder.
    public let directory: String
    /// The run's settings, shown by the HParams dashboard.
    public let hyperparameters: [String: Hyperparameter]
    /// Whether parameter and gradient histograms are written each epoch.
    public let writesHistograms: Bool
    /// The event file of the run in progress (`nil` before the run starts).
    public private(set) var file: EventFileWriter?
    /// Seconds spent in this writer's callbacks so far (encoding events, histograms, writing
    /// files): what it added to the run's time.
    public private(set) var secondsSpent = 0.0
    private let clock = ContinuousClock()
    /// The steps since the last write: their scalars, encoded at the end of the epoch, so a step
    /// costs the writer one append.
    private var pendingSteps: [(step: Int, wallTime: Double, loss: Double, learningRate: Double, samplesPerSecond: Double)] = []
    /// The learning rate the next step uses (the optimizer's rate is read after each step, when a
    /// per-batch schedule has already set the following step's).
    private var nextLearningRate = 0.0

    /// A writer into `directory` (created when the run starts if missing), with the run's
    /// `hyperparameters`; `writesHistograms: false` leaves out the histograms.
    public init(directory: String, hyperparameters: [String: Hyperparameter] = [:], writesHistograms: Bool = true) {
        (self.directory, self.hyperparameters, self.writesHistograms) = (directory, hyperparameters, writesHistograms)
    }

    /// Creates `directory` (and its parents) when missing, and checks that files can be created
    /// in it; throws a `DataError` naming it otherwise.
    public static func prepare(directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw DataError(path: directory, reason: "is a file, not a folder") }
        } else {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw DataError(path: directory, reason: "cannot create the folder (\(error.localizedDescription))")
            }
        }
        do { try OutputFile.checkWritable((directory as NSString).appendingPathComponent("events.out.tfevents")) } catch let error as DataError {
            throw DataError(path: directory, reason: error.reason)
        }
    }

    public func trainingWillStart(_ trainer: Trainer<Scalar>) throws {
        let start = clock.now
        defer { secondsSpent += start.duration(to: clock.now).inSeconds }
        try Self.prepare(directory: directory)
        let file = try EventFileWriter(directory: directory)
        self.file = file
        if !hyperparameters.isEmpty { try file.addHyperparameters(hyperparameters) }
        let summary = trainer.model.summary(inputShape: [1] + trainer.loader.source.exampleShape)
        // Indented four spaces: a Markdown code block, so the table's columns stay aligned.
        try file.addText(summary.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"),
                         tag: "model/summary", step: trainer.step)
        try file.flush()
        nextLearningRate = trainer.optimizer.learningRate
    }

    public func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws {
        let start = clock.now
        defer { secondsSpent += start.duration(to: clock.now).inSeconds }
        pendingSteps.append((batch.step, Date().timeIntervalSince1970, batch.loss, nextLearningRate, batch.samplesPerSecond))
        nextLearningRate = trainer.optimizer.learningRate
    }

    /// Writes the scalars of the steps since the last write.
    private func writePendingSteps(to file: EventFileWriter) throws {
        for step in pendingSteps {
            try file.addScalars([("batch/loss", step.loss), ("batch/learning_rate", step.learningRate),
                                 ("batch/samples_per_second", step.samplesPerSecond)], step: step.step, wallTime: step.wallTime)
        }
        pendingSteps.removeAll(keepingCapacity: true)
    }

    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {
        let start = clock.now
        defer { secondsSpent += start.duration(to: clock.now).inSeconds }
        guard let file else { return }
        try writePendingSteps(to: file)
        let scalars = metrics.values.sorted { $0.key < $1.key }.map { ("epoch/" + $0.key, $0.value) }
            + [("epoch/learning_rate", metrics.learningRate), ("epoch/seconds", metrics.seconds),
               ("epoch/samples_per_second", metrics.samplesPerSecond)]
        try file.addScalars(scalars, step: metrics.epoch)
        if writesHistograms {
            var histograms: [(tag: String, histogram: Histogram)] = []
            for (name, parameter) in trainer.model.namedParameters {
                histograms.append(("parameters/" + name, parameter.value.withUnsafeBufferPointer { Histogram($0) }))
                if let gradient = parameter.gradient {
                    histograms.append(("gradients/" + name, gradient.withUnsafeBufferPointer { Histogram($0) }))
                }
            }
            try file.addHistograms(histograms, step: metrics.epoch)
        }
        try file.flush()
        // A per-epoch schedule or a plateau stepped before the observers heard of the epoch.
        nextLearningRate = trainer.optimizer.learningRate
    }

    /// Writes how the run ended (for the HParams dashboard) and closes the file. A cancelled run,
    /// which may be resumed, gets no end.
    public func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws {
        let start = clock.now
        defer { secondsSpent += start.duration(to: clock.now).inSeconds }
        guard let file else { return }
        self.file = nil
        try writePendingSteps(to: file)
        if !hyperparameters.isEmpty && outcome != .cancelled {
            try file.addSessionEnd(outcome == .failed ? .failure : .success)
        }
        try file.close()
    }
}
