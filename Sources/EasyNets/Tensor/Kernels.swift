import RealModule

// Per-element kernels. Every loop over a tensor's scalars lives here, over unsafe pointers.
// Each kernel is generic but pre-specialized for Float and Double (`@_specialize`), so a call from
// unspecialized generic code dispatches once per tensor to a concrete, vectorizable loop. Loops
// that run in C are reached through TensorScalar's `_kernel…` requirements (Float+Kernels.swift,
// Double+Kernels.swift); their Swift loops stay as references.

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
    case gelu
    case geluTanh
    case silu
    case mish
    case hardSigmoid

    /// Whether each element costs enough arithmetic (a transcendental function) for splitting a
    /// large tensor across threads to pay; the other ops are bound by memory bandwidth.
    var isComputeBound: Bool {
        switch self {
        case .exp, .log, .tanh, .sigmoid, .softplus, .logSigmoid, .power, .elu, .selu, .gelu, .geluTanh, .silu, .mish:
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

/// SELU's constants (Klambauer et al. 2017), as PyTorch uses them.
private let seluAlpha = 1.6732632423543772848170429916717
private let seluScale = 1.0507009873554804934193349852946

/// Elementwise binary ops (with broadcasting); comparisons give 1 or 0.
enum BinaryOp {
    case add, subtract, multiply, divide, power, maximum, minimum
    case less, lessEqual, greater, greaterEqual, equal, notEqual
}

/// Reductions along one axis.
enum ReductionOp { case sum, max, min }

enum Kernels {
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

        // x·Φ(x) with Φ the standard normal CDF; derivative Φ(x) + x·φ(x).
        case let (.gelu, .forward(x, y)): for i in 0..<n { y[i] = x[i] * T(0.5) * (1 + T.erf(x[i] / T.sqrt(2))) }
        case let (.gelu, .backward(x, _, dY, dX)):
            let invSqrt2Pi = 1 / T.sqrt(2 * T.pi)
            for i in 0..<n {
                let cdf = T(0.5) * (1 + T.erf(x[i] / T.sqrt(2)))
                let pdf = invSqrt2Pi * T.exp(-x[i] * x[i] / 2)
                dX[i] = dY[i] * (cdf + x[i] * pdf)
            }

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

        case let (.hardSigmoid, .forward(x, y)): for i in 0..<n { y[i] = Swift.min(Swift.max(x[i] / 6 + T(0.5), 0), 1) }
        case let (.hardSigmoid, .backward(x, _, dY, dX)):
            for i in 0..<n {
                let g = dY[i] / 6
                dX[i] = x[i] > -3 && x[i] < 3 ? g : 0
            }
        }
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

    /// xʸ with C's `pow` semantics. RealModule's `pow(x, y)` is NaN for every negative x and for 0⁰;
    /// its integer-exponent overload gives (−2)³ = −8 and 0⁰ = 1, as C, NumPy and PyTorch do.
    @inline(__always)
    static func power<T: TensorScalar>(_ x: T, _ y: T) -> T {
        if let k = Int(exactly: y) { return T.pow(x, k) }
        return T.pow(x, y)
    }

    @inline(__always)
    static func stableSigmoid<T: TensorScalar>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }

    /// log(1 + eˣ) as max(x, 0) + log1p(e^−|x|).
    @inline(__always)
    static func softplus<T: TensorScalar>(_ x: T) -> T {
        Swift.max(x, 0) + T.log(onePlus: T.exp(-Swift.abs(x)))
    }

    // MARK: Binary with broadcasting

    @inline(__always)
    static func apply<T: TensorScalar>(_ op: BinaryOp, _ a: T, _ b: T) -> T {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power: return power(a, b)
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        case .less: return a < b ? 1 : 0
        case .lessEqual: return a <= b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        case .greaterEqual: return a >= b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .notEqual: return a != b ? 1 : 0
        }
    }

    /// `out[i] = a[i ∘ strideA] op b[i ∘ strideB]` over `shape`; a stride of 0 broadcasts an axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func binary<T: TensorScalar>(
        _ op: BinaryOp, _ a: UnsafePointer<T>, stridesA: [Int], _ b: UnsafePointer<T>, stridesB: [Int],
        _ out: UnsafeMutablePointer<T>, shape: [Int]
    ) {
        let n = shape.reduce(1, *)
        guard n > 0 else { return }
        let contiguous = contiguousStrides(shape)
        if stridesA == contiguous && stridesB == contiguous {
            sameShapeBinary(op, a, b, out, n)  // memory-bound: one thread streams it fastest
            return
        }
        let rank = shape.count
        let inner = rank == 0 ? 1 : shape[rank - 1]
        let sa = rank == 0 ? 1 : stridesA[rank - 1]
        let sb = rank == 0 ? 1 : stridesB[rank - 1]
        var index = [Int](repeating: 0, count: Swift.max(rank - 1, 0))
        var offA = 0, offB = 0, o = 0
        while o < n {
            let pa = a + offA, pb = b + offB, po = out + o
            // The three common inner-loop layouts get loops the compiler can vectorize.
            switch (sa, sb, op) {
            case (1, 1, .add): for i in 0..<inner { po[i] = pa[i] + pb[i] }
            case (1, 1, .multiply): for i in 0..<inner { po[i] = pa[i] * pb[i] }
            case (1, 1, .subtract): for i in 0..<inner { po[i] = pa[i] - pb[i] }
            case (1, 0, .add): let v = pb[0]; for i in 0..<inner { po[i] = pa[i] + v }
            case (1, 0, .multiply): let v = pb[0]; for i in 0..<inner { po[i] = pa[i] * v }
            case (1, 1, _): for i in 0..<inner { po[i] = apply(op, pa[i], pb[i]) }
            case (1, 0, _): let v = pb[0]; for i in 0..<inner { po[i] = apply(op, pa[i], v) }
            case (0, 1, _): let v = pa[0]; for i in 0..<inner { po[i] = apply(op, v, pb[i]) }
            default: for i in 0..<inner { po[i] = apply(op, pa[i * sa], pb[i * sb]) }
            }
            o += inner
            // Odometer over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offA += stridesA[axis]
                offB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offA -= stridesA[axis] * shape[axis]
                offB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// `out[i] = a[i] op b[i]` for contiguous operands of one shape.
    @inline(__always)
    static func sameShapeBinary<T: TensorScalar>(
        _ op: BinaryOp, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int
    ) {
        switch op {
        case .add: for i in 0..<n { out[i] = a[i] + b[i] }
        case .subtract: for i in 0..<n { out[i] = a[i] - b[i] }
        case .multiply: for i in 0..<n { out[i] = a[i] * b[i] }
        case .divide: for i in 0..<n { out[i] = a[i] / b[i] }
        default: for i in 0..<n { out[i] = apply(op, a[i], b[i]) }
        }
    }

    /// `out = mask ? a : b` elementwise (same shapes).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func select<T: TensorScalar>(
        _ mask: UnsafePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
        _ out: UnsafeMutablePointer<T>, _ n: Int
    ) {
        for i in 0..<n {
            let (u, v) = (a[i], b[i])  // both loaded: a select, not a branch (see Kernels.unary)
            out[i] = mask[i] != 0 ? u : v
        }
    }

    // MARK: Reductions

    /// Reduces the middle axis of an (outer, length, inner) array into (outer, inner).
    /// `length` must be positive for `.max` and `.min`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func reduce<T: TensorScalar>(
        _ op: ReductionOp, _ x: UnsafePointer<T>, outer: Int, length: Int, inner: Int,
        _ y: UnsafeMutablePointer<T>
    ) {
        if length == 0 {
            zeroFill(y, count: outer * inner)
            return
        }
        for o in 0..<outer {
            let src = x + o * length * inner
            let dst = y + o * inner
            if inner == 1 {
                dst[0] = reduceContiguous(op, src, length)
                continue
            }
            dst.update(from: src, count: inner)
            for k in 1..<length {
                let row = src + k * inner
                switch op {
                case .sum: for j in 0..<inner { dst[j] += row[j] }
                case .max: for j in 0..<inner { dst[j] = row[j] > dst[j] || row[j].isNaN ? row[j] : dst[j] }
                case .min: for j in 0..<inner { dst[j] = row[j] < dst[j] || row[j].isNaN ? row[j] : dst[j] }
                }
            }
        }
    }

    /// Reduces `n ≥ 1` contiguous values. Sums use eight running partial sums (vectorizable and
    /// more accurate than one long chain); max and min propagate NaN.
    @inline(__always)
    static func reduceContiguous<T: TensorScalar>(_ op: ReductionOp, _ x: UnsafePointer<T>, _ n: Int) -> T {
        switch op {
        case .sum:
            var partial: (T, T, T, T, T, T, T, T) = (0, 0, 0, 0, 0, 0, 0, 0)
            var i = 0
            while i + 8 <= n {
                partial.0 += x[i]; partial.1 += x[i + 1]; partial.2 += x[i + 2]; partial.3 += x[i + 3]
                partial.4 += x[i + 4]; partial.5 += x[i + 5]; partial.6 += x[i + 6]; partial.7 += x[i + 7]
                i += 8
            }
            var total = ((partial.0 + partial.1) + (partial.2 + partial.3))
                + ((partial.4 + partial.5) + (partial.6 + partial.7))
            while i < n { total += x[i]; i += 1 }
            return total
        case .max:
            var best = x[0]
            for i in 1..<n where x[i] > best || x[i].isNaN { best = x[i]; if best.isNaN { break } }
            return best
        case .min:
            var best = x[0]
            for i in 1..<n where x[i] < best || x[i].isNaN { best = x[i]; if best.isNaN { break } }
            return best
        }
    }

    /// Index of the first maximum (or minimum) along the middle axis of (outer, length, inner).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func argExtreme<T: TensorScalar>(
        maximum: Bool, _ x: UnsafePointer<T>, outer: Int, length: Int, inner: Int
    ) -> [Int] {
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for j in 0..<inner {
                let base = x + o * length * inner + j
                var best = base[0], bestIndex = 0
                for k in 1..<Swift.max(length, 1) {
                    let v = base[k * inner]
                    if best.isNaN { break }
                    if v.isNaN || (maximum ? v > best : v < best) { best = v; bestIndex = k }
                }
                result[o * inner + j] = bestIndex
            }
        }
        return result
    }

    // MARK: Copies

    /// Gathers `x` (source strides permuted to output order) into contiguous `out` of `shape`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func stridedCopy<T: TensorScalar>(
        _ x: UnsafePointer<T>, strides: [Int], _ out: UnsafeMutablePointer<T>, shape: [Int]
    ) {
        let zero = [Int](repeating: 0, count: shape.count)
        // Reuse the broadcasting walker: x·1 is exact (keeps −0 and NaN payload-free values).
        var one = T(1)
        binary(.multiply, x, stridesA: strides, &one, stridesB: zero, out, shape: shape)
    }

    /// Fills `out` with uniform values in [low, high).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func fillUniform<T: TensorScalar>(
        _ out: UnsafeMutablePointer<T>, _ n: Int, low: T, high: T, generator: inout RandomGenerator
    ) {
        let width = high - low
        for i in 0..<n {
            var v = low + width * T(generator.nextUnitDouble())
            if v >= high { v = low }  // rounding to Float can reach `high`
            out[i] = v
        }
    }

    /// Fills `out` with normal values of the given mean and standard deviation.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func fillNormal<T: TensorScalar>(
        _ out: UnsafeMutablePointer<T>, _ n: Int, mean: T, standardDeviation: T,
        generator: inout RandomGenerator
    ) {
        for i in 0..<n { out[i] = mean + standardDeviation * T(generator.nextNormal()) }
    }
}

