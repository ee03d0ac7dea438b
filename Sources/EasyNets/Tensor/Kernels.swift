import RealModule

// Per-element kernels. Every loop over a tensor's scalars lives here, over unsafe pointers.
// Each kernel is generic but pre-specialized for Float and Double (`@_specialize`), so a call from
// unspecialized generic code dispatches once per tensor to a concrete, vectorizable loop.

/// Elementwise unary ops.
enum UnaryOp {
    case negate, exp, log, sqrt, abs, square, tanh, sigmoid, relu, softplus, logSigmoid, sign
    case power(Double)
    case clamp(lower: Double, upper: Double)
    case affine(scale: Double, shift: Double)  // x·scale + shift
    case finiteOr(Double)  // x where finite, else the value

    /// Whether each element costs enough arithmetic (a transcendental function) for splitting a
    /// large tensor across threads to pay; the other ops are bound by memory bandwidth.
    var isComputeBound: Bool {
        switch self {
        case .exp, .log, .tanh, .sigmoid, .softplus, .logSigmoid, .power: return true
        default: return false
        }
    }
}

/// Elementwise binary ops (with broadcasting); comparisons give 1 or 0.
enum BinaryOp {
    case add, subtract, multiply, divide, power, maximum, minimum
    case less, lessEqual, greater, greaterEqual, equal, notEqual
}

/// Reductions along one axis.
enum ReductionOp { case sum, max, min }

enum Kernels {
    // MARK: Unary

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func unary<T: TensorScalar>(
        _ op: UnaryOp, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, split: Bool = true
    ) {
        if split, op.isComputeBound,
           Parallelism.forEachChunk(n, { start, count in unary(op, x + start, y + start, count, split: false) }) {
            return
        }
        switch op {
        case .negate: for i in 0..<n { y[i] = -x[i] }
        case .exp: for i in 0..<n { y[i] = T.exp(x[i]) }
        case .log: for i in 0..<n { y[i] = T.log(x[i]) }
        case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
        case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case .square: for i in 0..<n { y[i] = x[i] * x[i] }
        case .tanh: for i in 0..<n { y[i] = T.tanh(x[i]) }
        case .sigmoid: for i in 0..<n { y[i] = stableSigmoid(x[i]) }
        case .relu: for i in 0..<n { y[i] = x[i] > 0 ? x[i] : 0 }
        case .softplus:
            // softplus(x) = max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
            for i in 0..<n { y[i] = Swift.max(x[i], 0) + T.log(onePlus: T.exp(-Swift.abs(x[i]))) }
        case .logSigmoid:
            // log σ(x) = min(x, 0) − log1p(exp(−|x|)).
            for i in 0..<n { y[i] = Swift.min(x[i], 0) - T.log(onePlus: T.exp(-Swift.abs(x[i]))) }
        case .sign: for i in 0..<n { y[i] = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0) }
        case .power(let p):
            if p == 2 {
                for i in 0..<n { y[i] = x[i] * x[i] }
            } else if let k = Int(exactly: p) {
                for i in 0..<n { y[i] = T.pow(x[i], k) }
            } else {
                let e = T(p)
                for i in 0..<n { y[i] = T.pow(x[i], e) }
            }
        case .clamp(let lower, let upper):
            let lo = T(lower), hi = T(upper)
            for i in 0..<n { y[i] = Swift.min(Swift.max(x[i], lo), hi) }
        case .affine(let scale, let shift):
            let a = T(scale), b = T(shift)
            for i in 0..<n { y[i] = x[i] * a + b }
        case .finiteOr(let value):
            let v = T(value)
            for i in 0..<n { y[i] = x[i].isFinite ? x[i] : v }
        }
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

    /// dX = dY · f'(x) for a unary op, given its input `x` and output `y`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func unaryGradient<T: TensorScalar>(
        _ op: UnaryOp, x: UnsafePointer<T>, y: UnsafePointer<T>, dY: UnsafePointer<T>,
        dX: UnsafeMutablePointer<T>, _ n: Int, split: Bool = true
    ) {
        if split, op.isComputeBound, Parallelism.forEachChunk(n, { start, count in
            unaryGradient(op, x: x + start, y: y + start, dY: dY + start, dX: dX + start, count, split: false)
        }) {
            return
        }
        switch op {
        case .negate: for i in 0..<n { dX[i] = -dY[i] }
        case .exp: for i in 0..<n { dX[i] = dY[i] * y[i] }
        case .log: for i in 0..<n { dX[i] = dY[i] / x[i] }
        case .sqrt: for i in 0..<n { dX[i] = dY[i] / (2 * y[i]) }
        case .abs, .sign:
            if case .sign = op {
                for i in 0..<n { dX[i] = 0 }
            } else {
                for i in 0..<n {
                    let g = dY[i]  // loaded unconditionally: a select, not a branch (see reluGradient)
                    dX[i] = x[i] > 0 ? g : (x[i] < 0 ? -g : 0)
                }
            }
        case .square: for i in 0..<n { dX[i] = 2 * x[i] * dY[i] }
        case .tanh: for i in 0..<n { dX[i] = dY[i] * (1 - y[i] * y[i]) }
        // σ'(x) = σ(x)(1 − σ(x)); the seed lecture note's (1 − σ)/σ is wrong.
        case .sigmoid: for i in 0..<n { dX[i] = dY[i] * y[i] * (1 - y[i]) }
        case .relu: reluGradient(x: x, dY: dY, dX: dX, n)
        case .softplus: for i in 0..<n { dX[i] = dY[i] * stableSigmoid(x[i]) }
        case .logSigmoid: for i in 0..<n { dX[i] = dY[i] * stableSigmoid(-x[i]) }
        case .power(let p):
            let e = T(p)
            for i in 0..<n { dX[i] = dY[i] * e * power(x[i], e - 1) }
        case .clamp(let lower, let upper):
            // As in PyTorch, the gradient passes where lower ≤ x ≤ upper.
            let lo = T(lower), hi = T(upper)
            for i in 0..<n {
                let g = dY[i]
                dX[i] = (x[i] >= lo && x[i] <= hi) ? g : 0
            }
        case .affine(let scale, _):
            let a = T(scale)
            for i in 0..<n { dX[i] = dY[i] * a }
        case .finiteOr:
            for i in 0..<n {
                let g = dY[i]
                dX[i] = x[i].isFinite ? g : 0
            }
        }
    }

    /// dX = dY where x > 0, else 0. The gradient is loaded unconditionally so the choice compiles
    /// to a vector select; `x > 0 ? dY[i] : 0` compiles to a branch on the sign, which random signs
    /// mispredict half the time (30× slower here).
    @inline(__always)
    static func reluGradient<T: TensorScalar>(
        x: UnsafePointer<T>, dY: UnsafePointer<T>, dX: UnsafeMutablePointer<T>, _ n: Int
    ) {
        for i in 0..<n {
            let g = dY[i]
            dX[i] = x[i] > 0 ? g : 0
        }
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
            let (u, v) = (a[i], b[i])  // both loaded: a select, not a branch (see reluGradient)
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
