/// The hyperparameters an optimizer keeps for each parameter group (``SGD/Options``,
/// ``Adam/Options``, …): every optimizer has a learning rate and a weight decay.
public protocol OptimizerOptions: Sendable, Equatable {
    /// The group's learning rate.
    var learningRate: Double { get set }
    /// The group's weight decay (L2, or decoupled in ``AdamW``).
    var weightDecay: Double { get set }
}

/// Parameters an optimizer updates with their own hyperparameters, as a PyTorch parameter group
/// (`{'params': …, 'lr': …}`): the optimizer's arguments are the defaults, and the group's
/// overrides change them for its parameters alone.
///
/// ```swift
/// SGD(groups: [ParameterGroup(backbone), ParameterGroup(head, learningRate: 0.1) { $0.momentum = 0.5 }],
///     learningRate: 0.01, momentum: 0.9)
/// ```
///
/// A parameter may be in one group only; an optimizer given the same parameter in two groups
/// stops with a programmer error, as PyTorch's raises one.
public struct ParameterGroup<Scalar: TensorScalar, Options: OptimizerOptions> {
    /// The group's parameters, in order.
    public var parameters: [Parameter<Scalar>]
    /// Changes the optimizer's defaults for this group.
    public var overrides: (inout Options) -> Void

    /// A group of `parameters` with the optimizer's defaults, but for the learning rate and weight
    /// decay when given, and whatever `overrides` changes.
    public init(_ parameters: [Parameter<Scalar>], learningRate: Double? = nil, weightDecay: Double? = nil,
                overrides: @escaping (inout Options) -> Void = { _ in }) {
        self.parameters = parameters
        self.overrides = { options in
            if let learningRate { options.learningRate = learningRate }
            if let weightDecay { options.weightDecay = weightDecay }
            overrides(&options)
        }
    }

    /// Two groups of `model`'s trainable parameters: the first decayed by `weightDecay`, the second
    /// not decayed at all.
    ///
    /// The second group holds every parameter with fewer than two dimensions (the biases of
    /// linear, convolutional, recurrent and attention layers, and any other vector or scalar) and
    /// every parameter of a ``NormalizationLayer`` (``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``,
    /// ``GroupNorm``, ``InstanceNorm1d``, ``InstanceNorm2d``, ``RMSNorm``); the first holds the rest: the weight matrices and convolution kernels, and
    /// embedding tables, which the usual PyTorch recipes (timm's, nanoGPT's) decay too. Both groups
    /// keep the model's parameter order; frozen parameters are in neither.
    public static func weightDecayGroups(of model: some Layer<Scalar>, weightDecay: Double) -> [ParameterGroup] {
        let (decayed, exempt) = weightDecayPartition(of: model)
        return [ParameterGroup(decayed, weightDecay: weightDecay), ParameterGroup(exempt, weightDecay: 0)]
    }
}

/// `model`'s trainable parameters split as ``ParameterGroup/weightDecayGroups(of:weightDecay:)`` splits them.
func weightDecayPartition<Scalar>(of model: some Layer<Scalar>) -> (decayed: [Parameter<Scalar>], exempt: [Parameter<Scalar>]) {
    var decayed: [Parameter<Scalar>] = [], exempt: [Parameter<Scalar>] = []
    for (_, layer) in model.namedLayers {
        let isNormalization = layer is any NormalizationLayer
        for (_, parameter) in layer.parameters where !parameter.isFrozen {
            if isNormalization || parameter.shape.count < 2 {
                exempt.append(parameter)
            } else {
                decayed.append(parameter)
            }
        }
    }
    return (decayed, exempt)
}

/// One parameter group as an optimizer holds it (PyTorch's `optimizer.param_groups[i]`): its
/// parameters, the learning rate of its next step, and the rate schedules scale.
public struct OptimizerGroup<Scalar: TensorScalar> {
    /// The group's parameters, in order.
    public let parameters: [Parameter<Scalar>]
    /// The learning rate of the group's next step (schedules set it).
    public var learningRate: Double
    /// The base rate a ``LearningRateScheduler`` scales (PyTorch's `initial_lr`): the group's rate
    /// when the optimizer was made, unless set since.
    public var initialLearningRate: Double
}

/// A layer that normalizes its input (``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``,
/// ``GroupNorm``, ``InstanceNorm1d``, ``InstanceNorm2d``, ``RMSNorm``): ``ParameterGroup/weightDecayGroups(of:weightDecay:)`` exempts its parameters
/// from weight decay. Conform a normalization layer of your own to get the same.
public protocol NormalizationLayer {}