// MARK: LSTM cell

extension Kernels {
    /// One LSTM step for `batch` rows: `gates` (batch, 4H) holds the pre-activations of i, f, g, o
    /// and receives their activations (σ, σ, tanh, σ), which backward reads; c = f·cPrevious + i·g
    /// goes to `cell`, tanh(c) to `tanhCell` (for backward) and h = o·tanh(c) to `hidden` (all (batch, H)).
    /// Float runs the vectorized C loop (activations within a Float ulp of the exact values),
    /// Double ``lstmCellLoop(gates:previousCell:cell:tanhCell:hidden:batch:size:)``.
    static func lstmCell<T: TensorScalar>(gates: UnsafeMutablePointer<T>, previousCell: UnsafePointer<T>, cell: UnsafeMutablePointer<T>,
                                          tanhCell: UnsafeMutablePointer<T>, hidden: UnsafeMutablePointer<T>, batch: Int, size h: Int) {
        T._kernelLSTMCell(gates: gates, previousCell: previousCell, cell: cell, tanhCell: tanhCell, hidden: hidden,
                          batch: batch, size: h)
    }

    /// The Swift reference loop of ``lstmCell(gates:previousCell:cell:tanhCell:hidden:batch:size:)``,
    /// with the type's own σ and tanh.
    static func lstmCellLoop<T: TensorScalar>(gates: UnsafeMutablePointer<T>, previousCell: UnsafePointer<T>, cell: UnsafeMutablePointer<T>,
                                              tanhCell: UnsafeMutablePointer<T>, hidden: UnsafeMutablePointer<T>, batch: Int, size h: Int) {
        for row in 0..<batch {
            let g = gates + row * 4 * h, offset = row * h
            for j in 0..<h {
                let input = stableSigmoid(g[j]), forget = stableSigmoid(g[h + j])
                let candidate = T.tanh(g[2 * h + j]), output = stableSigmoid(g[3 * h + j])
                (g[j], g[h + j], g[2 * h + j], g[3 * h + j]) = (input, forget, candidate, output)
                let c = forget * previousCell[offset + j] + input * candidate
                let squashed = T.tanh(c)
                (cell[offset + j], tanhCell[offset + j]) = (c, squashed)
                hidden[offset + j] = output * squashed
            }
        }
    }

