/// Training stopped because something that depends on the data or the numbers went wrong (it
/// diverged, say): which epoch and step, and what.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    /// The epoch (1-based) in which the problem appeared.
    public var epoch: Int
    /// The optimizer step (1-based, counted over the whole run) at which it appeared.
    public var step: Int
    /// What went wrong.
    public var reason: String

    /// An error at `epoch` and `step`, explaining `reason`.
    public init(epoch: Int, step: Int, reason: String) { (self.epoch, self.step, self.reason) = (epoch, step, reason) }

    public var description: String { "training stopped at epoch \(epoch), step \(step): \(reason)" }
}

/// The check that stops a diverging run before anything non-finite is written: a loss that is
/// NaN or infinite, or a parameter that became so, is a ``TrainingError`` naming the epoch and step.
///
/// As a ``TrainingObserver`` (put it first), it checks each batch's loss, and each epoch's losses
/// and the parameters; metrics then never hold NaN and the last checkpoint written is the last good
/// one. Its checks can also be called directly from a hand-written loop.
public final class DivergenceGuard<Scalar: TensorScalar>: TrainingObserver {
    /// A guard.
    public init() {}

    /// Throws when `loss` is not finite.
    public func check(loss: Double, epoch: Int, step: Int) throws {
        guard loss.isFinite else { throw TrainingError(epoch: epoch, step: step, reason: "it diverged: the loss is \(loss)") }
    }

    /// Throws when a value of any of `parameters` is not finite, naming the first such parameter.
    public func check(parameters: [(name: String, parameter: Parameter<Scalar>)], epoch: Int, step: Int) throws {
        for (name, parameter) in parameters {
            let finite = parameter.value.withUnsafeBufferPointer { values in
                var sum: Scalar = 0  // v * 0 is 0 for a finite v and NaN for NaN or ±∞
                for v in values { sum += v * 0 }
                return sum.isFinite
            }
            guard finite else {
                throw TrainingError(epoch: epoch, step: step, reason: "it diverged: parameter \"\(name)\" holds a value that is not finite")
            }
        }
    }

    public func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws {
        try check(loss: batch.loss, epoch: batch.epoch, step: batch.step)
    }

    public func epochDidEnd(_ trainer: Trainer<Scalar>, _ metrics: EpochMetrics) throws {
        for (name, value) in metrics.values.sorted(by: { $0.key < $1.key }) where name.hasSuffix("_loss") {
            try check(loss: value, epoch: metrics.epoch, step: trainer.step)
        }
        try check(parameters: trainer.model.namedParameters, epoch: metrics.epoch, step: trainer.step)
    }
}
