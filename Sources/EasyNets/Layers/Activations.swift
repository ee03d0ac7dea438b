// Activation functions beyond the core unary ops (relu, sigmoid, tanh, softplus live in
// Tensor+Unary.swift). Each is a unary op whose forward and backward loops sit side by side in
// `Kernels.unary`.

/// x for x > 0, `negativeSlope`·x otherwise.
public func leakyRelu<Scalar>(_ x: Tensor<Scalar>, negativeSlope: Double = 0.01) -> Tensor<Scalar> {
    x.unary(.leakyRelu(slope: negativeSlope), name: "leakyRelu")
}
/// x for x > 0, α(eˣ − 1) otherwise.
public func elu<Scalar>(_ x: Tensor<Scalar>, alpha: Double = 1) -> Tensor<Scalar> {
    x.unary(.elu(alpha: alpha), name: "elu")
}
/// Scaled ELU with the self-normalizing constants λ ≈ 1.0507, α ≈ 1.6733.
public func selu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.selu, name: "selu") }

/// How ``gelu(_:approximation:)`` evaluates Φ.
public enum GELUApproximation: Sendable {
    /// x·Φ(x) with the exact normal CDF (through erf).
    case none
    /// 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), PyTorch's `approximate="tanh"`.
    case tanh
}

/// The Gaussian error linear unit x·Φ(x).
public func gelu<Scalar>(_ x: Tensor<Scalar>, approximation: GELUApproximation = .none) -> Tensor<Scalar> {
    approximation == .none ? exactGELU(x) : x.unary(.geluTanh, name: "gelu")
}

/// The exact GELU as one op on the tape: when recording, the forward pass also keeps Φ(x), so that
/// backward computes only the density φ(x) (one exponential per element instead of two, a
/// division and a polynomial).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func exactGELU<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let count = x.count
    let output = Tensor<Scalar>(uninitializedShape: x.shape, op: "gelu")
    let cdf = Tensor.needsRecording(x) ? Tensor<Scalar>(uninitializedShape: x.shape, op: "gelu") : nil
    let (input, y, c) = (UnsafePointer(x.storage.base), output.storage.base, cdf?.storage.base)
    Parallelism.splitting(count, costPerItem: 1) { first, n in
        Scalar._kernelGELU(x: input + first, y: y + first, cdf: c.map { $0 + first }, count: n)
    }
    withExtendedLifetime(x) {}
    guard let cdf else { return output }
    let saved = x.detached
    return output.recorded("gelu", inputs: [x.node]) { [node = x.node] dY in
        let dX = Tensor<Scalar>(uninitializedShape: saved.shape, op: "gelu")
        let (x, c, g, d) = (UnsafePointer(saved.storage.base), UnsafePointer(cdf.storage.base), UnsafePointer(dY.storage.base),
                            dX.storage.base)
        Parallelism.splitting(count, costPerItem: 1) { first, n in
            Scalar._kernelGELUBackward(x: x + first, cdf: c + first, dY: g + first, dX: d + first, count: n)
        }
        withExtendedLifetime((saved, cdf, dY)) {}
        node?.accumulate(dX)
    }
}
/// x·σ(x) (also called swish).
public func silu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.silu, name: "silu") }
/// x·tanh(softplus(x)).
public func mish<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.mish, name: "mish") }
/// clamp(x/6 + 1/2, 0, 1), as PyTorch's `Hardsigmoid`.
public func hardSigmoid<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.hardSigmoid, name: "hardSigmoid") }

/// log softmax along `axis`: x − logΣexp(x), stable for any finite input.
public func logSoftmax<Scalar>(_ x: Tensor<Scalar>, along axis: Int = -1) -> Tensor<Scalar> {
    x - x.logSumExp(along: axis, keepingDims: true)
}

/// softmax along `axis`: exp(x − logΣexp(x)), stable for any finite input.
public func softmax<Scalar>(_ x: Tensor<Scalar>, along axis: Int = -1) -> Tensor<Scalar> {
    exp(logSoftmax(x, along: axis))
}
