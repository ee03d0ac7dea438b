// Reductions along axes. Axes may be negative; `keepingDims` keeps reduced axes with extent 1.

extension Tensor {
    /// Normalized, sorted, distinct axes; all axes when `axes` is empty.
    func reductionAxes(_ axes: [Int], op: String) -> [Int] {
        if axes.isEmpty { return Array(0..<rank) }
        let normalized = Set(axes.map { normalizedAxis($0, rank: rank, op: op) })
        require(normalized.count == axes.count, "\(op): repeated axis in \(axes)")
        return normalized.sorted()
    }

    /// Shape after reducing `axes` (kept as 1s).
    func keptShape(_ axes: [Int]) -> [Int] {
        var kept = shape
        for axis in axes { kept[axis] = 1 }
        return kept
    }

    /// Forward of a reduction over `axes` (normalized); result keeps the reduced axes as 1s.
    func reduceForward(_ op: ReductionOp, axes: [Int]) -> Tensor {
        var current = self
        for axis in axes.reversed() where rank > 0 {
            let s = current.shape
            let outer = s[..<axis].reduce(1, *), inner = s[(axis + 1)...].reduce(1, *)
            var outShape = s
            outShape[axis] = 1
            require(op == .sum || s[axis] > 0,
                         "Tensor.\(op): cannot reduce axis \(axis) of extent 0 in shape \(shape)")
            let result = Tensor(uninitializedShape: outShape)
            Kernels.reduce(op, current.storage.base, outer: outer, length: s[axis], inner: inner,
                           result.storage.base)
            current = result
        }
        return current.detached
    }

    private func finish(_ kept: Tensor, axes: [Int], keepingDims: Bool) -> Tensor {
        if keepingDims { return kept }
        let squeezedShape = shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        return kept.reshaped(to: squeezedShape)
    }

    /// The sum over `axes` (all axes when none are given).
    public func sum(alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes, op: "Tensor.sum")
        let kept = reduceForward(.sum, axes: axes).recorded("sum", inputs: [node]) { [node, shape] dY in
            node?.accumulate(dY.broadcasted(to: shape))
        }
        return finish(kept, axes: axes, keepingDims: keepingDims)
    }

    /// The sum along one axis.
    public func sum(along axis: Int, keepingDims: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDims: keepingDims)
    }

    /// The arithmetic mean over `axes` (all axes when none are given).
    public func mean(alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Tensor {
        let normalized = reductionAxes(axes, op: "Tensor.mean")
        let n = normalized.reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDims: keepingDims) / Scalar(n)
    }

    /// The mean along one axis.
    public func mean(along axis: Int, keepingDims: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDims: keepingDims)
    }

    /// The variance over `axes`: Σ(x − mean)² / (n − correction). `correction: 1` (the default,
    /// as in PyTorch) is the unbiased estimate; `0` is the population variance.
    public func variance(alongAxes axes: [Int] = [], correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        let normalized = reductionAxes(axes, op: "Tensor.variance")
        let n = normalized.reduce(1) { $0 * shape[$1] }
        let deviation = self - mean(alongAxes: normalized, keepingDims: true)
        return square(deviation).sum(alongAxes: normalized, keepingDims: keepingDims)
            / Scalar(Swift.max(n - correction, 0))
    }

    /// The variance along one axis.
    public func variance(along axis: Int, correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        variance(alongAxes: [axis], correction: correction, keepingDims: keepingDims)
    }

    /// The maximum over `axes`; the gradient is shared equally among tied maxima (as `torch.amax`).
    public func max(alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Tensor {
        extremum(.max, axes: axes, keepingDims: keepingDims)
    }

    /// The maximum along one axis.
    public func max(along axis: Int, keepingDims: Bool = false) -> Tensor {
        max(alongAxes: [axis], keepingDims: keepingDims)
    }

    /// The minimum over `axes`; the gradient is shared equally among tied minima (as `torch.amin`).
    public func min(alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Tensor {
        extremum(.min, axes: axes, keepingDims: keepingDims)
    }

    /// The minimum along one axis.
    public func min(along axis: Int, keepingDims: Bool = false) -> Tensor {
        min(alongAxes: [axis], keepingDims: keepingDims)
    }

    private func extremum(_ op: ReductionOp, axes: [Int], keepingDims: Bool) -> Tensor {
        let axes = reductionAxes(axes, op: "Tensor.\(op)")
        let kept = reduceForward(op, axes: axes)
        let x = detached
        let recorded = kept.recorded("\(op)", inputs: [node]) { [node, shape] dY in
            let winners = x .== kept.broadcasted(to: shape)
            let ties = winners.sum(alongAxes: axes, keepingDims: true)
            node?.accumulate(winners * (dY / ties).broadcasted(to: shape))
        }
        return finish(recorded, axes: axes, keepingDims: keepingDims)
    }

    /// log Σ exp(x) over `axes`, computed as m + log Σ exp(x − m) with m the maximum, so it is
    /// finite for any finite input. Its gradient is the softmax.
    public func logSumExp(alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes, op: "Tensor.logSumExp")
        // The shift is a constant for differentiation (it cancels); non-finite maxima become 0.
        let shift = reduceForward(.max, axes: axes).replacingNonFinite(with: 0)
        let result = log(exp(self - shift).sum(alongAxes: axes, keepingDims: true)) + shift
        return finish(result, axes: axes, keepingDims: keepingDims)
    }

    /// log Σ exp(x) along one axis.
    public func logSumExp(along axis: Int, keepingDims: Bool = false) -> Tensor {
        logSumExp(alongAxes: [axis], keepingDims: keepingDims)
    }

    /// The index of the largest element along `axis`, for each position of the other axes (the
    /// result has this tensor's shape without `axis`, row-major). The first index wins a tie; the
    /// first NaN wins over any number, as in PyTorch.
    public func argmax(along axis: Int) -> [Int] { argExtreme(maximum: true, axis: axis) }

    /// The index of the smallest element along `axis` (see ``argmax(along:)``).
    public func argmin(along axis: Int) -> [Int] { argExtreme(maximum: false, axis: axis) }

    private func argExtreme(maximum: Bool, axis: Int) -> [Int] {
        let axis = normalizedAxis(axis, rank: rank, op: maximum ? "Tensor.argmax" : "Tensor.argmin")
        require(shape[axis] > 0, "Tensor.argmax: axis \(axis) of shape \(shape) is empty")
        return withUnsafeBufferPointer {
            Kernels.argExtreme(maximum: maximum, $0.baseAddress!, outer: shape[..<axis].reduce(1, *),
                               length: shape[axis], inner: shape[(axis + 1)...].reduce(1, *))
        }
    }

    /// A copy with NaN and ±∞ replaced by `value` (not differentiable).
    func replacingNonFinite(with value: Scalar) -> Tensor {
        detached.unary(.finiteOr(Double(value)), name: "finiteOr")
    }
}
