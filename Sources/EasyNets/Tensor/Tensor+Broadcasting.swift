// NumPy broadcasting: shapes are aligned at their last axis; an axis of extent 1 (or a missing
// leading axis) stretches to match the other operand.

/// The broadcast result of two shapes, or a stop naming the op and both shapes.
func broadcastShape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        require(da == db || da == 1 || db == 1,
                     "\(op): shapes \(a) and \(b) cannot be broadcast together")
        result[i] = da == 1 ? db : da
    }
    return result
}

/// Strides that read a contiguous tensor of `shape` as if it had `target` shape (0 on stretched axes).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let offset = target.count - shape.count
    return target.indices.map { i in
        i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
    }
}

extension Tensor {
    /// This tensor stretched to `shape` by broadcasting (a copy). Differentiable.
    public func broadcasted(to target: [Int]) -> Tensor {
        if target == shape { return unchangedResult }
        require(broadcastShape(shape, target, op: "Tensor.broadcasted(to:)") == target,
                     "Tensor.broadcasted(to:): shape \(shape) cannot be broadcast to \(target)")
        let result = Tensor(uninitializedShape: target)
        Kernels.stridedCopy(storage.base, strides: broadcastStrides(shape, to: target),
                            result.storage.base, shape: target)
        let sourceShape = shape
        return result.recorded("broadcast", inputs: [node]) { [node] dY in
            node?.accumulate(dY.summed(toShape: sourceShape))
        }
    }

    /// Sums over the axes that broadcasting stretched, giving a tensor of `target` shape.
    ///
    /// This is how a broadcasting op reduces its gradient back to each input's shape.
    public func summed(toShape target: [Int]) -> Tensor {
        if target == shape { return unchangedResult }
        let offset = rank - target.count
        require(offset >= 0, "Tensor.summed(toShape:): shape \(shape) has fewer axes than \(target)")
        var axes = Array(0..<offset)
        for (i, extent) in target.enumerated() where extent == 1 && shape[offset + i] != 1 {
            axes.append(offset + i)
        }
        let reduced = axes.isEmpty ? self : sum(alongAxes: axes, keepingDims: true)
        return reduced.reshaped(to: target)
    }
}
