/// The optimizers a ``TrainingRecipe`` names (the values of `easynets train --optimizer`).
public enum OptimizerKind: String, CaseIterable, Sendable {
    /// ``SGD`` with Nesterov momentum 0.9.
    case sgd
    /// ``Adam``.
    case adam
    /// ``AdamW``: Adam with decoupled weight decay.
    case adamw
    /// ``RMSProp``.
    case rmsprop
    /// ``Adagrad``.
    case adagrad

    /// An optimizer of this kind over `parameters` at `learningRate`, with `weightDecay` (L2 for
    /// all but ``adamw``, which decouples it); otherwise with PyTorch's defaults, but for SGD's
    /// Nesterov momentum of 0.9.
    public func makeOptimizer<Scalar: TensorScalar>(_ parameters: [Parameter<Scalar>], learningRate: Double,
                                                    weightDecay: Double = 0) -> any Optimizer<Scalar> {
        switch self {
        case .sgd: return SGD(parameters, learningRate: learningRate, momentum: 0.9, weightDecay: weightDecay, nesterov: true)
        case .adam: return Adam(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .adamw: return AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .rmsprop: return RMSProp(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .adagrad: return Adagrad(parameters, learningRate: learningRate, weightDecay: weightDecay)
        }
    }
}
