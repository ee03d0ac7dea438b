import RealModule

/// Elementwise unary ops, activations included.
enum UnaryOp {
    case negate, exp, log, sqrt, abs, square, tanh, sigmoid, relu, softplus, logSigmoid, sign
    case power(Double)
    case clamp(lower: Double, upper: Double)
    case affine(scale: Double, shift: Double)  // x·scale + shift
    case finiteOr(Double)  // x where finite, else the value
    case leakyRelu(slope: Double)
    case elu(alpha: Double)
    case selu
    case geluTanh
    case silu
    case mish
    case hardSigmoid
    case sin, cos, tan, asin, acos, atan, sinh, cosh
    case erf, erfinv, log1p, expm1
    case floor, ceil, round  // round: half to even

    /// Whether each element costs enough arithmetic (a transcendental function) for splitting a
    /// large tensor across threads to pay; the other ops are bound by memory bandwidth.
    var isComputeBound: Bool {
        switch self {
        case .exp, .log, .tanh, .sigmoid, .softplus, .logSigmoid, .power, .elu, .selu, .geluTanh, .silu, .mish,
             .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .erf, .erfinv, .log1p, .expm1:
            return true
        default:
            return false
        }
    }
}

/// One pass of a unary op over a run of elements: the forward pass y = f(x), or the backward pass
/// dX = dY·f'(x) from the op's input x and output y.
enum UnaryPass<T: TensorScalar> {
    case forward(x: UnsafePointer<T>, y: UnsafeMutablePointer<T>)
    case backward(x: UnsafePointer<T>, y: UnsafePointer<T>, dY: UnsafePointer<T>, dX: UnsafeMutablePointer<T>)

    /// The same pass over the elements from `start` on.
    func advanced(by start: Int) -> UnaryPass {
        switch self {
        case let .forward(x, y): return .forward(x: x + start, y: y + start)
        case let .backward(x, y, dY, dX): return .backward(x: x + start, y: y + start, dY: dY + start, dX: dX + start)
        }
    }
}

extension Kernels {
    /// The exact GELU `x·½·(1 + erf(x/√2))` with the C library's `erf`, and Φ(x) = ½·(1 + erf(x/√2))
    /// into `cdf` unless it is nil: `Double`'s loop, and the reference `Float`'s C loop is measured
    /// against.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func geluLoop<T: TensorScalar>(x: UnsafePointer<T>, y: UnsafeMutablePointer<T>, cdf: UnsafeMutablePointer<T>?, count: Int) {
        for i in 0..<count {
            let erf = T.erf(x[i] / T.sqrt(2))
            y[i] = x[i] * T(0.5) * (1 + erf)
            cdf?[i] = T(0.5) * (1 + erf)
        }
    }

    /// GELU's gradient `dY·(Φ(x) + x·φ(x))` from the forward pass's Φ(x), with the C library's `exp`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func geluBackwardLoop<T: TensorScalar>(
        x: UnsafePointer<T>, cdf: UnsafePointer<T>, dY: UnsafePointer<T>, dX: UnsafeMutablePointer<T>, count: Int
    ) {
        let invSqrt2Pi = 1 / T.sqrt(2 * T.pi)
        for i in 0..<count {
            let pdf = invSqrt2Pi * T.exp(-x[i] * x[i] / 2)
            dX[i] = dY[i] * (cdf[i] + x[i] * pdf)
        }
    }
}

/// SELU's constants (Klambauer et al. 2017), as PyTorch uses them.
private let seluAlpha = 1.6732632423543772848170429916717
private let seluScale = 1.0507009873554804934193349852946

extension Kernels {
    // MARK: Unary

    /// Runs `op`'s forward or backward `pass` over `n` elements. Each op's derivative sits right
    /// under its forward; gradient loads are unconditional where a choice is made, so the choice
    /// compiles to a vector select rather than a branch that random signs mispredict (30× slower).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func unary<T: TensorScalar>(_ op: UnaryOp, _ pass: UnaryPass<T>, _ n: Int, split: Bool = true) {
        if split, op.isComputeBound,
           Parallelism.forEachChunk(n, { start, count in unary(op, pass.advanced(by: start), count, split: false) }) {
            return
        }
        switch (op, pass) {
        case let (.negate, .forward(x, y)): for i in 0..<n { y[i] = -x[i] }
        case let (.negate, .backward(_, _, dY, dX)): for i in 0..<n { dX[i] = -dY[i] }

        case let (.exp, .forward(x, y)): for i in 0..<n { y[i] = T.exp(x[i]) }
        case let (.exp, .backward(_, y, dY, dX)): for i in 0..<n { dX[i] = dY[i] * y[i] }

        case let (.log, .forward(x, y)): for i in 0..<n { y[i] = T.log(x[i]) }
        case let (.log, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] / x[i] }

