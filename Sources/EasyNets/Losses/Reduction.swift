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
