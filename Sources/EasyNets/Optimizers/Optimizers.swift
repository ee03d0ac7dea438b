/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
/// as `torch.optim.SGD`:
/// d = g + λp; b = μb + (1 − τ)d (b = d on the first step); d = d + μb (Nesterov) or b; p −= lr·d.
public final class SGD<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, momentum μ, dampening τ and L2 weight decay λ.
        public var learningRate, momentum, dampening, weightDecay: Double
        /// Whether the step uses Nesterov momentum.
        public var nesterov: Bool
    }

    var table: GroupTable<Scalar, Options>
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }
    /// The first group's momentum μ, dampening τ and L2 weight decay λ (every group's: ``groupOptions``).
    public var momentum: Double { groupOptions[0].momentum }
    public var dampening: Double { groupOptions[0].dampening }
    public var weightDecay: Double { groupOptions[0].weightDecay }
    /// Whether the first group's step uses Nesterov momentum.
    public var nesterov: Bool { groupOptions[0].nesterov }

    /// SGD over `parameters`; Nesterov momentum needs `momentum > 0` and no dampening.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double, momentum: Double = 0,
                            dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, momentum: momentum,
                  dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }

    /// SGD over parameter groups, the arguments their defaults (`torch.optim.SGD(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        let defaults = Options(learningRate: learningRate, momentum: momentum, dampening: dampening,
                               weightDecay: weightDecay, nesterov: nesterov)
        table = GroupTable("SGD", groups, defaults: defaults) { options in
            !options.nesterov || (options.momentum > 0 && options.dampening == 0)
                ? nil : "Nesterov needs momentum > 0 and no dampening"
        }
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient(fusedOuterProduct: { [slots] options, index, p, product in  // a batch-1 Linear weight
            guard options.momentum > 0, options.weightDecay == 0, slots.hasBuffer(index, "momentum_buffer") else { return false }
            slots.steps[index] += 1
            slots.withBuffer(index, "momentum_buffer", count: product.column.count * product.row.count) { buffer, _ in
                UpdateKernels.sgdOuterProduct(p: p, buffer: buffer, column: product.column.base, row: product.row.base,
                                              rows: product.column.count, columns: product.row.count,
                                              learningRate: options.learningRate, momentum: options.momentum,
                                              dampening: options.dampening, nesterov: options.nesterov)
            }
            return true
        }) { options, index, p, g, n in
            slots.steps[index] += 1
            if options.momentum == 0 {
                UpdateKernels.sgd(p: p, g: g, buffer: nil, firstStep: false, n: n, learningRate: options.learningRate,
                                  momentum: 0, dampening: options.dampening, nesterov: false, weightDecay: options.weightDecay)
                return
            }
            slots.withBuffer(index, "momentum_buffer", count: n) { buffer, isNew in
                UpdateKernels.sgd(p: p, g: g, buffer: buffer, firstStep: isNew, n: n,
                                  learningRate: options.learningRate, momentum: options.momentum, dampening: options.dampening,
                                  nesterov: options.nesterov, weightDecay: options.weightDecay)
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["momentum_buffer"])
    }
}

