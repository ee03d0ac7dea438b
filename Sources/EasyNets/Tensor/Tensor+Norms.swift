// Products, norms and standard deviations along axes, and the distances and similarities built on
// them. Axes may be negative; `keepingDims` keeps reduced axes with extent 1.

extension Tensor {
    /// The product along `axis` (`torch.prod(x, dim)`). The gradient of each element is the
    /// product of the other elements of its lane, formed from prefix and suffix products without
    /// dividing, so it is right where inputs are zero.
    public func prod(along axis: Int, keepingDims: Bool = false) -> Tensor {
        require(rank >= 1, "Tensor.prod: a 0-D tensor has no axis to reduce")
        let axis = normalizedAxis(axis, rank: rank, op: "Tensor.prod")
        var kept = shape
        kept[axis] = 1
        let result = Tensor(uninitializedShape: kept)
        let (x, y) = (storage.base, result.storage.base)
        let inner = lanes(along: axis).inner
        forEachLane(along: axis) { start, stride, length in
            var product: Scalar = 1
            for k in 0..<length { product *= x[start + k * stride] }
            y[(start / Swift.max(length * inner, 1)) * inner + start % inner] = product
        }
        var recorded = result
        if Tensor.needsRecording(self) {
            let saved = detached
            recorded = result.recorded("prod", inputs: [node]) { [node, shape] dY in
                let dX = Tensor(uninitializedShape: shape)
                let (x, g, d) = (saved.storage.base, dY.storage.base, dX.storage.base)
                dX.forEachLane(along: axis) { start, stride, length in
                    let upstream = g[(start / Swift.max(length * inner, 1)) * inner + start % inner]
                    var before: Scalar = 1  // Π_{j < k} x[j], stored, then times Π_{j > k} x[j]
                    for k in 0..<length {
                        d[start + k * stride] = before
                        before *= x[start + k * stride]
                    }
                    var after: Scalar = 1
                    for k in (0..<length).reversed() {
                        d[start + k * stride] *= after * upstream
                        after *= x[start + k * stride]
                    }
                }
                node?.accumulate(dX)
            }
        }
        if keepingDims { return recorded }
        var outShape = shape
        outShape.remove(at: axis)
        return recorded.reshaped(to: outShape)
    }

    /// The product of all elements, a 0-D tensor (`torch.prod(x)`); see ``prod(along:keepingDims:)``.
    public func prod() -> Tensor {
        rank == 0 ? unchangedResult : flattened().prod(along: 0)
    }

    /// The vector p-norm over `axes` (all axes when none are given), `(Σ |x|ᵖ)^(1/p)`, as
    /// `torch.linalg.vector_norm`: `p = 1` sums magnitudes, `p = 2` (the default; over the two
    /// axes of a matrix, its Frobenius norm) is the Euclidean norm, `p = .infinity` is the largest
    /// magnitude, and any other positive `p` is taken as written. As in PyTorch, the 2-norm's
    /// gradient is x/‖x‖ and 0 where the norm is 0, and the ∞-norm's is shared among tied maxima.
    public func norm(p: Scalar = 2, alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Tensor {
        require(p > 0, "Tensor.norm: p must be positive, got \(p)")
        let normalized = reductionAxes(axes, op: "Tensor.norm")
        if p == 1 { return abs(self).sum(alongAxes: normalized, keepingDims: keepingDims) }
        if p == .infinity { return abs(self).max(alongAxes: normalized, keepingDims: keepingDims) }
        if p != 2 {
            return pow(pow(abs(self), p).sum(alongAxes: normalized, keepingDims: keepingDims), 1 / p)
        }
        let value = withoutGradients { sqrt(square(self).sum(alongAxes: normalized, keepingDims: true)) }
        let recorded = value.recorded("norm", inputs: [node]) { [node, saved = detached] dY in
            // x/‖x‖, with 0 where ‖x‖ = 0.
            let safe = Tensor.select(where: value .== 0, Tensor(1), else: value)
            node?.accumulate(Tensor.select(where: value .== 0, Tensor(0), else: dY / safe).broadcasted(to: saved.shape) * saved)
        }
        if keepingDims { return recorded }
        return recorded.reshaped(to: shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element))
    }

    /// The vector p-norm along one axis (see ``norm(p:alongAxes:keepingDims:)``).
    public func norm(p: Scalar = 2, along axis: Int, keepingDims: Bool = false) -> Tensor {
        norm(p: p, alongAxes: [axis], keepingDims: keepingDims)
    }

    /// The Frobenius norm of the matrices over the last two axes, √Σ x² (`torch.linalg.matrix_norm`
    /// with `ord='fro'`).
    public func frobeniusNorm(keepingDims: Bool = false) -> Tensor {
        require(rank >= 2, "Tensor.frobeniusNorm: needs at least two axes, shape is \(shape)")
        return norm(p: 2, alongAxes: [rank - 2, rank - 1], keepingDims: keepingDims)
    }

    /// The standard deviation over `axes`, √(Σ(x − mean)² / (n − correction)) (`torch.std` with
    /// `correction`; the default 1 is Bessel's correction). See ``variance(alongAxes:correction:keepingDims:)``.
    public func standardDeviation(alongAxes axes: [Int] = [], correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        sqrt(variance(alongAxes: axes, correction: correction, keepingDims: keepingDims))
    }

    /// The standard deviation along one axis.
    public func standardDeviation(along axis: Int, correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        standardDeviation(alongAxes: [axis], correction: correction, keepingDims: keepingDims)
    }
}

/// The cosine of the angle between `a` and `b` along `axis`, the two broadcast together
/// (`torch.nn.functional.cosine_similarity`): Σ (a/‖a‖)(b/‖b‖), each norm at least `eps` in value.
public func cosineSimilarity<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, along axis: Int = 1,
                                     eps: Scalar = 1e-8) -> Tensor<Scalar> {
    let shape = broadcastShape(a.shape, b.shape, op: "cosineSimilarity")
    let (a, b) = (a.broadcasted(to: shape), b.broadcasted(to: shape))
    let axis = normalizedAxis(axis, rank: shape.count, op: "cosineSimilarity")
    // As PyTorch: the norms are raised to eps in value only; their gradient is the norm's.
    func clampedNorm(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let n = x.norm(p: 2, along: axis, keepingDims: true)
        return n + (maximum(n.detached, Tensor(eps)) - n.detached)
    }
    return ((a / clampedNorm(a)) * (b / clampedNorm(b))).sum(along: axis)
}

/// The p-norm distance between the rows of `a` and `b` along the last axis, the two broadcast
/// together: ‖a − b + eps‖ₚ (`torch.nn.functional.pairwise_distance`).
public func pairwiseDistance<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, p: Scalar = 2,
                                     eps: Scalar = 1e-6) -> Tensor<Scalar> {
    require(Swift.max(a.rank, b.rank) >= 1, "pairwiseDistance: needs vectors, got shapes \(a.shape) and \(b.shape)")
    return (a - b + eps).norm(p: p, along: -1)
}

/// The p-norm distance between every row of `a` (…, P, M) and every row of `b` (…, R, M), a
/// (…, P, R) tensor (`torch.cdist`); the batch axes broadcast.
public func cdist<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, p: Scalar = 2) -> Tensor<Scalar> {
    require(a.rank >= 2 && b.rank >= 2 && a.shape[a.rank - 1] == b.shape[b.rank - 1],
            "cdist: needs (…, P, M) and (…, R, M) with one M, got shapes \(a.shape) and \(b.shape)")
    return (a.unsqueezed(axis: a.rank - 1) - b.unsqueezed(axis: b.rank - 2)).norm(p: p, along: -1)
}
