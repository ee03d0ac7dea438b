import EasyNets
import Foundation
import Synchronization

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
/// Step scalars are kept in memory until the epoch ends. Then the writer copies the parameters and
/// gradients and hands the epoch to a background queue, which computes the histograms, encodes
/// the events and writes them while training goes on; the end of the run waits for it. A write
/// that fails there is thrown by the next callback. A run resumed from a checkpoint adds a new
/// event file to the same folder, which TensorBoard reads as one run.
public final class TensorBoardWriter<Scalar: TensorScalar>: TrainingObserver {
    /// The run's folder.
    public let directory: String
    /// The run's settings, shown by the HParams dashboard.
    public let hyperparameters: [String: Hyperparameter]
    /// Whether parameter and gradient histograms are written each epoch.
    public let writesHistograms: Bool
    /// The path of the run's event file (`nil` before the run starts).
    public private(set) var path: String?
    /// Seconds the training thread spent in this writer's callbacks so far (collecting the steps,
    /// copying the parameters, waiting for the background queue at the end): what it added to
    /// the run's time.
    public private(set) var secondsSpent = 0.0
    /// Seconds the background queue spent computing histograms, encoding and writing events so
    /// far, while training went on.
    public var backgroundSeconds: Double { events.seconds }
    private let clock = ContinuousClock()
    /// The steps since the last epoch's end: their scalars, encoded on the background queue.
    private var pendingSteps: [StepScalars] = []
    /// The learning rate the next step uses (the optimizer's rate is read after each step, when a
    /// per-batch schedule has already set the following step's).
    private var nextLearningRate = 0.0
    private let events = EventQueue()

    /// A writer into `directory` (created when the run starts if missing), with the run's
    /// `hyperparameters`; `writesHistograms: false` leaves out the histograms.
    public init(directory: String, hyperparameters: [String: Hyperparameter] = [:], writesHistograms: Bool = true) {
        (self.directory, self.hyperparameters, self.writesHistograms) = (directory, hyperparameters, writesHistograms)
    }

    deinit {
        // A run that ended by an error before `trainingDidEnd` still gets its events written.
        events.wait()
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
        // A folder that exists is checked by creating the event file in it.
        if !FileManager.default.fileExists(atPath: directory) { try Self.prepare(directory: directory) }
        path = try events.open(directory: directory)
        let summary = trainer.model.summary(inputShape: [1] + trainer.loader.source.exampleShape)
        let (hyperparameters, step) = (self.hyperparameters, trainer.step)
        events.write { file in
            if !hyperparameters.isEmpty { try file.addHyperparameters(hyperparameters) }
            // Indented four spaces: a Markdown code block, so the table's columns stay aligned.
            try file.addText(summary.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"),
                             tag: "model/summary", step: step)
        }
        nextLearningRate = trainer.optimizer.learningRate
    }

    public func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws {
        let start = clock.now
        defer { secondsSpent += start.duration(to: clock.now).inSeconds }
        pendingSteps.append(StepScalars(step: batch.step, wallTime: Date().timeIntervalSince1970, loss: batch.loss,
                                        learningRate: nextLearningRate, samplesPerSecond: batch.samplesPerSecond))
        nextLearningRate = trainer.optimizer.learningRate
    }

    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {
        let start = clock.now
        defer { secondsSpent += start.duration(to: clock.now).inSeconds }
        guard path != nil else { return }
        try events.rethrow()
        let scalars = metrics.values.sorted { $0.key < $1.key }.map { ("epoch/" + $0.key, $0.value) }
            + [("epoch/learning_rate", metrics.learningRate), ("epoch/seconds", metrics.seconds),
               ("epoch/samples_per_second", metrics.samplesPerSecond)]
        // Copies of the values; their histograms are computed on the queue.
        var copies: [(tag: String, values: [Scalar])] = []
        if writesHistograms {
            for (name, parameter) in trainer.model.namedParameters {
                copies.append(("parameters/" + name, parameter.value.scalars))
                if let gradient = parameter.gradient { copies.append(("gradients/" + name, gradient.scalars)) }
            }
        }
        let tensors = copies
        let (steps, epoch) = (pendingSteps, metrics.epoch)
        pendingSteps.removeAll(keepingCapacity: true)
        events.write { file in
            try StepScalars.write(steps, to: file)
            try file.addScalars(scalars, step: epoch)
            if !tensors.isEmpty {
                try file.addHistograms(tensors.map { tensor in (tensor.tag, tensor.values.withUnsafeBufferPointer { Histogram($0) }) }, step: epoch)
            }
        }
        // A per-epoch schedule or a plateau stepped before the observers heard of the epoch.
        nextLearningRate = trainer.optimizer.learningRate
    }

