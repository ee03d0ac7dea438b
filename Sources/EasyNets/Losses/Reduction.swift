/// How a loss combines per-element values, as PyTorch's `reduction` argument.
public enum LossReduction: Sendable {
    /// The mean over elements (the default).
    case mean
    /// The sum over elements.
    case sum
    /// No reduction: one loss per element.
    case none

    func apply<Scalar>(_ losses: Tensor<Scalar>) -> Tensor<Scalar> {
        switch self {
        case .mean: return losses.mean()
        case .sum: return losses.sum()
        case .none: return losses
        }
    }
}

func checkSameShape<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, _ op: String) {
    require(a.shape == b.shape, "\(op): prediction shape \(a.shape) and target shape \(b.shape) differ")
}

/// Stops unless `shape` broadcasts to `target` without growing it (as a weight to its input).
func checkBroadcasts(_ shape: [Int], to target: [Int], _ op: String, _ name: String, targetName: String = "input") {
    let fits = shape.count <= target.count
        && zip(shape.reversed(), target.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
    require(fits, "\(op): \(name) of shape \(shape) does not broadcast to the \(targetName)'s shape \(target)")
}
