import RealModule

// Activation functions beyond the core unary ops (relu, sigmoid, tanh, softplus live in
// Tensor+Unary.swift). Each kernel's derivative sits right under its forward.

/// Activation kernels with a parameter or a more involved derivative.
enum ActivationOp {
    case leakyRelu(slope: Double)
    case elu(alpha: Double)
    case selu
    case gelu
    case geluTanh
    case silu
    case mish
    case hardSigmoid

    /// Whether the activation evaluates a transcendental function per element, so splitting a
    /// large tensor across threads pays (see ``Parallelism``).
    var isComputeBound: Bool {
        switch self {
        case .leakyRelu, .hardSigmoid: return false
        default: return true
        }
    }
}

/// SELU's constants (Klambauer et al. 2017), as PyTorch uses them.
private let seluAlpha = 1.6732632423543772848170429916717
private let seluScale = 1.0507009873554804934193349852946

enum ActivationKernels {
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func forward<T: TensorScalar>(
        _ op: ActivationOp, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, split: Bool = true
    ) {
        if split, op.isComputeBound,
           Parallelism.forEachChunk(n, { start, count in forward(op, x + start, y + start, count, split: false) }) {
            return
        }
        switch op {
        case .leakyRelu(let slope):
            let s = T(slope)
            for i in 0..<n { y[i] = x[i] > 0 ? x[i] : s * x[i] }
        case .elu(let alpha):
            let a = T(alpha)
            for i in 0..<n { y[i] = x[i] > 0 ? x[i] : a * T.expMinusOne(x[i]) }
        case .selu:
            let a = T(seluAlpha), scale = T(seluScale)
            for i in 0..<n { y[i] = scale * (x[i] > 0 ? x[i] : a * T.expMinusOne(x[i])) }
        case .gelu:
            // x·Φ(x) with Φ the standard normal CDF.
            for i in 0..<n { y[i] = x[i] * T(0.5) * (1 + T.erf(x[i] / T.sqrt(2))) }
        case .geluTanh:
            let c = T.sqrt(2 / T.pi)
            for i in 0..<n {
                let u = c * (x[i] + T(0.044715) * x[i] * x[i] * x[i])
                y[i] = T(0.5) * x[i] * (1 + T.tanh(u))
            }
        case .silu:
            for i in 0..<n { y[i] = x[i] * Kernels.stableSigmoid(x[i]) }
        case .mish:
            for i in 0..<n { y[i] = x[i] * T.tanh(softplus(x[i])) }
        case .hardSigmoid:
            for i in 0..<n { y[i] = Swift.min(Swift.max(x[i] / 6 + T(0.5), 0), 1) }
        }
    }

    /// dX = dY · f'(x).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func backward<T: TensorScalar>(
        _ op: ActivationOp, x: UnsafePointer<T>, dY: UnsafePointer<T>, dX: UnsafeMutablePointer<T>, _ n: Int, split: Bool = true
    ) {
        if split, op.isComputeBound, Parallelism.forEachChunk(n, { start, count in
            backward(op, x: x + start, dY: dY + start, dX: dX + start, count, split: false)
        }) {
            return
        }
        switch op {
        case .leakyRelu(let slope):
            let s = T(slope)
            for i in 0..<n {
                let g = dY[i]
                dX[i] = x[i] > 0 ? g : s * g
            }
        case .elu(let alpha):
            let a = T(alpha)
            for i in 0..<n { dX[i] = x[i] > 0 ? dY[i] : dY[i] * a * T.exp(x[i]) }
        case .selu:
            let a = T(seluAlpha), scale = T(seluScale)
            for i in 0..<n { dX[i] = dY[i] * scale * (x[i] > 0 ? 1 : a * T.exp(x[i])) }
        case .gelu:
            // Φ(x) + x·φ(x)
            let invSqrt2Pi = 1 / T.sqrt(2 * T.pi)
            for i in 0..<n {
                let cdf = T(0.5) * (1 + T.erf(x[i] / T.sqrt(2)))
                let pdf = invSqrt2Pi * T.exp(-x[i] * x[i] / 2)
                dX[i] = dY[i] * (cdf + x[i] * pdf)
            }
        case .geluTanh:
            let c = T.sqrt(2 / T.pi)
            for i in 0..<n {
                let x2 = x[i] * x[i]
                let t: T = T.tanh(c * (x[i] + T(0.044715) * x2 * x[i]))
                let inner: T = c * (1 + T(3 * 0.044715) * x2)
                let outer: T = T(0.5) * x[i] * (1 - t * t)
                dX[i] = dY[i] * (T(0.5) * (1 + t) + outer * inner)
            }
        case .silu:
            for i in 0..<n {
                let s = Kernels.stableSigmoid(x[i])
                dX[i] = dY[i] * s * (1 + x[i] * (1 - s))
            }
        case .mish:
            for i in 0..<n {
                let t = T.tanh(softplus(x[i]))
                dX[i] = dY[i] * (t + x[i] * (1 - t * t) * Kernels.stableSigmoid(x[i]))
            }
        case .hardSigmoid:
            for i in 0..<n {
                let g = dY[i] / 6
                dX[i] = x[i] > -3 && x[i] < 3 ? g : 0
            }
        }
    }

    @inline(__always)
    private static func softplus<T: TensorScalar>(_ x: T) -> T {
        Swift.max(x, 0) + T.log(onePlus: T.exp(-Swift.abs(x)))
    }
}