    /// Writes how the run ended (for the HParams dashboard), waits for the background queue and
    /// closes the file. A cancelled run, which may be resumed, gets no end.
    public func trainingDidEnd(_ trainer: Trainer<Scalar>, _ outcome: TrainingOutcome) throws {
        let start = clock.now
        defer { secondsSpent += start.duration(to: clock.now).inSeconds }
        guard path != nil else { return }
        path = nil
        let (steps, ends, failed) = (pendingSteps, !hyperparameters.isEmpty && outcome != .cancelled, outcome == .failed)
        pendingSteps.removeAll()
        events.write { file in
            try StepScalars.write(steps, to: file)
            if ends { try file.addSessionEnd(failed ? .failure : .success) }
        }
        try events.close()
    }
}

/// One step's scalars.
private struct StepScalars: Sendable {
    var step: Int, wallTime: Double, loss: Double, learningRate: Double, samplesPerSecond: Double

    /// Adds the scalars of `steps` to `file`.
    static func write(_ steps: [StepScalars], to file: EventFileWriter) throws {
        for step in steps {
            try file.addScalars([("batch/loss", step.loss), ("batch/learning_rate", step.learningRate),
                                 ("batch/samples_per_second", step.samplesPerSecond)], step: step.step, wallTime: step.wallTime)
        }
    }
}

/// A serial queue that owns an event file: each ``write(_:)`` runs there in order and flushes the
/// file; the first error is kept for the training thread to throw.
private final class EventQueue: @unchecked Sendable {
    // `file` is created, read and closed only on `queue`; `status` crosses threads under its lock.
    private let queue = DispatchQueue(label: "EasyNets.TensorBoardWriter")
    private var file: EventFileWriter?
    private let status = Mutex<(error: (any Error)?, seconds: Double)>((nil, 0))

    /// Creates a new event file in `directory` and returns its path.
    func open(directory: String) throws -> String {
        try queue.sync {
            let file = try EventFileWriter(directory: directory)
            self.file = file
            return file.path
        }
    }

    /// Runs `body` on the file on the queue, then flushes it; after an error, nothing more is written.
    func write(_ body: @escaping @Sendable (EventFileWriter) throws -> Void) {
        queue.async {
            let clock = ContinuousClock(), start = clock.now
            var failure: (any Error)?
            if self.status.withLock({ $0.error == nil }), let file = self.file {
                do {
                    try body(file)
                    try file.flush()
                } catch {
                    failure = error
                }
            }
            let seconds = start.duration(to: clock.now).inSeconds
            self.status.withLock { status in
                status.seconds += seconds
                if status.error == nil { status.error = failure }
            }
        }
    }

    /// Seconds spent in writes so far.
    var seconds: Double { status.withLock { $0.seconds } }

    /// Throws the first error of a write so far.
    func rethrow() throws {
        if let error = status.withLock({ $0.error }) { throw error }
    }

    /// Waits for the writes so far.
    func wait() { queue.sync {} }

    /// Waits for the writes so far, closes the file, and throws the first error.
    func close() throws {
        try queue.sync {
            defer { file = nil }
            try rethrow()
            try file?.close()
        }
    }
}
