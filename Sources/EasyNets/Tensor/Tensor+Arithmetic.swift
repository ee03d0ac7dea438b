// Elementwise binary arithmetic with broadcasting, its gradients, and comparisons.

extension Tensor {
    /// Forward of a broadcasting binary op (records nothing).
    static func binaryForward(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, name: String) -> Tensor {
        let shape = broadcastShape(a.shape, b.shape, op: name)
        let result = Tensor(uninitializedShape: shape)
        Kernels.binary(op, a.storage.base, stridesA: broadcastStrides(a.shape, to: shape),
                       b.storage.base, stridesB: broadcastStrides(b.shape, to: shape),
                       result.storage.base, shape: shape)
        return result
    }

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let result = binaryForward(.add, a, b, name: "add")
        return result.recorded("add", inputs: [a.node, b.node]) { [an = a.node, bn = b.node, sa = a.shape, sb = b.shape] dY in
            an?.accumulate(dY.summed(toShape: sa))
            bn?.accumulate(dY.summed(toShape: sb))
        }
    }

    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let result = binaryForward(.subtract, a, b, name: "subtract")
        return result.recorded("subtract", inputs: [a.node, b.node]) { [an = a.node, bn = b.node, sa = a.shape, sb = b.shape] dY in
            an?.accumulate(dY.summed(toShape: sa))
            bn?.accumulate((-dY).summed(toShape: sb))
        }
    }

    /// Elementwise (Hadamard) product with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let result = binaryForward(.multiply, a, b, name: "multiply")
        let needed = needsRecording(a, b)
        let savedA = needed ? a.detached : a, savedB = needed ? b.detached : b
        return result.recorded("multiply", inputs: [a.node, b.node]) { [an = a.node, bn = b.node] dY in
            an?.accumulate((dY * savedB).summed(toShape: savedA.shape))
            bn?.accumulate((dY * savedA).summed(toShape: savedB.shape))
        }
    }

    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let result = binaryForward(.divide, a, b, name: "divide")
        let needed = needsRecording(a, b)
        let savedA = needed ? a.detached : a, savedB = needed ? b.detached : b
        return result.recorded("divide", inputs: [a.node, b.node]) { [an = a.node, bn = b.node] dY in
            an?.accumulate((dY / savedB).summed(toShape: savedA.shape))
            // ∂(a/b)/∂b = −a/b²
            bn?.accumulate((-(dY * savedA) / (savedB * savedB)).summed(toShape: savedB.shape))
        }
    }

    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { x.unary(.negate, name: "negate") }

    /// `a + b` for every element.
    public static func + (a: Tensor, b: Scalar) -> Tensor { a.unary(.affine(scale: 1, shift: Double(b)), name: "add") }
    /// `a + b` for every element.
    public static func + (a: Scalar, b: Tensor) -> Tensor { b + a }
    /// `a − b` for every element.
    public static func - (a: Tensor, b: Scalar) -> Tensor { a.unary(.affine(scale: 1, shift: -Double(b)), name: "subtract") }
    /// `a − b` for every element.
    public static func - (a: Scalar, b: Tensor) -> Tensor { b.unary(.affine(scale: -1, shift: Double(a)), name: "subtract") }
    /// `a · b` for every element.
    public static func * (a: Tensor, b: Scalar) -> Tensor { a.unary(.affine(scale: Double(b), shift: 0), name: "multiply") }
    /// `a · b` for every element.
    public static func * (a: Scalar, b: Tensor) -> Tensor { b * a }
    /// `a / b` for every element.
    public static func / (a: Tensor, b: Scalar) -> Tensor { a * (1 / b) }
    /// `a / b` for every element.
    public static func / (a: Scalar, b: Tensor) -> Tensor { Tensor(a) / b }

    /// `a = a + b` (a new value, recorded like `+`).
    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    /// `a = a − b`.
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    /// `a = a · b`.
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    /// `a = a / b`.
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
    /// `a = a + b`.
    public static func += (a: inout Tensor, b: Scalar) { a = a + b }
    /// `a = a − b`.
    public static func -= (a: inout Tensor, b: Scalar) { a = a - b }
    /// `a = a · b`.
    public static func *= (a: inout Tensor, b: Scalar) { a = a * b }
    /// `a = a / b`.
    public static func /= (a: inout Tensor, b: Scalar) { a = a / b }
}

/// `base` raised to `exponent` elementwise, with broadcasting. Differentiable in both.
public func pow<Scalar>(_ base: Tensor<Scalar>, _ exponent: Tensor<Scalar>) -> Tensor<Scalar> {
    let result = Tensor.binaryForward(.power, base, exponent, name: "pow")
    let needed = Tensor.needsRecording(base, exponent)
    let a = needed ? base.detached : base, b = needed ? exponent.detached : exponent
    let y = needed ? result.detached : result
    return result.recorded("pow", inputs: [base.node, exponent.node]) { [an = base.node, bn = exponent.node] dY in
        // ∂aᵇ/∂a = b·aᵇ⁻¹, ∂aᵇ/∂b = aᵇ·ln a
        an?.accumulate((dY * b * pow(a, b - 1)).summed(toShape: a.shape))
        // As in PyTorch, the exponent's gradient is 0 where the base is 0 and the exponent ≥ 0.
        let zeroBase = (a .== 0) * (b .>= 0)
        let logA = Tensor.select(where: zeroBase.broadcasted(to: y.shape), Tensor.zeros(y.shape),
                                 else: log(a).broadcasted(to: y.shape))
        bn?.accumulate((dY * y * logA).summed(toShape: b.shape))
    }
}