        case let (.sqrt, .forward(x, y)): for i in 0..<n { y[i] = x[i].squareRoot() }
        case let (.sqrt, .backward(_, y, dY, dX)): for i in 0..<n { dX[i] = dY[i] / (2 * y[i]) }

        case let (.abs, .forward(x, y)): for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case let (.abs, .backward(x, _, dY, dX)):
            for i in 0..<n {
                let g = dY[i]
                dX[i] = x[i] > 0 ? g : (x[i] < 0 ? -g : 0)
            }

        case let (.sign, .forward(x, y)): for i in 0..<n { y[i] = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0) }
        case let (.sign, .backward(_, _, _, dX)): for i in 0..<n { dX[i] = 0 }

        case let (.square, .forward(x, y)): for i in 0..<n { y[i] = x[i] * x[i] }
        case let (.square, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = 2 * x[i] * dY[i] }

        case let (.tanh, .forward(x, y)): for i in 0..<n { y[i] = T.tanh(x[i]) }
        case let (.tanh, .backward(_, y, dY, dX)): for i in 0..<n { dX[i] = dY[i] * (1 - y[i] * y[i]) }

        case let (.sigmoid, .forward(x, y)): for i in 0..<n { y[i] = stableSigmoid(x[i]) }
        // σ'(x) = σ(x)(1 − σ(x)); the seed lecture note's (1 − σ)/σ is wrong.
        case let (.sigmoid, .backward(_, y, dY, dX)): for i in 0..<n { dX[i] = dY[i] * y[i] * (1 - y[i]) }

        // As PyTorch: NaN and −0 pass through forward; the gradient passes where x is not ≤ 0.
        // The vectorized C loop, which computes what reluLoop and reluBackwardLoop do.
        case let (.relu, .forward(x, y)): T._kernelRelu(x: x, y: y, count: n)
        case let (.relu, .backward(x, _, dY, dX)): T._kernelReluBackward(x: x, dY: dY, dX: dX, count: n)

        // softplus(x) = max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
        case let (.softplus, .forward(x, y)): for i in 0..<n { y[i] = softplus(x[i]) }
        case let (.softplus, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] * stableSigmoid(x[i]) }

        // log σ(x) = min(x, 0) − log1p(exp(−|x|)).
        case let (.logSigmoid, .forward(x, y)): for i in 0..<n { y[i] = Swift.min(x[i], 0) - T.log(onePlus: T.exp(-Swift.abs(x[i]))) }
        case let (.logSigmoid, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] * stableSigmoid(-x[i]) }

        case let (.power(p), .forward(x, y)):
            if p == 2 {
                for i in 0..<n { y[i] = x[i] * x[i] }
            } else if let k = Int(exactly: p) {
                for i in 0..<n { y[i] = T.pow(x[i], k) }
            } else {
                let e = T(p)
                for i in 0..<n { y[i] = T.pow(x[i], e) }
            }
        case let (.power(p), .backward(x, _, dY, dX)):
            let e = T(p)
            for i in 0..<n { dX[i] = dY[i] * e * power(x[i], e - 1) }

        case let (.clamp(lower, upper), .forward(x, y)):
            let lo = T(lower), hi = T(upper)
            for i in 0..<n { y[i] = Swift.min(Swift.max(x[i], lo), hi) }
        case let (.clamp(lower, upper), .backward(x, _, dY, dX)):
            // As in PyTorch, the gradient passes where lower ≤ x ≤ upper.
            let lo = T(lower), hi = T(upper)
            for i in 0..<n {
                let g = dY[i]
                dX[i] = (x[i] >= lo && x[i] <= hi) ? g : 0
            }

        case let (.affine(scale, shift), .forward(x, y)):
            let a = T(scale), b = T(shift)
            for i in 0..<n { y[i] = x[i] * a + b }
        case let (.affine(scale, _), .backward(_, _, dY, dX)):
            let a = T(scale)
            for i in 0..<n { dX[i] = dY[i] * a }

        case let (.finiteOr(value), .forward(x, y)):
            let v = T(value)
            for i in 0..<n { y[i] = x[i].isFinite ? x[i] : v }
        case let (.finiteOr, .backward(x, _, dY, dX)):
            for i in 0..<n {
                let g = dY[i]
                dX[i] = x[i].isFinite ? g : 0
            }

        case let (.leakyRelu(slope), .forward(x, y)):
            let s = T(slope)
            for i in 0..<n { y[i] = x[i] > 0 ? x[i] : s * x[i] }
        case let (.leakyRelu(slope), .backward(x, _, dY, dX)):
            let s = T(slope)
            for i in 0..<n {
                let g = dY[i]
                dX[i] = x[i] > 0 ? g : s * g
            }

        case let (.elu(alpha), .forward(x, y)):
            let a = T(alpha)
            for i in 0..<n { y[i] = x[i] > 0 ? x[i] : a * T.expMinusOne(x[i]) }
        case let (.elu(alpha), .backward(x, _, dY, dX)):
            let a = T(alpha)
            for i in 0..<n { dX[i] = x[i] > 0 ? dY[i] : dY[i] * a * T.exp(x[i]) }

        case let (.selu, .forward(x, y)):
            let a = T(seluAlpha), scale = T(seluScale)
            for i in 0..<n { y[i] = scale * (x[i] > 0 ? x[i] : a * T.expMinusOne(x[i])) }
        case let (.selu, .backward(x, _, dY, dX)):
            let a = T(seluAlpha), scale = T(seluScale)
            for i in 0..<n { dX[i] = dY[i] * scale * (x[i] > 0 ? 1 : a * T.exp(x[i])) }

        case let (.geluTanh, .forward(x, y)):
            let c = T.sqrt(2 / T.pi)
            for i in 0..<n {
                let u = c * (x[i] + T(0.044715) * x[i] * x[i] * x[i])
                y[i] = T(0.5) * x[i] * (1 + T.tanh(u))
            }
        case let (.geluTanh, .backward(x, _, dY, dX)):
            let c = T.sqrt(2 / T.pi)
            for i in 0..<n {
                let x2 = x[i] * x[i]
                let t: T = T.tanh(c * (x[i] + T(0.044715) * x2 * x[i]))
                let inner: T = c * (1 + T(3 * 0.044715) * x2)
                let outer: T = T(0.5) * x[i] * (1 - t * t)
                dX[i] = dY[i] * (T(0.5) * (1 + t) + outer * inner)
            }

        case let (.silu, .forward(x, y)): for i in 0..<n { y[i] = x[i] * stableSigmoid(x[i]) }
        case let (.silu, .backward(x, _, dY, dX)):
            for i in 0..<n {
                let s = stableSigmoid(x[i])
                dX[i] = dY[i] * s * (1 + x[i] * (1 - s))
            }

        case let (.mish, .forward(x, y)): for i in 0..<n { y[i] = x[i] * T.tanh(softplus(x[i])) }
        case let (.mish, .backward(x, _, dY, dX)):
            for i in 0..<n {
                let t = T.tanh(softplus(x[i]))
                dX[i] = dY[i] * (t + x[i] * (1 - t * t) * stableSigmoid(x[i]))
            }

        case let (.sin, .forward(x, y)): for i in 0..<n { y[i] = T.sin(x[i]) }
        case let (.sin, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] * T.cos(x[i]) }

        case let (.cos, .forward(x, y)): for i in 0..<n { y[i] = T.cos(x[i]) }
        case let (.cos, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = -dY[i] * T.sin(x[i]) }

        // tan' = 1 + tan².
        case let (.tan, .forward(x, y)): for i in 0..<n { y[i] = T.tan(x[i]) }
        case let (.tan, .backward(_, y, dY, dX)): for i in 0..<n { dX[i] = dY[i] * (1 + y[i] * y[i]) }

        case let (.asin, .forward(x, y)): for i in 0..<n { y[i] = T.asin(x[i]) }
        case let (.asin, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] / (1 - x[i] * x[i]).squareRoot() }

        case let (.acos, .forward(x, y)): for i in 0..<n { y[i] = T.acos(x[i]) }
        case let (.acos, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = -dY[i] / (1 - x[i] * x[i]).squareRoot() }

        case let (.atan, .forward(x, y)): for i in 0..<n { y[i] = T.atan(x[i]) }
        case let (.atan, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] / (1 + x[i] * x[i]) }

        case let (.sinh, .forward(x, y)): for i in 0..<n { y[i] = T.sinh(x[i]) }
        case let (.sinh, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] * T.cosh(x[i]) }

        case let (.cosh, .forward(x, y)): for i in 0..<n { y[i] = T.cosh(x[i]) }
        case let (.cosh, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] * T.sinh(x[i]) }

        // erf' = 2/√π · e^(−x²).
        case let (.erf, .forward(x, y)): for i in 0..<n { y[i] = T.erf(x[i]) }
        case let (.erf, .backward(x, _, dY, dX)):
            let c = 2 / T.sqrt(T.pi)
            for i in 0..<n { dX[i] = dY[i] * c * T.exp(-x[i] * x[i]) }

        // erfinv' = √π/2 · e^(y²) with y = erfinv(x).
        case let (.erfinv, .forward(x, y)): for i in 0..<n { y[i] = inverseErf(x[i]) }
        case let (.erfinv, .backward(_, y, dY, dX)):
            let c = T.sqrt(T.pi) / 2
            for i in 0..<n { dX[i] = dY[i] * c * T.exp(y[i] * y[i]) }

        case let (.log1p, .forward(x, y)): for i in 0..<n { y[i] = T.log(onePlus: x[i]) }
        case let (.log1p, .backward(x, _, dY, dX)): for i in 0..<n { dX[i] = dY[i] / (1 + x[i]) }

        case let (.expm1, .forward(x, y)): for i in 0..<n { y[i] = T.expMinusOne(x[i]) }
        case let (.expm1, .backward(_, y, dY, dX)): for i in 0..<n { dX[i] = dY[i] * (y[i] + 1) }

        // Steps: the gradient is 0 everywhere, as in PyTorch.
        case let (.floor, .forward(x, y)): for i in 0..<n { y[i] = x[i].rounded(.down) }
        case let (.ceil, .forward(x, y)): for i in 0..<n { y[i] = x[i].rounded(.up) }
        case let (.round, .forward(x, y)): for i in 0..<n { y[i] = x[i].rounded(.toNearestOrEven) }
        case let (.floor, .backward(_, _, _, dX)), let (.ceil, .backward(_, _, _, dX)), let (.round, .backward(_, _, _, dX)):
            for i in 0..<n { dX[i] = 0 }

        case let (.hardSigmoid, .forward(x, y)): for i in 0..<n { y[i] = Swift.min(Swift.max(x[i] / 6 + T(0.5), 0), 1) }
        case let (.hardSigmoid, .backward(x, _, dY, dX)):
            for i in 0..<n {
                let g = dY[i] / 6
                dX[i] = x[i] > -3 && x[i] < 3 ? g : 0
            }
        }
    }

    /// The inverse error function on [−1, 1] (±∞ at ±1, NaN outside): Giles' single-precision
    /// approximation ("Approximating the erfinv function", 2010), then two Newton steps on
    /// erf(y) = x (on erfc(|y|) = 1 − |x| for |x| > 1/2), which bring it to full precision in `Double`.
    static func inverseErf<T: TensorScalar>(_ x: T) -> T {
        if x.isNaN || Swift.abs(x) > 1 { return .nan }
        if Swift.abs(x) == 1 { return x * .infinity }
        let w = -T.log((1 - x) * (1 + x))
        var p: T
        if w < 5 {
            let v = w - T(2.5)
            p = T(2.81022636e-08)
            for c in [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                      -0.00417768164, 0.246640727, 1.50140941] { p = T(c) + p * v }
        } else {
            let v = w.squareRoot() - 3
            p = T(-0.000200214257)
            for c in [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                      0.00943887047, 1.00167406, 2.83297682] { p = T(c) + p * v }
        }
        var y = p * x
        let c = 2 / T.sqrt(T.pi)
        if Swift.abs(x) <= T(0.5) {
            for _ in 0..<2 { y -= (T.erf(y) - x) / (c * T.exp(-y * y)) }
            return y
        }
        // Near ±1, Newton on erfc(|y|) = 1 − |x| (exact here), whose relative precision erf lacks.
        let tail = 1 - Swift.abs(x)
        var z = Swift.abs(y)
        for _ in 0..<2 { z += (T.erfc(z) - tail) / (c * T.exp(-z * z)) }
        return x < 0 ? -z : z
    }

    /// ReLU's Swift reference loop, `y = x < 0 ? 0 : x`; Float and Double run the C loop.
    static func reluLoop<T: TensorScalar>(x: UnsafePointer<T>, y: UnsafeMutablePointer<T>, count n: Int) {
        for i in 0..<n { y[i] = x[i] < 0 ? 0 : x[i] }
    }

    /// ReLU's gradient's Swift reference loop, `dX = x ≤ 0 ? 0 : dY`; Float and Double run the C loop.
    static func reluBackwardLoop<T: TensorScalar>(
        x: UnsafePointer<T>, dY: UnsafePointer<T>, dX: UnsafeMutablePointer<T>, count n: Int
    ) {
        for i in 0..<n { dX[i] = x[i] <= 0 ? 0 : dY[i] }
    }
}
