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
    /// ``NAdam``: Adam with Nesterov momentum.
    case nadam
    /// ``RAdam``: rectified Adam.
    case radam
    /// ``Adamax``: Adam with the infinity norm.
    case adamax

    /// An optimizer of this kind over `parameters` at `learningRate`, with `weightDecay` (L2 for
    /// all but ``adamw``, which decouples it); otherwise with PyTorch's defaults, but for SGD's
    /// Nesterov momentum of 0.9.
    public func makeOptimizer<Scalar: TensorScalar>(_ parameters: [Parameter<Scalar>], learningRate: Double,
                                                    weightDecay: Double = 0) -> any Optimizer<Scalar> {
        makeOptimizer(groups: [(parameters, weightDecay)], learningRate: learningRate)
    }

    /// An optimizer of this kind as ``makeOptimizer(_:learningRate:weightDecay:)`` makes one, over the
    /// two groups of ``ParameterGroup/weightDecayGroups(of:weightDecay:)``: `model`'s weights decayed
    /// by `weightDecay`, its biases and normalization parameters not decayed.
    public func makeOptimizer<Scalar: TensorScalar>(weightDecayGroupsOf model: some Layer<Scalar>, learningRate: Double,
                                                    weightDecay: Double) -> any Optimizer<Scalar> {
        let (decayed, exempt) = weightDecayPartition(of: model)
        return makeOptimizer(groups: [(decayed, weightDecay), (exempt, 0)], learningRate: learningRate)
    }

    /// An optimizer of this kind over groups of parameters, each with its own weight decay.
    private func makeOptimizer<Scalar: TensorScalar>(groups: [(parameters: [Parameter<Scalar>], weightDecay: Double)],
                                                     learningRate: Double) -> any Optimizer<Scalar> {
        func groupsOf<Options>(_: Options.Type) -> [ParameterGroup<Scalar, Options>] {
            groups.map { ParameterGroup($0.parameters, weightDecay: $0.weightDecay) }
        }
        switch self {
        case .sgd: return SGD(groups: groupsOf(SGD<Scalar>.Options.self), learningRate: learningRate, momentum: 0.9, nesterov: true)
        case .adam: return Adam(groups: groupsOf(Adam<Scalar>.Options.self), learningRate: learningRate)
        case .adamw: return AdamW(groups: groupsOf(Adam<Scalar>.Options.self), learningRate: learningRate)
        case .rmsprop: return RMSProp(groups: groupsOf(RMSProp<Scalar>.Options.self), learningRate: learningRate)
        case .adagrad: return Adagrad(groups: groupsOf(Adagrad<Scalar>.Options.self), learningRate: learningRate)
        case .nadam: return NAdam(groups: groupsOf(NAdam<Scalar>.Options.self), learningRate: learningRate)
        case .radam: return RAdam(groups: groupsOf(RAdam<Scalar>.Options.self), learningRate: learningRate)
        case .adamax: return Adamax(groups: groupsOf(Adamax<Scalar>.Options.self), learningRate: learningRate)
        }
    }
}