/// An optimizer's groups with their options resolved: the storage every optimizer shares.
struct GroupTable<Scalar: TensorScalar, Options: OptimizerOptions> {
    /// The optimizer's name, for messages.
    let name: String
    /// Each group's parameters.
    let members: [[Parameter<Scalar>]]
    /// Each group's options; `learningRate` is the rate of its next step.
    var options: [Options]
    /// Each group's base rate for schedules.
    var initialLearningRates: [Double]
    /// Every group's parameters, in order.
    let parameters: [Parameter<Scalar>]

    /// Resolves `groups` against `defaults`; `check` returns what is wrong with a group's options, if anything.
    init(_ name: String, _ groups: [ParameterGroup<Scalar, Options>], defaults: Options, check: (Options) -> String? = { _ in nil }) {
        require(!groups.isEmpty, "\(name): needs at least one parameter group")
        var seen: [ObjectIdentifier: Int] = [:]
        for (index, group) in groups.enumerated() {
            for parameter in group.parameters {
                if let first = seen[ObjectIdentifier(parameter)], first != index {
                    programmerError("\(name): a parameter of shape \(parameter.shape) is in parameter groups \(first) and \(index); "
                                    + "a parameter may be in one group only")
                }
                seen[ObjectIdentifier(parameter)] = index
            }
        }
        options = groups.enumerated().map { index, group in
            var options = defaults
            group.overrides(&options)
            if let problem = check(options) {
                programmerError("\(name): \(problem)" + (groups.count > 1 ? " (parameter group \(index))" : ""))
            }
            return options
        }
        self.name = name
        members = groups.map(\.parameters)
        initialLearningRates = options.map(\.learningRate)
        parameters = members.flatMap { $0 }
    }

    /// The first group's learning rate; setting it sets every group's (``Optimizer/learningRate``,
    /// read once a step by observers, without building the groups).
    var learningRate: Double {
        get { options[0].learningRate }
        set { for index in options.indices { options[index].learningRate = newValue } }
    }

    var groups: [OptimizerGroup<Scalar>] {
        get {
            members.indices.map {
                OptimizerGroup(parameters: members[$0], learningRate: options[$0].learningRate,
                               initialLearningRate: initialLearningRates[$0])
            }
        }
        set {
            require(newValue.count == members.count && zip(newValue, members).allSatisfy {
                $0.parameters.count == $1.count && zip($0.parameters, $1).allSatisfy { $0 === $1 }
            }, "\(name).groups: the groups and their parameters are fixed when the optimizer is made; set their learning rates only")
            for (index, group) in newValue.enumerated() {
                options[index].learningRate = group.learningRate
                initialLearningRates[index] = group.initialLearningRate
            }
        }
    }

    /// Runs `body(options, index, parameterValues, gradient, count)` for every parameter with a
    /// gradient, with its group's options and its index among all groups' parameters: one dense
    /// gradient pointer each.
    ///
    /// This is the one seam where batch-1 outer-product gradients (see ``AutogradNode/OuterProduct``)
    /// are seen: `fusedOuterProduct(options, index, parameterValues, factors)` may update a
    /// parameter straight from the factors and return `true` (SGD with momentum does, in one pass
    /// over the weight and its buffer); otherwise the product is written out and `body` gets it densely.
    func forEachParameterWithGradient(
        fusedOuterProduct: ((Options, Int, UnsafeMutablePointer<Scalar>, AutogradNode<Scalar>.OuterProduct) -> Bool)? = nil,
        _ body: (Options, Int, UnsafeMutablePointer<Scalar>, UnsafePointer<Scalar>, Int) -> Void
    ) {
        var index = 0
        for (group, parameters) in members.enumerated() {
            let options = options[group]
            for parameter in parameters {
                defer { index += 1 }
                // A frozen parameter has no node: it is never stepped, even when given to the optimizer.
                guard let node = parameter.value.node else { continue }
                if let product = node.outerProductGradient, let fusedOuterProduct {
                    let fused = parameter.value.withUnsafeMutableBufferPointer { p in
                        withExtendedLifetime(product) { fusedOuterProduct(options, index, p.baseAddress!, product) }
                    }
                    if fused { continue }
                }
                node.materializeGradient()
                guard let gradient = node.gradient else { continue }
                withExtendedLifetime(gradient) {
                    parameter.value.withUnsafeMutableBufferPointer { p in body(options, index, p.baseAddress!, gradient.base, p.count) }
                }
            }
        }
    }
}
