/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
/// as `torch.optim.SGD`:
/// d = g + λp; b = μb + (1 − τ)d (b = d on the first step); d = d + μb (Nesterov) or b; p −= lr·d.
public final class SGD<Scalar: TensorScalar>: Optimizer {
    public let parameters: [Parameter<Scalar>]
    public var learningRate: Double
    /// Momentum μ, dampening τ and L2 weight decay λ.
    public let momentum, dampening, weightDecay: Double
    /// Whether the step uses Nesterov momentum.
    public let nesterov: Bool
    private let slots: OptimizerSlots<Scalar>

    /// SGD over `parameters`; Nesterov momentum needs `momentum > 0` and no dampening.
    public init(_ parameters: [Parameter<Scalar>], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum > 0 and no dampening")
        (self.parameters, self.learningRate, self.momentum, self.dampening, self.weightDecay, self.nesterov) =
            (parameters, learningRate, momentum, dampening, weightDecay, nesterov)
        slots = OptimizerSlots(parameterCount: parameters.count)
    }

    public func step() {
        forEachParameterWithGradient(fusedOuterProduct: { [self] index, p, product in  // a batch-1 Linear weight
            guard momentum > 0, weightDecay == 0, slots.hasBuffer(index, "momentum_buffer") else { return false }
            slots.steps[index] += 1
            slots.withBuffer(index, "momentum_buffer", count: product.column.count * product.row.count) { buffer, _ in
                UpdateKernels.sgdOuterProduct(p: p, buffer: buffer, column: product.column.base, row: product.row.base,
                                              rows: product.column.count, columns: product.row.count,
                                              learningRate: learningRate, momentum: momentum,
                                              dampening: dampening, nesterov: nesterov)
            }
            return true
        }) { index, p, g, n in
            slots.steps[index] += 1
            if momentum == 0 {
                UpdateKernels.sgd(p: p, g: g, buffer: nil, firstStep: false, n: n, learningRate: learningRate,
                                  momentum: 0, dampening: dampening, nesterov: false, weightDecay: weightDecay)
                return
            }
            slots.withBuffer(index, "momentum_buffer", count: n) { buffer, isNew in
                UpdateKernels.sgd(p: p, g: g, buffer: buffer, firstStep: isNew, n: n,
                                  learningRate: learningRate, momentum: momentum, dampening: dampening,
                                  nesterov: nesterov, weightDecay: weightDecay)
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
    public let parameters: [Parameter<Scalar>]
    public var learningRate: Double
    /// Moment decay rates β₁ and β₂, the denominator's ε, and L2 weight decay (decoupled in ``AdamW``).
    public let beta1, beta2, epsilon, weightDecay: Double
    /// Whether the denominator uses the largest second moment so far (AMSGrad).
    public let amsgrad: Bool
    let decoupled: Bool
    private let slots: OptimizerSlots<Scalar>

    /// Adam over `parameters`, with PyTorch's defaults.
    public convenience init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false) {
        self.init(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false)
    }

    init(_ parameters: [Parameter<Scalar>], learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
         weightDecay: Double, amsgrad: Bool, decoupled: Bool) {
        (self.parameters, self.learningRate, self.beta1, self.beta2, self.epsilon, self.weightDecay, self.amsgrad,
         self.decoupled) = (parameters, learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupled)
        slots = OptimizerSlots(parameterCount: parameters.count)
    }

    public func step() {
        forEachParameterWithGradient { index, p, g, n in
            slots.steps[index] += 1
            let step = slots.steps[index]
            slots.withBuffer(index, "exp_avg", count: n) { m, _ in
                slots.withBuffer(index, "exp_avg_sq", count: n) { v, _ in
                    let update = { (vMax: UnsafeMutablePointer<Scalar>?) in
                        UpdateKernels.adam(p: p, g: g, m: m, v: v, vMax: vMax,
                                           n: n, step: step, learningRate: self.learningRate, beta1: self.beta1,
                                           beta2: self.beta2, epsilon: self.epsilon, weightDecay: self.weightDecay,
                                           decoupledWeightDecay: self.decoupled)
                    }
                    if amsgrad {
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
        super.init(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   weightDecay: weightDecay, amsgrad: amsgrad, decoupled: true)
    }
}

/// RMSProp, as `torch.optim.RMSprop`: s = αs + (1 − α)g²; optionally centered (subtracting the
/// squared running mean gradient) and with momentum.
public final class RMSProp<Scalar: TensorScalar>: Optimizer {
    public let parameters: [Parameter<Scalar>]
    public var learningRate: Double
    /// Smoothing constant α, the denominator's ε, L2 weight decay and momentum.
    public let alpha, epsilon, weightDecay, momentum: Double
    /// Whether the squared average is centered by the mean gradient.
    public let centered: Bool
    private let slots: OptimizerSlots<Scalar>

    /// RMSProp over `parameters`, with PyTorch's defaults.
    public init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-2, alpha: Double = 0.99,
                epsilon: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        (self.parameters, self.learningRate, self.alpha, self.epsilon, self.weightDecay, self.momentum, self.centered) =
            (parameters, learningRate, alpha, epsilon, weightDecay, momentum, centered)
        slots = OptimizerSlots(parameterCount: parameters.count)
    }

    public func step() {
        forEachParameterWithGradient { index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffer(index, "square_avg", count: n) { squareAverage, _ in
                let withMomentum = { (gradientAverage: UnsafeMutablePointer<Scalar>?) in
                    let run = { (buffer: UnsafeMutablePointer<Scalar>?) in
                        UpdateKernels.rmsProp(p: p, g: g, squareAverage: squareAverage,
                                              gradientAverage: gradientAverage, buffer: buffer, n: n,
                                              learningRate: self.learningRate, alpha: self.alpha, epsilon: self.epsilon,
                                              weightDecay: self.weightDecay, momentum: self.momentum)
                    }
                    if self.momentum > 0 {
                        self.slots.withBuffer(index, "momentum_buffer", count: n) { buffer, _ in run(buffer) }
                    } else {
                        run(nil)
                    }
                }
                if centered {
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
    public let parameters: [Parameter<Scalar>]
    public var learningRate: Double
    /// Learning-rate decay, L2 weight decay, the accumulator's starting value, and ε.
    public let learningRateDecay, weightDecay, initialAccumulatorValue, epsilon: Double
    private let slots: OptimizerSlots<Scalar>

    /// Adagrad over `parameters`, with PyTorch's defaults.
    public init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1e-2, learningRateDecay: Double = 0,
                weightDecay: Double = 0, initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        (self.parameters, self.learningRate, self.learningRateDecay, self.weightDecay, self.initialAccumulatorValue,
         self.epsilon) = (parameters, learningRate, learningRateDecay, weightDecay, initialAccumulatorValue, epsilon)
        slots = OptimizerSlots(parameterCount: parameters.count)
    }

    public func step() {
        forEachParameterWithGradient { index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffer(index, "sum", count: n, initial: Scalar(initialAccumulatorValue)) { sum, _ in
                UpdateKernels.adagrad(p: p, g: g, sum: sum, n: n, step: slots.steps[index],
                                      learningRate: learningRate, learningRateDecay: learningRateDecay,
                                      epsilon: epsilon, weightDecay: weightDecay)
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
    public let parameters: [Parameter<Scalar>]
    public var learningRate: Double
    /// Decay rate ρ, ε, and L2 weight decay.
    public let rho, epsilon, weightDecay: Double
    private let slots: OptimizerSlots<Scalar>

    /// Adadelta over `parameters`, with PyTorch's defaults.
    public init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1, rho: Double = 0.9,
                epsilon: Double = 1e-6, weightDecay: Double = 0) {
        (self.parameters, self.learningRate, self.rho, self.epsilon, self.weightDecay) =
            (parameters, learningRate, rho, epsilon, weightDecay)
        slots = OptimizerSlots(parameterCount: parameters.count)
    }

    public func step() {
        forEachParameterWithGradient { index, p, g, n in
            slots.steps[index] += 1
            slots.withBuffer(index, "square_avg", count: n) { squareAverage, _ in
                slots.withBuffer(index, "acc_delta", count: n) { accumulated, _ in
                    UpdateKernels.adadelta(p: p, g: g, squareAverage: squareAverage,
                                           accumulatedDelta: accumulated, n: n, learningRate: learningRate,
                                           rho: rho, epsilon: epsilon, weightDecay: weightDecay)
                }
            }
        }
    }

    public var state: [String: Tensor<Scalar>] { slots.state }
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        try slots.load(state, parameters: parameters, slots: ["square_avg", "acc_delta"])
    }
}
