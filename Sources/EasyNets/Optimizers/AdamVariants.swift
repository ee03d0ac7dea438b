/// NAdam (Adam with Nesterov momentum, Dozat 2016), as `torch.optim.NAdam`.
///
/// The momentum coefficient warms up, μₜ = β₁(1 − ½·0.96^(t·ψ)) with momentum decay ψ, and its
/// product Πμ is kept per parameter: m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g²;
/// d = √(v/(1 − β₂ᵗ)) + ε; p −= lr(1 − μₜ)/(1 − Πμ)·g/d + lr·μₜ₊₁/(1 − Πμ·μₜ₊₁)·m/d.
/// `weightDecay` adds λp to the gradient (L2), or with `decoupledWeightDecay` scales p by
/// (1 − lr·λ) first (PyTorch's NAdamW).
public final class NAdam<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, moment decay rates β₁ and β₂, the denominator's ε, weight decay λ,
        /// and the momentum decay ψ of the momentum warm-up.
        public var learningRate, beta1, beta2, epsilon, weightDecay, momentumDecay: Double
        /// Whether weight decay scales the parameters (decoupled) instead of adding to the gradient.
        public var decoupledWeightDecay: Bool
    }

    var table: GroupTable<Scalar, Options>
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }

    /// NAdam over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 2e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                            momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay, momentumDecay: momentumDecay,
                  decoupledWeightDecay: decoupledWeightDecay)
    }

    /// NAdam over parameter groups, the arguments their defaults (`torch.optim.NAdam(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 2e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false) {
        table = GroupTable("NAdam", groups, defaults: Options(learningRate: learningRate, beta1: beta1, beta2: beta2,
                                                             epsilon: epsilon, weightDecay: weightDecay,
                                                             momentumDecay: momentumDecay,
                                                             decoupledWeightDecay: decoupledWeightDecay))
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient { options, index, p, g, n in
            slots.steps[index] += 1
            let step = Double(slots.steps[index])
            // The momentum coefficients of this step and the next, and their running product.
            let mu = options.beta1 * (1 - 0.5 * Double.pow(0.96, step * options.momentumDecay))
            let muNext = options.beta1 * (1 - 0.5 * Double.pow(0.96, (step + 1) * options.momentumDecay))
            let muProduct = slots.withBuffer(index, "mu_product", count: 1, initial: 1) { product, _ in
                product[0] = Scalar(Double(product[0]) * mu)
                return Double(product[0])
            }
            slots.withBuffers(index, "exp_avg", "exp_avg_sq", count: n) { m, v in
                UpdateKernels.nadam(p: p, g: g, m: m, v: v, n: n, step: slots.steps[index], options: options,
                                    mu: mu, muNext: muNext, muProduct: muProduct)
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["exp_avg", "exp_avg_sq"], scalarSlots: ["mu_product"])
    }
}

/// RAdam (rectified Adam, Liu et al. 2019), as `torch.optim.RAdam`.
///
/// With ρ∞ = 2/(1 − β₂) − 1 and ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ), the Adam step is taken with the
/// rectification r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)) once ρₜ > 5:
/// p −= lr·m̂·√(1 − β₂ᵗ)/(√v + ε)·r, and before that as momentum SGD: p −= lr·m̂, m̂ = m/(1 − β₁ᵗ).
/// `weightDecay` adds λp to the gradient (L2), or with `decoupledWeightDecay` scales p by
/// (1 − lr·λ) first.
public final class RAdam<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, moment decay rates β₁ and β₂, the denominator's ε and weight decay λ.
        public var learningRate, beta1, beta2, epsilon, weightDecay: Double
        /// Whether weight decay scales the parameters (decoupled) instead of adding to the gradient.
        public var decoupledWeightDecay: Bool
    }

    var table: GroupTable<Scalar, Options>
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }

    /// RAdam over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                            decoupledWeightDecay: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
    }

    /// RAdam over parameter groups, the arguments their defaults (`torch.optim.RAdam(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false) {
        table = GroupTable("RAdam", groups, defaults: Options(learningRate: learningRate, beta1: beta1, beta2: beta2,
                                                             epsilon: epsilon, weightDecay: weightDecay,
                                                             decoupledWeightDecay: decoupledWeightDecay))
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient { options, index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffers(index, "exp_avg", "exp_avg_sq", count: n) { m, v in
                UpdateKernels.radam(p: p, g: g, m: m, v: v, n: n, step: slots.steps[index], options: options)
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["exp_avg", "exp_avg_sq"])
    }
}

/// Adamax (Adam with the infinity norm, Kingma & Ba 2015), as `torch.optim.Adamax`:
/// m = β₁m + (1 − β₁)g; u = max(β₂u, |g| + ε); p −= lr/(1 − β₁ᵗ)·m/u. `weightDecay` adds λp to
/// the gradient (L2).
public final class Adamax<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, decay rates β₁ (first moment) and β₂ (infinity norm), ε and L2 weight decay λ.
        public var learningRate, beta1, beta2, epsilon, weightDecay: Double
    }

    var table: GroupTable<Scalar, Options>
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }

    /// Adamax over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 2e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay)
    }

    /// Adamax over parameter groups, the arguments their defaults (`torch.optim.Adamax(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 2e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        table = GroupTable("Adamax", groups, defaults: Options(learningRate: learningRate, beta1: beta1, beta2: beta2,
                                                              epsilon: epsilon, weightDecay: weightDecay))
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient { options, index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffers(index, "exp_avg", "exp_inf", count: n) { m, u in
                UpdateKernels.adamax(p: p, g: g, m: m, u: u, n: n, step: slots.steps[index], options: options)
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["exp_avg", "exp_inf"])
    }
}
