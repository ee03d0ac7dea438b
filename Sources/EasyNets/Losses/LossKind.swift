/// The losses `easynets train --loss` names, each a ``Loss`` of the library.
public enum LossKind: String, CaseIterable, Sendable {
    /// ``Loss/crossEntropy``: classifiers (class indices).
    case crossEntropy = "cross-entropy"
    /// ``Loss/meanSquaredError``: regressors.
    case mse
    /// ``Loss/l1``: regressors, robust to outliers.
    case l1
    /// ``Loss/huber(delta:)`` with δ = 1: regressors, quadratic near 0 and linear beyond.
    case huber
    /// ``Loss/binaryCrossEntropyWithLogits``: multi-label classifiers (0/1 values).
    case bce

    /// The loss.
    public func makeLoss<Scalar: TensorScalar>() -> Loss<Scalar> {
        switch self {
        case .crossEntropy: .crossEntropy
        case .mse: .meanSquaredError
        case .l1: .l1
        case .huber: .huber()
        case .bce: .binaryCrossEntropyWithLogits
        }
    }
}
