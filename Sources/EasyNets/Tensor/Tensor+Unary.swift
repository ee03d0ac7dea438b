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

/// Sine elementwise; sin' = cos.
public func sin<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.sin, name: "sin") }
/// Cosine elementwise; cos' = −sin.
public func cos<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.cos, name: "cos") }
/// Tangent elementwise; tan' = 1 + tan².
public func tan<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.tan, name: "tan") }
/// Arcsine elementwise, for x in [−1, 1]; asin' = 1/√(1 − x²).
public func asin<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.asin, name: "asin") }
/// Arccosine elementwise, for x in [−1, 1]; acos' = −1/√(1 − x²).
public func acos<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.acos, name: "acos") }
/// Arctangent elementwise; atan' = 1/(1 + x²).
public func atan<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.atan, name: "atan") }
/// Hyperbolic sine elementwise; sinh' = cosh.
public func sinh<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.sinh, name: "sinh") }
/// Hyperbolic cosine elementwise; cosh' = sinh.
public func cosh<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.cosh, name: "cosh") }
/// The error function elementwise; erf' = 2/√π · e^(−x²).
public func erf<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.erf, name: "erf") }
/// The inverse error function elementwise, for x in [−1, 1] (±∞ at ±1); erfinv' = √π/2 · e^(erfinv(x)²).
public func erfinv<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.erfinv, name: "erfinv") }
/// log(1 + x) elementwise, accurate for small x.
public func log1p<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.log1p, name: "log1p") }
/// eˣ − 1 elementwise, accurate for small x.
public func expm1<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.expm1, name: "expm1") }
/// The largest whole number not above each element (gradient 0, as in PyTorch).
public func floor<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.floor, name: "floor") }
/// The smallest whole number not below each element (gradient 0, as in PyTorch).
public func ceil<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.ceil, name: "ceil") }
/// Each element rounded to the nearest whole number, halves to even as `torch.round` (gradient 0).
public func round<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.unary(.round, name: "round") }

/// The angle of the point (x, y) elementwise, `atan2(y, x)` in (−π, π], with broadcasting
/// (`torch.atan2(y, x)`). ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²).
public func atan2<Scalar>(_ y: Tensor<Scalar>, _ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let shape = broadcastShape(y.shape, x.shape, op: "atan2")
    let (yb, xb) = (y.detached.broadcasted(to: shape), x.detached.broadcasted(to: shape))
    let result = Tensor<Scalar>(uninitializedShape: shape)
    let (py, px, out) = (yb.storage.base, xb.storage.base, result.storage.base)
    for i in 0..<result.count { out[i] = Scalar.atan2(y: py[i], x: px[i]) }
    return result.recorded("atan2", inputs: [y.node, x.node]) { [yn = y.node, xn = x.node, sy = y.shape, sx = x.shape] dY in
        let scale = dY / (xb * xb + yb * yb)
        yn?.accumulate((scale * xb).summed(toShape: sy))
        xn?.accumulate((-(scale * yb)).summed(toShape: sx))
    }
}

extension Tensor {
    /// Each element limited to `lower...upper` elementwise, the three shapes broadcast together
    /// (`torch.clamp(x, min, max)` with tensor bounds): `min(max(x, lower), upper)`. As in PyTorch,
    /// the gradient passes to `x` where `lower ≤ x ≤ upper`, to `lower` where `x < lower < upper`,
    /// and to `upper` where `x > upper` or `upper < lower`.
    public func clamped(min lower: Tensor, max upper: Tensor) -> Tensor {
        let shape = broadcastShape(broadcastShape(self.shape, lower.shape, op: "Tensor.clamped"), upper.shape, op: "Tensor.clamped")
        let (x, lo, hi) = (detached.broadcasted(to: shape), lower.detached.broadcasted(to: shape), upper.detached.broadcasted(to: shape))
        let result = minimum(maximum(x, lo), hi)
        return result.recorded("clamp", inputs: [node, lower.node, upper.node]) {
            [xn = node, ln = lower.node, un = upper.node, sx = self.shape, sl = lower.shape, su = upper.shape] dY in
            xn?.accumulate((dY * (x .>= lo) * (x .<= hi)).summed(toShape: sx))
            ln?.accumulate((dY * (x .< lo) * (lo .< hi)).summed(toShape: sl))
            un?.accumulate((dY * minimum((x .> hi) + (hi .< lo), Tensor(1))).summed(toShape: su))
        }
    }
}
