// The per-element update rules, each one pass over a parameter buffer. The order of
// floating-point operations follows PyTorch's single-tensor implementations.
//
// The common configurations (steady-state SGD momentum, Adam and AdamW, plain RMSProp and
// Adagrad), the update of almost every training step, run in C (Sources/CEasyNetsKernels),
// reached through TensorScalar's `_kernel…` requirements: Swift compiles for baseline x86-64,
// whose 128-bit vectors leave these memory-bound loops 1.3–2× slower than AVX2, and Swift has no
// per-function target attribute. clang's `target_clones` builds the C loops for AVX-512, AVX2 and
// the baseline, and the loader picks one for the CPU. The C loops perform the same operations as
// the Swift loops below without fused multiply-adds, so results are bit-identical (checked by
// UpdateKernelTests and scripts/check_kernels.sh).
//
// The Swift loops are the reference and run every other configuration. Those that run are
// pre-specialized for Float and Double and never inlined, so a call from unspecialized generic
// code (an optimizer's step) reaches the loop compiled for the concrete type.

enum UpdateKernels {
    /// SGD with momentum, dampening, Nesterov and L2 weight decay.
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func sgdLoop<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, buffer: UnsafeMutablePointer<T>?, firstStep: Bool, n: Int,
        learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double
    ) {
        let lr = T(learningRate), mu = T(momentum), damp = T(1 - dampening), wd = T(weightDecay)
        // The steady state (buffer, no weight decay, not the first step) runs in the C loop
        // `sgd(…)` dispatches to; this loop is its reference and handles every other case.
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

    /// The steady-state SGD momentum step (buffer exists, no weight decay) for a gradient held as
    /// the outer product `column·rowᵀ`: each gradient element is formed as the dense outer-product
    /// write rounds it (`column[i]·row[j]`), then updated with `sgdLoop`'s arithmetic, so the result
    /// is bit-identical while the gradient never touches memory. The reference of the C loop that
    /// Float and Double run.
    static func sgdOuterProductLoop<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, buffer: UnsafeMutablePointer<T>, column: UnsafePointer<T>, row: UnsafePointer<T>,
        rows: Int, columns: Int, learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool
    ) {
        let lr = T(learningRate), mu = T(momentum), damp = T(1 - dampening)
        for i in 0..<rows {
            let a = column[i], pRow = p + i * columns, bRow = buffer + i * columns
            if nesterov {
                for j in 0..<columns {
                    let g = a * row[j]
                    let b = mu * bRow[j] + damp * g
                    bRow[j] = b
                    pRow[j] -= lr * (g + mu * b)
                }
            } else {
                for j in 0..<columns {
                    let b = mu * bRow[j] + damp * (a * row[j])
                    bRow[j] = b
                    pRow[j] -= lr * b
                }
            }
        }
    }

    /// Adam / AMSGrad; `decoupledWeightDecay` gives AdamW.
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
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
        if vMax == nil && weightDecay == 0 {
            // The default configuration as a branch-free loop the compiler vectorizes; same
            // arithmetic as the general loop below.
            for i in 0..<n {
                let grad = g[i]
                let mi = m[i] + (grad - m[i]) * (1 - b1)
                let vi = v[i] * b2 + (1 - b2) * grad * grad
                m[i] = mi
                v[i] = vi
                p[i] -= stepSize * (mi / (vi.squareRoot() / correction2Root + eps))
            }
            return
        }
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
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
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
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
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
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
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

    /// NAdam, given this step's and the next step's momentum coefficients and the product of the
    /// coefficients up to this step.
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func nadam<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>,
        n: Int, step: Int, options: NAdam<T>.Options, mu: Double, muNext: Double, muProduct: Double
    ) {
        let b1 = T(options.beta1), b2 = T(options.beta2), eps = T(options.epsilon), wd = T(options.weightDecay)
        let lr = options.learningRate, decoupled = options.decoupledWeightDecay, hasDecay = options.weightDecay != 0
        let correction2 = T(1 - Double.pow(options.beta2, Double(step)))
        let decay = T(1 - lr * options.weightDecay)
        // The gradient's and the momentum's step sizes (Nesterov: the momentum of the next step).
        let gradientStep = T(-lr * (1 - mu) / (1 - muProduct))
        let momentumStep = T(-lr * muNext / (1 - muProduct * muNext))
        for i in 0..<n {
            if decoupled && hasDecay { p[i] *= decay }
            let grad = !decoupled && hasDecay ? g[i] + wd * p[i] : g[i]
            m[i] += (grad - m[i]) * (1 - b1)          // first moment
            v[i] = v[i] * b2 + (1 - b2) * grad * grad   // second moment
            let denominator = (v[i] / correction2).squareRoot() + eps
            p[i] += gradientStep * (grad / denominator)
            p[i] += momentumStep * (m[i] / denominator)
        }
    }

    /// RAdam: the rectified Adam step once the variance estimate is tractable (ρₜ > 5), else momentum SGD.
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func radam<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>,
        n: Int, step: Int, options: RAdam<T>.Options
    ) {
        let b1 = T(options.beta1), b2 = T(options.beta2), eps = T(options.epsilon), wd = T(options.weightDecay)
        let lr = options.learningRate, decoupled = options.decoupledWeightDecay, hasDecay = options.weightDecay != 0
        let t = Double(step)
        let correction1 = T(1 - Double.pow(options.beta1, t))
        let correction2 = 1 - Double.pow(options.beta2, t)
        // The length of the approximated simple moving average, and its limit.
        let rhoInfinity = 2 / (1 - options.beta2) - 1
        let rho = rhoInfinity - 2 * t * Double.pow(options.beta2, t) / correction2
        let rectified = rho > 5
        let rectification = rectified
            ? T(((rho - 4) * (rho - 2) * rhoInfinity / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho)).squareRoot()) : 0
        let correction2Root = T(correction2.squareRoot()), rate = T(lr), decay = T(1 - lr * options.weightDecay)
        for i in 0..<n {
            if decoupled && hasDecay { p[i] *= decay }
            let grad = !decoupled && hasDecay ? g[i] + wd * p[i] : g[i]
            m[i] += (grad - m[i]) * (1 - b1)
            v[i] = v[i] * b2 + (1 - b2) * grad * grad
            let corrected = m[i] / correction1          // bias-corrected first moment
            if rectified {
                p[i] -= corrected * rate * (correction2Root / (v[i].squareRoot() + eps)) * rectification
            } else {
                p[i] -= corrected * rate
            }
        }
    }

    /// Adamax: the second moment replaced by an exponentially weighted infinity norm.
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func adamax<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, m: UnsafeMutablePointer<T>, u: UnsafeMutablePointer<T>,
        n: Int, step: Int, options: Adamax<T>.Options
    ) {
        let b1 = T(options.beta1), b2 = T(options.beta2), eps = T(options.epsilon), wd = T(options.weightDecay)
        let stepSize = T(-options.learningRate / (1 - Double.pow(options.beta1, Double(step))))
        for i in 0..<n {
            let grad = options.weightDecay != 0 ? g[i] + wd * p[i] : g[i]
            m[i] += (grad - m[i]) * (1 - b1)
            u[i] = Swift.max(u[i] * b2, Swift.abs(grad) + eps)
            p[i] += stepSize * (m[i] / u[i])
        }
    }

    // MARK: Entry points

    /// ``sgdLoop(p:g:buffer:firstStep:n:learningRate:momentum:dampening:nesterov:weightDecay:)``, in C in the
    /// steady state (a buffer, no weight decay, not the first step). Not split across threads: a few
    /// multiply-adds per element are bound by memory bandwidth.
    static func sgd<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, buffer: UnsafeMutablePointer<T>?, firstStep: Bool, n: Int,
        learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double
    ) {
        if let buffer, weightDecay == 0, !firstStep {
            T._kernelSGDMomentum(parameters: p, gradient: g, momentumBuffer: buffer, count: n, learningRate: T(learningRate),
                                 momentum: T(momentum), dampingFactor: T(1 - dampening), nesterov: nesterov)
            return
        }
        sgdLoop(p: p, g: g, buffer: buffer, firstStep: firstStep, n: n, learningRate: learningRate, momentum: momentum,
                dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
    }

    /// ``sgdOuterProductLoop(p:buffer:column:row:rows:columns:learningRate:momentum:dampening:nesterov:)``, in C.
    static func sgdOuterProduct<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, buffer: UnsafeMutablePointer<T>, column: UnsafePointer<T>, row: UnsafePointer<T>,
        rows: Int, columns: Int, learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool
    ) {
        T._kernelSGDMomentumOuterProduct(parameters: p, momentumBuffer: buffer, column: column, row: row, rows: rows,
                                         columns: columns, learningRate: T(learningRate), momentum: T(momentum),
                                         dampingFactor: T(1 - dampening), nesterov: nesterov)
    }

    /// ``adamLoop(p:g:m:v:vMax:n:step:learningRate:beta1:beta2:epsilon:weightDecay:decoupledWeightDecay:)``, in C
    /// for Adam and AdamW (no AMSGrad, no L2 weight decay).
    static func adam<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>,
        vMax: UnsafeMutablePointer<T>?, n: Int, step: Int, learningRate: Double, beta1: Double, beta2: Double,
        epsilon: Double, weightDecay: Double, decoupledWeightDecay: Bool
    ) {
        if vMax == nil && (weightDecay == 0 || decoupledWeightDecay) {
            let correction1 = 1 - Double.pow(beta1, Double(step))
            let correction2Root = (1 - Double.pow(beta2, Double(step))).squareRoot()
            let decay = weightDecay == 0 ? 1 : 1 - learningRate * weightDecay
            T._kernelAdam(parameters: p, gradient: g, firstMoment: m, secondMoment: v, count: n, beta1: T(beta1),
                          beta2: T(beta2), stepSize: T(learningRate / correction1), correction2Root: T(correction2Root),
                          epsilon: T(epsilon), decayFactor: T(decay))
            return
        }
        adamLoop(p: p, g: g, m: m, v: v, vMax: vMax, n: n, step: step, learningRate: learningRate, beta1: beta1,
                 beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
    }

    /// ``rmsPropLoop(p:g:squareAverage:gradientAverage:buffer:n:learningRate:alpha:epsilon:weightDecay:momentum:)``,
    /// in C for the default configuration (not centered, no momentum, no weight decay).
    static func rmsProp<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        gradientAverage: UnsafeMutablePointer<T>?, buffer: UnsafeMutablePointer<T>?, n: Int,
        learningRate: Double, alpha: Double, epsilon: Double, weightDecay: Double, momentum: Double
    ) {
        if gradientAverage == nil && buffer == nil && weightDecay == 0 {
            T._kernelRMSProp(parameters: p, gradient: g, squareAverage: squareAverage, count: n,
                             learningRate: T(learningRate), alpha: T(alpha), epsilon: T(epsilon))
            return
        }
        rmsPropLoop(p: p, g: g, squareAverage: squareAverage, gradientAverage: gradientAverage, buffer: buffer, n: n,
                    learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum)
    }

    /// ``adagradLoop(p:g:sum:n:step:learningRate:learningRateDecay:epsilon:weightDecay:)``, in C without weight
    /// decay, at the step's decayed rate as the Swift loop computes it.
    static func adagrad<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, sum: UnsafeMutablePointer<T>, n: Int, step: Int,
        learningRate: Double, learningRateDecay: Double, epsilon: Double, weightDecay: Double
    ) {
        if weightDecay == 0 {
            let decayedRate = learningRate / (1 + Double(step - 1) * learningRateDecay)
            T._kernelAdagrad(parameters: p, gradient: g, squareSum: sum, count: n, learningRate: T(decayedRate),
                             epsilon: T(epsilon))
            return
        }
        adagradLoop(p: p, g: g, sum: sum, n: n, step: step, learningRate: learningRate,
                    learningRateDecay: learningRateDecay, epsilon: epsilon, weightDecay: weightDecay)
    }

    /// ``adadeltaLoop(p:g:squareAverage:accumulatedDelta:n:learningRate:rho:epsilon:weightDecay:)`` (Swift only).
    static func adadelta<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        accumulatedDelta: UnsafeMutablePointer<T>, n: Int, learningRate: Double, rho: Double, epsilon: Double,
        weightDecay: Double
    ) {
        adadeltaLoop(p: p, g: g, squareAverage: squareAverage, accumulatedDelta: accumulatedDelta, n: n,
                     learningRate: learningRate, rho: rho, epsilon: epsilon, weightDecay: weightDecay)
    }
}
