/// Training stopped because a number it depends on went wrong: which epoch and step, and what.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    /// The epoch (1-based) in which the problem appeared.
    public var epoch: Int
    /// The optimizer step (1-based, counted over the whole run) at which it appeared.
    public var step: Int
    /// What went wrong.
    public var reason: String

    /// An error at `epoch` and `step`, explaining `reason`.
    public init(epoch: Int, step: Int, reason: String) { (self.epoch, self.step, self.reason) = (epoch, step, reason) }

    public var description: String { "training diverged at epoch \(epoch), step \(step): \(reason)" }
}

/// The check that stops a diverging run before anything non-finite is written: a loss that is
/// NaN or infinite, or a parameter that became so, is a ``TrainingError`` naming the epoch and step.
///
/// Check the loss after every forward pass (before the backward pass and the update), and the
/// parameters before writing a checkpoint; metrics then never hold NaN and the last checkpoint
/// written is the last good one.
public enum DivergenceGuard {
    /// Throws when `loss` is not finite.
    public static func check(loss: Double, epoch: Int, step: Int) throws {
        guard loss.isFinite else { throw TrainingError(epoch: epoch, step: step, reason: "the loss is \(loss)") }
    }

    /// Throws when a value of any of `parameters` is not finite, naming the first such parameter.
    public static func check<Scalar: TensorScalar>(
        parameters: [(name: String, parameter: Parameter<Scalar>)], epoch: Int, step: Int
    ) throws {
        for (name, parameter) in parameters {
            let finite = parameter.value.withUnsafeBufferPointer { values in
                var sum: Scalar = 0  // v * 0 is 0 for a finite v and NaN for NaN or ±∞
                for v in values { sum += v * 0 }
                return sum.isFinite
            }
            guard finite else {
                throw TrainingError(epoch: epoch, step: step, reason: "parameter \"\(name)\" holds a value that is not finite")
            }
        }
    }
}
