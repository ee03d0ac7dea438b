import CEasyNetsKernels

// The per-element update rules, each one pass over a parameter buffer. Each entry point binds its
// pointers to Float or Double and calls the loop from that concrete call site, so the loop is
// compiled for the concrete type (`@_specialize` did not reliably dispatch these). The order of
// floating-point operations follows PyTorch's single-tensor implementations.
//
// The steady-state SGD momentum loops, the update of almost every training step, run in C
// (Sources/CEasyNetsKernels): Swift compiles for baseline x86-64, whose 128-bit vectors leave
// these memory-bound loops 1.3–2× slower than AVX2, and Swift has no per-function target
// attribute. clang's `target_clones` builds the C loops for AVX-512, AVX2 and the baseline, and
// the loader picks one for the CPU. The C loops perform the same operations as `sgdLoop` and
// `sgdOuterProductLoop` without fused multiply-adds, so results are bit-identical (checked by
// UpdateKernelTests and scripts/check_kernels.sh).

enum UpdateKernels {
    /// SGD with momentum, dampening, Nesterov and L2 weight decay.
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
    /// is bit-identical while the gradient never touches memory.
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
        // Not split across threads: a few multiply-adds per element are bound by memory bandwidth.
        if let buffer, weightDecay == 0, !firstStep {  // the steady state, in the wide-vector C loop
            let nesterov: Int32 = nesterov ? 1 : 0
            if T.self == Float.self {
                easynets_sgd_momentum_f32(p.bound(to: Float.self), g.bound(to: Float.self), buffer.bound(to: Float.self), n,
                                          Float(learningRate), Float(momentum), Float(1 - dampening), nesterov)
                return
            } else if T.self == Double.self {
                easynets_sgd_momentum_f64(p.bound(to: Double.self), g.bound(to: Double.self), buffer.bound(to: Double.self),
                                          n, learningRate, momentum, 1 - dampening, nesterov)
                return
            }
        }
        if T.self == Float.self {
            sgdLoop(p: p.bound(to: Float.self), g: g.bound(to: Float.self), buffer: buffer?.bound(to: Float.self),
                    firstStep: firstStep, n: n, learningRate: learningRate, momentum: momentum, dampening: dampening,
                    nesterov: nesterov, weightDecay: weightDecay)
        } else if T.self == Double.self {
            sgdLoop(p: p.bound(to: Double.self), g: g.bound(to: Double.self), buffer: buffer?.bound(to: Double.self),
                    firstStep: firstStep, n: n, learningRate: learningRate, momentum: momentum, dampening: dampening,
                    nesterov: nesterov, weightDecay: weightDecay)
        } else {
            sgdLoop(p: p, g: g, buffer: buffer, firstStep: firstStep, n: n, learningRate: learningRate, momentum: momentum,
                    dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
        }
    }