extension Tensor {
    func activation(_ op: ActivationOp, name: String) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        ActivationKernels.forward(op, storage.base, result.storage.base, count)
        guard Tensor.needsRecording(self) else { return result }
        let x = detached
        return result.recorded(name, inputs: [node]) { [node] dY in
            let dX = Tensor(uninitializedShape: x.shape)
            ActivationKernels.backward(op, x: x.storage.base, dY: dY.storage.base, dX: dX.storage.base, x.count)
            node?.accumulate(dX)
        }
    }
}

/// x for x > 0, `negativeSlope`·x otherwise.
public func leakyRelu<Scalar>(_ x: Tensor<Scalar>, negativeSlope: Double = 0.01) -> Tensor<Scalar> {
    x.activation(.leakyRelu(slope: negativeSlope), name: "leakyRelu")
}
/// x for x > 0, α(eˣ − 1) otherwise.
public func elu<Scalar>(_ x: Tensor<Scalar>, alpha: Double = 1) -> Tensor<Scalar> {
    x.activation(.elu(alpha: alpha), name: "elu")
}
/// Scaled ELU with the self-normalizing constants λ ≈ 1.0507, α ≈ 1.6733.
public func selu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.activation(.selu, name: "selu") }

/// How ``gelu(_:approximation:)`` evaluates Φ.
public enum GELUApproximation: Sendable {
    /// x·Φ(x) with the exact normal CDF (through erf).
    case none
    /// 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), PyTorch's `approximate="tanh"`.
    case tanh
}

/// The Gaussian error linear unit x·Φ(x).
public func gelu<Scalar>(_ x: Tensor<Scalar>, approximation: GELUApproximation = .none) -> Tensor<Scalar> {
    x.activation(approximation == .none ? .gelu : .geluTanh, name: "gelu")
}
/// x·σ(x) (also called swish).
public func silu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.activation(.silu, name: "silu") }
/// x·tanh(softplus(x)).
public func mish<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.activation(.mish, name: "mish") }
/// clamp(x/6 + 1/2, 0, 1), as PyTorch's `Hardsigmoid`.
public func hardSigmoid<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.activation(.hardSigmoid, name: "hardSigmoid") }

/// log softmax along `axis`: x − logΣexp(x), stable for any finite input.
public func logSoftmax<Scalar>(_ x: Tensor<Scalar>, along axis: Int = -1) -> Tensor<Scalar> {
    x - x.logSumExp(along: axis, keepingDims: true)
}

/// softmax along `axis`: exp(x − logΣexp(x)), stable for any finite input.
public func softmax<Scalar>(_ x: Tensor<Scalar>, along axis: Int = -1) -> Tensor<Scalar> {
    exp(logSoftmax(x, along: axis))
}
