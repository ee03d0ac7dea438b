// Elementwise unary math and activations. Each op's forward and backward loops sit side by side in
// `Kernels.unary` (Kernels+Unary.swift), one pre-specialized kernel for every op.

extension Tensor {
    /// Applies a unary kernel and records its gradient.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func unary(_ op: UnaryOp, name: String) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        Kernels.unary(op, .forward(x: storage.base, y: result.storage.base), count)
        guard Tensor.needsRecording(self) else { return result }
        let x = detached, y = result.detached
        return result.recorded(name, inputs: [node]) { [node] dY in
            let dX = Tensor(uninitializedShape: x.shape)
            Kernels.unary(op, .backward(x: x.storage.base, y: y.storage.base, dY: dY.storage.base, dX: dX.storage.base), x.count)
            node?.accumulate(dX)
        }
    }

    /// Each element limited to `lower...upper`; the gradient passes where `lower ≤ x ≤ upper`.
    public func clamped(min lower: Scalar = -.infinity, max upper: Scalar = .infinity) -> Tensor {
        require(lower <= upper, "Tensor.clamped: min \(lower) exceeds max \(upper)")
        return unary(.clamp(lower: Double(lower), upper: Double(upper)), name: "clamp")
    }
}

/// eˣ elementwise.
public func exp<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.exp, name: "exp") }
/// Natural logarithm elementwise.
public func log<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.log, name: "log") }
/// Square root elementwise.
public func sqrt<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.sqrt, name: "sqrt") }
/// Absolute value elementwise (gradient 0 at 0, as in PyTorch).
public func abs<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.abs, name: "abs") }
/// x² elementwise.
public func square<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.square, name: "square") }
/// Sign elementwise: −1, 0 or 1 (gradient 0).
public func sign<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.sign, name: "sign") }
/// Hyperbolic tangent elementwise; tanh' = 1 − tanh².
public func tanh<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.tanh, name: "tanh") }
/// `x` raised to a constant power elementwise.
public func pow<Scalar>(_ x: Tensor<Scalar>, _ exponent: Scalar) -> Tensor<Scalar> {
    x.unary(.power(Double(exponent)), name: "pow")
}

/// The logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), computed without overflow for any finite x.
///
/// Its derivative is σ'(x) = σ(x)(1 − σ(x)). (The lecture note EasyNets started from writes
/// (1 − σ)/σ; that is wrong.)
public func sigmoid<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.sigmoid, name: "sigmoid") }
/// max(x, 0) elementwise (gradient 0 at 0, as in PyTorch).
public func relu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.relu, name: "relu") }
/// log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|) so it stays finite for large |x|.
public func softplus<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.softplus, name: "softplus") }
/// log σ(x), computed as min(x, 0) − log1p(e^−|x|) so it stays finite for large |x|.
public func logSigmoid<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.logSigmoid, name: "logSigmoid") }