/// Elementwise maximum with broadcasting; on ties the gradient is split equally, as in PyTorch.
public func maximum<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
    extremum(.maximum, a, b, name: "maximum")
}

/// Elementwise minimum with broadcasting; on ties the gradient is split equally, as in PyTorch.
public func minimum<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
    extremum(.minimum, a, b, name: "minimum")
}

private func extremum<Scalar>(_ op: BinaryOp, _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, name: String) -> Tensor<Scalar> {
    let result = Tensor.binaryForward(op, a, b, name: name)
    let needed = Tensor.needsRecording(a, b)
    let sa = needed ? a.detached : a, sb = needed ? b.detached : b
    return result.recorded(name, inputs: [a.node, b.node]) { [an = a.node, bn = b.node] dY in
        let wins = op == .maximum ? (sa .> sb) : (sa .< sb)
        let share = wins + (sa .== sb) * 0.5
        an?.accumulate((dY * share).summed(toShape: sa.shape))
        bn?.accumulate((dY * (1 - share)).summed(toShape: sb.shape))
    }
}

// MARK: - Comparisons and masks (not differentiable; 1 where true, 0 where false)

extension Tensor {
    /// 1 where `a < b`, else 0 (with broadcasting).
    public static func .< (a: Tensor, b: Tensor) -> Tensor { binaryForward(.less, a, b, name: ".<") }
    /// 1 where `a ≤ b`, else 0 (with broadcasting).
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { binaryForward(.lessEqual, a, b, name: ".<=") }
    /// 1 where `a > b`, else 0 (with broadcasting).
    public static func .> (a: Tensor, b: Tensor) -> Tensor { binaryForward(.greater, a, b, name: ".>") }
    /// 1 where `a ≥ b`, else 0 (with broadcasting).
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { binaryForward(.greaterEqual, a, b, name: ".>=") }
    /// 1 where `a == b`, else 0 (with broadcasting).
    public static func .== (a: Tensor, b: Tensor) -> Tensor { binaryForward(.equal, a, b, name: ".==") }
    /// 1 where `a != b`, else 0 (with broadcasting).
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { binaryForward(.notEqual, a, b, name: ".!=") }
    /// 1 where an element is below `b`, else 0.
    public static func .< (a: Tensor, b: Scalar) -> Tensor { a .< Tensor(b) }
    /// 1 where an element is at most `b`, else 0.
    public static func .<= (a: Tensor, b: Scalar) -> Tensor { a .<= Tensor(b) }
    /// 1 where an element is above `b`, else 0.
    public static func .> (a: Tensor, b: Scalar) -> Tensor { a .> Tensor(b) }
    /// 1 where an element is at least `b`, else 0.
    public static func .>= (a: Tensor, b: Scalar) -> Tensor { a .>= Tensor(b) }
    /// 1 where an element equals `b`, else 0.
    public static func .== (a: Tensor, b: Scalar) -> Tensor { a .== Tensor(b) }
    /// 1 where an element differs from `b`, else 0.
    public static func .!= (a: Tensor, b: Scalar) -> Tensor { a .!= Tensor(b) }

    /// Elementwise `mask != 0 ? a : b`, the three shapes broadcast together (PyTorch's
    /// `torch.where(mask, a, b)`). Differentiable in `a` and `b`; each gets the gradient where it
    /// was chosen, summed over the axes it was broadcast along.
    public static func select(where mask: Tensor, _ a: Tensor, else b: Tensor) -> Tensor {
        let shape = broadcastShape(broadcastShape(mask.shape, a.shape, op: "Tensor.select"), b.shape, op: "Tensor.select")
        let (mask, a, b) = (mask.detached.broadcasted(to: shape), a.broadcasted(to: shape), b.broadcasted(to: shape))
        let result = Tensor(uninitializedShape: a.shape)
        Kernels.select(mask.storage.base, a.storage.base, b.storage.base, result.storage.base, a.count)
        guard needsRecording(a, b) else { return result }
        return result.recorded("select", inputs: [a.node, b.node]) { [an = a.node, bn = b.node] dY in
            // The gradient where each side was chosen and exact zeros elsewhere (also where dY is ±∞ or NaN).
            let zeros = Tensor.zeros(shape)
            for (node, chosen, other) in [(an, dY, zeros), (bn, zeros, dY)] {
                guard let node else { continue }
                let gradient = Tensor(uninitializedShape: shape)
                Kernels.select(mask.storage.base, chosen.storage.base, other.storage.base, gradient.storage.base, gradient.count)
                node.accumulate(gradient)
            }
        }
    }

    /// This tensor with `value` wherever `mask` (broadcast to this shape) is nonzero: PyTorch's
    /// `masked_fill`. The gradient passes where the mask is 0.
    public func maskedFilled(where mask: Tensor, with value: Scalar) -> Tensor {
        require(broadcastShape(mask.shape, shape, op: "Tensor.maskedFilled") == shape,
                "Tensor.maskedFilled: mask shape \(mask.shape) does not broadcast to \(shape)")
        return Tensor.select(where: mask, Tensor(value), else: self)
    }
}