/// Adam (and AMSGrad with `amsgrad: true`), as `torch.optim.Adam`; `weightDecay` adds λp to the
/// gradient (L2). For decoupled weight decay use ``AdamW``.
public class Adam<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, moment decay rates β₁ and β₂, the denominator's ε, and weight decay
        /// (L2 in ``Adam``, decoupled in ``AdamW``).
        public var learningRate, beta1, beta2, epsilon, weightDecay: Double
        /// Whether the denominator uses the largest second moment so far (AMSGrad).
        public var amsgrad: Bool
    }

    var table: GroupTable<Scalar, Options>
    let decoupled: Bool
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }
    /// The first group's β₁, β₂, ε and weight decay (every group's: ``groupOptions``).
    public var beta1: Double { groupOptions[0].beta1 }
    public var beta2: Double { groupOptions[0].beta2 }
    public var epsilon: Double { groupOptions[0].epsilon }
    public var weightDecay: Double { groupOptions[0].weightDecay }
    /// Whether the first group uses AMSGrad.
    public var amsgrad: Bool { groupOptions[0].amsgrad }

    /// Adam over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// Adam over parameter groups, the arguments their defaults (`torch.optim.Adam(param_groups, …)`).
    public convenience init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false) {
        self.init(groups: groups, defaults: Options(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                                    weightDecay: weightDecay, amsgrad: amsgrad), decoupled: false)
    }

    init(groups: [ParameterGroup<Scalar, Options>], defaults: Options, decoupled: Bool) {
        table = GroupTable(decoupled ? "AdamW" : "Adam", groups, defaults: defaults)
        self.decoupled = decoupled
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient { options, index, p, g, n in
            slots.steps[index] += 1
            let step = slots.steps[index]
            slots.withBuffer(index, "exp_avg", count: n) { m, _ in
                slots.withBuffer(index, "exp_avg_sq", count: n) { v, _ in
                    let update = { (vMax: UnsafeMutablePointer<Scalar>?) in
                        UpdateKernels.adam(p: p, g: g, m: m, v: v, vMax: vMax,
                                           n: n, step: step, learningRate: options.learningRate, beta1: options.beta1,
                                           beta2: options.beta2, epsilon: options.epsilon, weightDecay: options.weightDecay,
                                           decoupledWeightDecay: self.decoupled)
                    }
                    if options.amsgrad {
                        slots.withBuffer(index, "max_exp_avg_sq", count: n) { vMax, _ in update(vMax) }
                    } else {
                        update(nil)
                    }
                }
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`:
/// p ← p·(1 − lr·λ) before the Adam step.
public final class AdamW<Scalar: TensorScalar>: Adam<Scalar> {
    /// AdamW over `parameters`, with PyTorch's defaults (weight decay 0.01).
    public init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false) {
        super.init(groups: [ParameterGroup(parameters)],
                   defaults: Options(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                     weightDecay: weightDecay, amsgrad: amsgrad), decoupled: true)
    }

    /// AdamW over parameter groups, the arguments their defaults (`torch.optim.AdamW(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false) {
        super.init(groups: groups, defaults: Options(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                                     weightDecay: weightDecay, amsgrad: amsgrad), decoupled: true)
    }
}

/// RMSProp, as `torch.optim.RMSprop`: s = αs + (1 − α)g²; optionally centered (subtracting the
/// squared running mean gradient) and with momentum.
public final class RMSProp<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, smoothing constant α, the denominator's ε, L2 weight decay and momentum.
        public var learningRate, alpha, epsilon, weightDecay, momentum: Double
        /// Whether the squared average is centered by the mean gradient.
        public var centered: Bool
    }

    var table: GroupTable<Scalar, Options>
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }
    /// The first group's α, ε, weight decay and momentum (every group's: ``groupOptions``).
    public var alpha: Double { groupOptions[0].alpha }
    public var epsilon: Double { groupOptions[0].epsilon }
    public var weightDecay: Double { groupOptions[0].weightDecay }
    public var momentum: Double { groupOptions[0].momentum }
    /// Whether the first group's squared average is centered.
    public var centered: Bool { groupOptions[0].centered }

    /// RMSProp over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-2, alpha: Double = 0.99,
                            epsilon: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                  weightDecay: weightDecay, momentum: momentum, centered: centered)
    }

    /// RMSProp over parameter groups, the arguments their defaults (`torch.optim.RMSprop(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 1e-2, alpha: Double = 0.99,
                epsilon: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        table = GroupTable("RMSProp", groups, defaults: Options(learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                                                               weightDecay: weightDecay, momentum: momentum, centered: centered))
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient { options, index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffer(index, "square_avg", count: n) { squareAverage, _ in
                let withMomentum = { (gradientAverage: UnsafeMutablePointer<Scalar>?) in
                    let run = { (buffer: UnsafeMutablePointer<Scalar>?) in
                        UpdateKernels.rmsProp(p: p, g: g, squareAverage: squareAverage,
                                              gradientAverage: gradientAverage, buffer: buffer, n: n,
                                              learningRate: options.learningRate, alpha: options.alpha, epsilon: options.epsilon,
                                              weightDecay: options.weightDecay, momentum: options.momentum)
                    }
                    if options.momentum > 0 {
                        self.slots.withBuffer(index, "momentum_buffer", count: n) { buffer, _ in run(buffer) }
                    } else {
                        run(nil)
                    }
                }
                if options.centered {
                    slots.withBuffer(index, "grad_avg", count: n) { average, _ in withMomentum(average) }
                } else {
                    withMomentum(nil)
                }
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["square_avg", "grad_avg", "momentum_buffer"])
    }
}