    /// The backward of ``lstmCell(gates:previousCell:cell:tanhCell:hidden:batch:size:)``: from the
    /// step's activated `gates`, previous cell and tanh(c), and the gradients `dHidden` (of h) and
    /// `dCell` (of c, replaced by that of the previous cell), writes the gates' pre-activation
    /// gradients to `dGates`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func lstmCellBackward<T: TensorScalar>(
        gates: UnsafePointer<T>, previousCell: UnsafePointer<T>, tanhCell: UnsafePointer<T>, dHidden: UnsafePointer<T>,
        dCell: UnsafeMutablePointer<T>, dGates: UnsafeMutablePointer<T>, batch: Int, size h: Int
    ) {
        for row in 0..<batch {
            let g = gates + row * 4 * h, d = dGates + row * 4 * h, offset = row * h
            for j in 0..<h {
                let (input, forget, candidate, output) = (g[j], g[h + j], g[2 * h + j], g[3 * h + j])
                let squashed = tanhCell[offset + j], dh = dHidden[offset + j]
                let dc = dCell[offset + j] + dh * output * (1 - squashed * squashed)
                d[j] = dc * candidate * input * (1 - input)
                d[h + j] = dc * previousCell[offset + j] * forget * (1 - forget)
                d[2 * h + j] = dc * input * (1 - candidate * candidate)
                d[3 * h + j] = dh * squashed * output * (1 - output)
                dCell[offset + j] = dc * forget
            }
        }
    }
}
