// The per-element update rules, each one pass over a parameter buffer. Each entry point binds its
// pointers to Float or Double and calls the loop from that concrete call site, so the loop is
// compiled for the concrete type (`@_specialize` did not reliably dispatch these). The order of
// floating-point operations follows PyTorch's single-tensor implementations.

enum UpdateKernels {
    /// SGD with momentum, dampening, Nesterov and L2 weight decay.
    static func sgdLoop<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, buffer: UnsafeMutablePointer<T>?, firstStep: Bool, n: Int,
        learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double
    ) {
        let lr = T(learningRate), mu = T(momentum), damp = T(1 - dampening), wd = T(weightDecay)
        // The common steady-state cases as branch-free loops the compiler vectorizes; same
        // arithmetic as the general loop below.
        if let buffer, weightDecay == 0, !firstStep {
            if nesterov {
                for i in 0..<n {
                    let b = mu * buffer[i] + damp * g[i]
                    buffer[i] = b
                    p[i] -= lr * (g[i] + mu * b)
                }
            } else {
                for i in 0..<n {
                    let b = mu * buffer[i] + damp * g[i]
                    buffer[i] = b
                    p[i] -= lr * b
                }
            }
            return
        }
        for i in 0..<n {
            var d = weightDecay != 0 ? g[i] + wd * p[i] : g[i]
            if let buffer {
                // First step: the buffer starts as the gradient itself (no dampening).
                buffer[i] = firstStep ? d : mu * buffer[i] + damp * d
                d = nesterov ? d + mu * buffer[i] : buffer[i]
            }
            p[i] -= lr * d
        }
    }

    /// Adam / AMSGrad; `decoupledWeightDecay` gives AdamW.
    static func adamLoop<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>,
        vMax: UnsafeMutablePointer<T>?, n: Int, step: Int, learningRate: Double, beta1: Double, beta2: Double,
        epsilon: Double, weightDecay: Double, decoupledWeightDecay: Bool
    ) {
        let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon), wd = T(weightDecay)
        // Bias corrections of both moments, folded into the step size and the denominator.
        let correction1 = 1 - Double.pow(beta1, Double(step))
        let correction2Root = T((1 - Double.pow(beta2, Double(step))).squareRoot())
        let stepSize = T(learningRate / correction1)
        let decay = T(1 - learningRate * weightDecay)
        for i in 0..<n {
            if decoupledWeightDecay {
                if weightDecay != 0 { p[i] *= decay }
            }
            let grad = !decoupledWeightDecay && weightDecay != 0 ? g[i] + wd * p[i] : g[i]
            m[i] += (grad - m[i]) * (1 - b1)          // first moment (lerp toward the gradient)
            v[i] = v[i] * b2 + (1 - b2) * grad * grad   // second moment
            var second = v[i]
            if let vMax {                              // AMSGrad keeps the largest second moment
                vMax[i] = Swift.max(vMax[i], v[i])
                second = vMax[i]
            }
            let denominator = second.squareRoot() / correction2Root + eps
            p[i] -= stepSize * (m[i] / denominator)
        }
    }

    /// RMSProp, optionally centered and with momentum.
    static func rmsPropLoop<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        gradientAverage: UnsafeMutablePointer<T>?, buffer: UnsafeMutablePointer<T>?, n: Int,
        learningRate: Double, alpha: Double, epsilon: Double, weightDecay: Double, momentum: Double
    ) {
        let lr = T(learningRate), a = T(alpha), eps = T(epsilon), wd = T(weightDecay), mu = T(momentum)
        for i in 0..<n {
            let grad = weightDecay != 0 ? g[i] + wd * p[i] : g[i]
            squareAverage[i] = squareAverage[i] * a + (1 - a) * grad * grad
            var average: T
            if let gradientAverage {  // centered: subtract the squared mean gradient
                gradientAverage[i] += (grad - gradientAverage[i]) * (1 - a)
                average = (squareAverage[i] - gradientAverage[i] * gradientAverage[i]).squareRoot()
            } else {
                average = squareAverage[i].squareRoot()
            }
            average += eps
            if let buffer {
                buffer[i] = buffer[i] * mu + grad / average
                p[i] -= lr * buffer[i]
            } else {
                p[i] -= lr * (grad / average)
            }
        }
    }

    /// Adagrad with learning-rate decay.
    static func adagradLoop<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, sum: UnsafeMutablePointer<T>, n: Int, step: Int,
        learningRate: Double, learningRateDecay: Double, epsilon: Double, weightDecay: Double
    ) {
        let clr = T(learningRate / (1 + Double(step - 1) * learningRateDecay))
        let eps = T(epsilon), wd = T(weightDecay)
        for i in 0..<n {
            let grad = weightDecay != 0 ? g[i] + wd * p[i] : g[i]
            sum[i] += grad * grad
            p[i] -= clr * (grad / (sum[i].squareRoot() + eps))
        }
    }

    /// Adadelta.
    static func adadeltaLoop<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        accumulatedDelta: UnsafeMutablePointer<T>, n: Int, learningRate: Double, rho: Double, epsilon: Double,
        weightDecay: Double
    ) {
        let lr = T(learningRate), r = T(rho), eps = T(epsilon), wd = T(weightDecay)
        for i in 0..<n {
            let grad = weightDecay != 0 ? g[i] + wd * p[i] : g[i]
            squareAverage[i] = squareAverage[i] * r + (1 - r) * grad * grad
            let std = (squareAverage[i] + eps).squareRoot()
            let delta = (accumulatedDelta[i] + eps).squareRoot() / std * grad
            accumulatedDelta[i] = accumulatedDelta[i] * r + (1 - r) * delta * delta
            p[i] -= lr * delta
        }
    }

    // MARK: Entry points (concrete dispatch)

    static func sgd<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, buffer: UnsafeMutablePointer<T>?, firstStep: Bool, n: Int,
        learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double
    ) {
        if T.self == Float.self {
            sgdLoop(p: p.bound(to: Float.self), g: g.bound(to: Float.self), buffer: buffer?.bound(to: Float.self),
                    firstStep: firstStep, n: n, learningRate: learningRate, momentum: momentum, dampening: dampening,
                    nesterov: nesterov, weightDecay: weightDecay)
        } else {
            sgdLoop(p: p, g: g, buffer: buffer, firstStep: firstStep, n: n, learningRate: learningRate, momentum: momentum,
                    dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
        }
    }

    static func adam<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>,
        vMax: UnsafeMutablePointer<T>?, n: Int, step: Int, learningRate: Double, beta1: Double, beta2: Double,
        epsilon: Double, weightDecay: Double, decoupledWeightDecay: Bool
    ) {
        func run<U: TensorScalar>(_: U.Type) {
            adamLoop(p: p.bound(to: U.self), g: g.bound(to: U.self), m: m.bound(to: U.self), v: v.bound(to: U.self),
                     vMax: vMax?.bound(to: U.self), n: n, step: step, learningRate: learningRate, beta1: beta1, beta2: beta2,
                     epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
        }
        if T.self == Float.self { run(Float.self) } else if T.self == Double.self { run(Double.self) } else { run(T.self) }
    }

    static func rmsProp<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        gradientAverage: UnsafeMutablePointer<T>?, buffer: UnsafeMutablePointer<T>?, n: Int,
        learningRate: Double, alpha: Double, epsilon: Double, weightDecay: Double, momentum: Double
    ) {
        func run<U: TensorScalar>(_: U.Type) {
            rmsPropLoop(p: p.bound(to: U.self), g: g.bound(to: U.self), squareAverage: squareAverage.bound(to: U.self),
                        gradientAverage: gradientAverage?.bound(to: U.self), buffer: buffer?.bound(to: U.self), n: n,
                        learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum)
        }
        if T.self == Float.self { run(Float.self) } else if T.self == Double.self { run(Double.self) } else { run(T.self) }
    }

    static func adagrad<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, sum: UnsafeMutablePointer<T>, n: Int, step: Int,
        learningRate: Double, learningRateDecay: Double, epsilon: Double, weightDecay: Double
    ) {
        func run<U: TensorScalar>(_: U.Type) {
            adagradLoop(p: p.bound(to: U.self), g: g.bound(to: U.self), sum: sum.bound(to: U.self), n: n, step: step,
                        learningRate: learningRate, learningRateDecay: learningRateDecay, epsilon: epsilon, weightDecay: weightDecay)
        }
        if T.self == Float.self { run(Float.self) } else if T.self == Double.self { run(Double.self) } else { run(T.self) }
    }

    static func adadelta<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        accumulatedDelta: UnsafeMutablePointer<T>, n: Int, learningRate: Double, rho: Double, epsilon: Double,
        weightDecay: Double
    ) {
        func run<U: TensorScalar>(_: U.Type) {
            adadeltaLoop(p: p.bound(to: U.self), g: g.bound(to: U.self), squareAverage: squareAverage.bound(to: U.self),
                         accumulatedDelta: accumulatedDelta.bound(to: U.self), n: n, learningRate: learningRate, rho: rho,
                         epsilon: epsilon, weightDecay: weightDecay)
        }
        if T.self == Float.self { run(Float.self) } else if T.self == Double.self { run(Double.self) } else { run(T.self) }
    }
}

extension UnsafeMutablePointer {
    /// The same address viewed as `U` (callers bind only between identical types).
    @inline(__always)
    func bound<U>(to _: U.Type) -> UnsafeMutablePointer<U> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: U.self) }
}

extension UnsafePointer {
    /// The same address viewed as `U` (callers bind only between identical types).
    @inline(__always)
    func bound<U>(to _: U.Type) -> UnsafePointer<U> { UnsafeRawPointer(self).assumingMemoryBound(to: U.self) }
}