/// Adagrad, as `torch.optim.Adagrad`: Σ += g²; p −= lr/(1 + (t − 1)·decay) · g/(√Σ + ε).
public final class Adagrad<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, learning-rate decay, L2 weight decay, and ε.
        public var learningRate, learningRateDecay, weightDecay, epsilon: Double
    }

    var table: GroupTable<Scalar, Options>
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }
    /// The first group's learning-rate decay, weight decay and ε (every group's: ``groupOptions``).
    public var learningRateDecay: Double { groupOptions[0].learningRateDecay }
    public var weightDecay: Double { groupOptions[0].weightDecay }
    public var epsilon: Double { groupOptions[0].epsilon }
    /// The accumulator's starting value, every group's: PyTorch's Adagrad fills every group's sums
    /// with the constructor's value, whatever a group says.
    public let initialAccumulatorValue: Double

    /// Adagrad over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-2, learningRateDecay: Double = 0,
                            weightDecay: Double = 0, initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, learningRateDecay: learningRateDecay,
                  weightDecay: weightDecay, initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon)
    }

    /// Adagrad over parameter groups, the arguments their defaults (`torch.optim.Adagrad(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 1e-2, learningRateDecay: Double = 0,
                weightDecay: Double = 0, initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        table = GroupTable("Adagrad", groups, defaults: Options(learningRate: learningRate, learningRateDecay: learningRateDecay,
                                                               weightDecay: weightDecay, epsilon: epsilon))
        self.initialAccumulatorValue = initialAccumulatorValue
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient { options, index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffer(index, "sum", count: n, initial: Scalar(initialAccumulatorValue)) { sum, _ in
                UpdateKernels.adagrad(p: p, g: g, sum: sum, n: n, step: slots.steps[index],
                                      learningRate: options.learningRate, learningRateDecay: options.learningRateDecay,
                                      epsilon: options.epsilon, weightDecay: options.weightDecay)
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["sum"])
    }
}

/// Adadelta, as `torch.optim.Adadelta`: s = ρs + (1 − ρ)g²; Δ = √(u + ε)/√(s + ε)·g;
/// u = ρu + (1 − ρ)Δ²; p −= lr·Δ.
public final class Adadelta<Scalar: TensorScalar>: Optimizer {
    /// The hyperparameters of one parameter group.
    public struct Options: OptimizerOptions {
        /// The learning rate, decay rate ρ, ε, and L2 weight decay.
        public var learningRate, rho, epsilon, weightDecay: Double
    }

    var table: GroupTable<Scalar, Options>
    private let slots: OptimizerSlots<Scalar>
    public var parameters: [Parameter<Scalar>] { table.parameters }
    public var groups: [OptimizerGroup<Scalar>] { get { table.groups } set { table.groups = newValue } }
    public var learningRate: Double { get { table.learningRate } set { table.learningRate = newValue } }
    /// Each group's hyperparameters (its `learningRate` is the rate of its next step).
    public var groupOptions: [Options] { table.options }
    /// The first group's ρ, ε and weight decay (every group's: ``groupOptions``).
    public var rho: Double { groupOptions[0].rho }
    public var epsilon: Double { groupOptions[0].epsilon }
    public var weightDecay: Double { groupOptions[0].weightDecay }

    /// Adadelta over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1, rho: Double = 0.9,
                            epsilon: Double = 1e-6, weightDecay: Double = 0) {
        self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, rho: rho, epsilon: epsilon,
                  weightDecay: weightDecay)
    }

    /// Adadelta over parameter groups, the arguments their defaults (`torch.optim.Adadelta(param_groups, …)`).
    public init(groups: [ParameterGroup<Scalar, Options>], learningRate: Double = 1, rho: Double = 0.9,
                epsilon: Double = 1e-6, weightDecay: Double = 0) {
        table = GroupTable("Adadelta", groups, defaults: Options(learningRate: learningRate, rho: rho, epsilon: epsilon,
                                                                weightDecay: weightDecay))
        slots = OptimizerSlots(parameterCount: table.parameters.count)
    }

    public func step() {
        table.forEachParameterWithGradient { options, index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffer(index, "square_avg", count: n) { squareAverage, _ in
                slots.withBuffer(index, "acc_delta", count: n) { accumulated, _ in
                    UpdateKernels.adadelta(p: p, g: g, squareAverage: squareAverage,
                                           accumulatedDelta: accumulated, n: n, learningRate: options.learningRate,
                                           rho: options.rho, epsilon: options.epsilon, weightDecay: options.weightDecay)
                }
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["square_avg", "acc_delta"])
    }
}
