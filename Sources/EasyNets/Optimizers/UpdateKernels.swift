// The per-element update rules, each one pass over a parameter buffer, pre-specialized for
// Float and Double. The order of floating-point operations follows PyTorch's single-tensor
// implementations, so results agree to rounding.

enum UpdateKernels {
    /// SGD with momentum, dampening, Nesterov and L2 weight decay.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func sgd<T: TensorScalar>(
        p: UnsafeMutablePointer<T>, g: UnsafePointer<T>, buffer: UnsafeMutablePointer<T>?, firstStep: Bool, n: Int,
        learningRate: Double, momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double
    ) {
        let lr = T(learningRate), mu = T(momentum), damp = T(1 - dampening), wd = T(weightDecay)
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
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func adam<T: TensorScalar>(
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
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func rmsProp<T: TensorScalar>(
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
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func adagrad<T: TensorScalar>(
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
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func adadelta<T: TensorScalar>(
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
}