    static func sgdOuterProduct<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, buffer: UnsafeMutablePointer<T>, column: UnsafePointer<T>, row: UnsafePointer<T>,
        rows: Int, columns: Int, learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool
    ) {
        if T.self == Float.self {
            easynets_sgd_momentum_outer_f32(p.bound(to: Float.self), buffer.bound(to: Float.self), column.bound(to: Float.self),
                                            row.bound(to: Float.self), rows, columns, Float(learningRate), Float(momentum),
                                            Float(1 - dampening), nesterov ? 1 : 0)
        } else if T.self == Double.self {
            easynets_sgd_momentum_outer_f64(p.bound(to: Double.self), buffer.bound(to: Double.self),
                                            column.bound(to: Double.self), row.bound(to: Double.self), rows, columns,
                                            learningRate, momentum, 1 - dampening, nesterov ? 1 : 0)
        } else {
            sgdOuterProductLoop(p: p, buffer: buffer, column: column, row: row, rows: rows, columns: columns,
                                learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov)
        }
    }

    static func adam<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>,
        vMax: UnsafeMutablePointer<T>?, n: Int, step: Int, learningRate: Double, beta1: Double, beta2: Double,
        epsilon: Double, weightDecay: Double, decoupledWeightDecay: Bool
    ) {
        if vMax == nil && (weightDecay == 0 || decoupledWeightDecay) {  // Adam and AdamW, in the wide-vector C loop
            let correction1 = 1 - Double.pow(beta1, Double(step))
            let correction2Root = (1 - Double.pow(beta2, Double(step))).squareRoot()
            let decay = weightDecay == 0 ? 1 : 1 - learningRate * weightDecay
            if T.self == Float.self {
                easynets_adam_f32(p.bound(to: Float.self), g.bound(to: Float.self), m.bound(to: Float.self), v.bound(to: Float.self), n,
                                  Float(beta1), Float(beta2), Float(learningRate / correction1), Float(correction2Root), Float(epsilon),
                                  Float(decay))
                return
            } else if T.self == Double.self {
                easynets_adam_f64(p.bound(to: Double.self), g.bound(to: Double.self), m.bound(to: Double.self), v.bound(to: Double.self),
                                  n, beta1, beta2, learningRate / correction1, correction2Root, epsilon, decay)
                return
            }
        }
        if T.self == Float.self {
            adamLoop(p: p.bound(to: Float.self), g: g.bound(to: Float.self), m: m.bound(to: Float.self), v: v.bound(to: Float.self),
                     vMax: vMax?.bound(to: Float.self), n: n, step: step, learningRate: learningRate, beta1: beta1, beta2: beta2,
                     epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
        } else if T.self == Double.self {
            adamLoop(p: p.bound(to: Double.self), g: g.bound(to: Double.self), m: m.bound(to: Double.self), v: v.bound(to: Double.self),
                     vMax: vMax?.bound(to: Double.self), n: n, step: step, learningRate: learningRate, beta1: beta1, beta2: beta2,
                     epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
        } else {
            adamLoop(p: p, g: g, m: m, v: v,
                     vMax: vMax, n: n, step: step, learningRate: learningRate, beta1: beta1, beta2: beta2,
                     epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
        }
    }

    static func rmsProp<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        gradientAverage: UnsafeMutablePointer<T>?, buffer: UnsafeMutablePointer<T>?, n: Int,
        learningRate: Double, alpha: Double, epsilon: Double, weightDecay: Double, momentum: Double
    ) {
        if gradientAverage == nil && buffer == nil && weightDecay == 0 {  // the default configuration, in C
            if T.self == Float.self {
                easynets_rmsprop_f32(p.bound(to: Float.self), g.bound(to: Float.self), squareAverage.bound(to: Float.self), n,
                                     Float(learningRate), Float(alpha), Float(epsilon))
                return
            } else if T.self == Double.self {
                easynets_rmsprop_f64(p.bound(to: Double.self), g.bound(to: Double.self), squareAverage.bound(to: Double.self), n,
                                     learningRate, alpha, epsilon)
                return
            }
        }
        if T.self == Float.self {
            rmsPropLoop(p: p.bound(to: Float.self), g: g.bound(to: Float.self), squareAverage: squareAverage.bound(to: Float.self),
                        gradientAverage: gradientAverage?.bound(to: Float.self), buffer: buffer?.bound(to: Float.self), n: n,
                        learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum)
        } else if T.self == Double.self {
            rmsPropLoop(p: p.bound(to: Double.self), g: g.bound(to: Double.self), squareAverage: squareAverage.bound(to: Double.self),
                        gradientAverage: gradientAverage?.bound(to: Double.self), buffer: buffer?.bound(to: Double.self), n: n,
                        learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum)
        } else {
            rmsPropLoop(p: p, g: g, squareAverage: squareAverage,
                        gradientAverage: gradientAverage, buffer: buffer, n: n,
                        learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum)
        }
    }

    static func adagrad<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, sum: UnsafeMutablePointer<T>, n: Int, step: Int,
        learningRate: Double, learningRateDecay: Double, epsilon: Double, weightDecay: Double
    ) {
        if weightDecay == 0 {  // in C, at the step's decayed rate as the Swift loop computes it
            let clr = learningRate / (1 + Double(step - 1) * learningRateDecay)
            if T.self == Float.self {
                easynets_adagrad_f32(p.bound(to: Float.self), g.bound(to: Float.self), sum.bound(to: Float.self), n, Float(clr), Float(epsilon))
                return
            } else if T.self == Double.self {
                easynets_adagrad_f64(p.bound(to: Double.self), g.bound(to: Double.self), sum.bound(to: Double.self), n, clr, epsilon)
                return
            }
        }
        if T.self == Float.self {
            adagradLoop(p: p.bound(to: Float.self), g: g.bound(to: Float.self), sum: sum.bound(to: Float.self), n: n, step: step,
                        learningRate: learningRate, learningRateDecay: learningRateDecay, epsilon: epsilon, weightDecay: weightDecay)
        } else if T.self == Double.self {
            adagradLoop(p: p.bound(to: Double.self), g: g.bound(to: Double.self), sum: sum.bound(to: Double.self), n: n, step: step,
                        learningRate: learningRate, learningRateDecay: learningRateDecay, epsilon: epsilon, weightDecay: weightDecay)
        } else {
            adagradLoop(p: p, g: g, sum: sum, n: n, step: step,
                        learningRate: learningRate, learningRateDecay: learningRateDecay, epsilon: epsilon, weightDecay: weightDecay)
        }
    }

    static func adadelta<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, squareAverage: UnsafeMutablePointer<T>,
        accumulatedDelta: UnsafeMutablePointer<T>, n: Int, learningRate: Double, rho: Double, epsilon: Double,
        weightDecay: Double
    ) {
        if T.self == Float.self {
            adadeltaLoop(p: p.bound(to: Float.self), g: g.bound(to: Float.self), squareAverage: squareAverage.bound(to: Float.self),
                         accumulatedDelta: accumulatedDelta.bound(to: Float.self), n: n, learningRate: learningRate, rho: rho,
                         epsilon: epsilon, weightDecay: weightDecay)
        } else if T.self == Double.self {
            adadeltaLoop(p: p.bound(to: Double.self), g: g.bound(to: Double.self), squareAverage: squareAverage.bound(to: Double.self),
                         accumulatedDelta: accumulatedDelta.bound(to: Double.self), n: n, learningRate: learningRate, rho: rho,
                         epsilon: epsilon, weightDecay: weightDecay)
        } else {
            adadeltaLoop(p: p, g: g, squareAverage: squareAverage,
                         accumulatedDelta: accumulatedDelta, n: n, learningRate: learningRate, rho: rho,
                         epsilon: epsilon, weightDecay: weightDecay)
        }
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
