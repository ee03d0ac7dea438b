// Sorting and selection along an axis: sort, argsort, top-k, and the maximum or minimum with its
// index. The values are gathered at the chosen indices, so gradients flow to the selected elements.

extension Tensor {
    /// The extents before, along and after `axis` (normalized): the op walks `outer · inner` lanes
    /// of `length` elements, `inner` apart.
    func lanes(along axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// The indices that sort each lane along `axis`, ascending or descending. Ties keep their order
    /// (a stable sort) and NaN counts as larger than any number, as `torch.sort(stable=True)`.
    public func argsort(along axis: Int = -1, descending: Bool = false) -> IndexTensor {
        require(rank >= 1, "Tensor.argsort: a 0-D tensor has no axis to sort along")
        let axis = normalizedAxis(axis, rank: rank, op: "Tensor.argsort")
        let (outer, length, inner) = lanes(along: axis)
        var result = [Int](repeating: 0, count: count)
        withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for j in 0..<inner {
                    let start = o * length * inner + j
                    // Ties are broken by position, so the order is stable whatever sort Swift runs.
                    let order = (0..<length).sorted { p, q in
                        let a = x[start + p * inner], b = x[start + q * inner]
                        if a.isNaN || b.isNaN {
                            if a.isNaN && b.isNaN { return p < q }
                            return descending ? a.isNaN : b.isNaN
                        }
                        if a == b { return p < q }
                        return descending ? a > b : a < b
                    }
                    for (k, index) in order.enumerated() { result[start + k * inner] = index }
                }
            }
        }
        return IndexTensor(result, shape: shape)
    }

    /// Each lane along `axis` sorted, with the index each value came from (`torch.sort` with
    /// `stable=True`: ties keep their order; NaN sorts as the largest value). The gradient of
    /// `values` flows back to the element each value came from.
    public func sorted(along axis: Int = -1, descending: Bool = false) -> (values: Tensor, indices: IndexTensor) {
        let indices = argsort(along: axis, descending: descending)
        return (gathered(along: axis, indices: indices), indices)
    }

    /// The `k` largest (or, with `largest: false`, smallest) elements of each lane along `axis`,
    /// sorted, and their indices (`torch.topk` with `sorted=True`; among equal values the lower
    /// index comes first). The gradient flows to the selected elements.
    public func topk(_ k: Int, along axis: Int = -1, largest: Bool = true) -> (values: Tensor, indices: IndexTensor) {
        require(rank >= 1, "Tensor.topk: a 0-D tensor has no axis to select along")
        let axis = normalizedAxis(axis, rank: rank, op: "Tensor.topk")
        require(k >= 0 && k <= shape[axis], "Tensor.topk: k = \(k) is out of range 0...\(shape[axis]) for axis \(axis) of shape \(shape)")
        let order = argsort(along: axis, descending: largest)
        let (outer, length, inner) = lanes(along: axis)
        var kept = [Int]()
        kept.reserveCapacity(outer * k * inner)
        for o in 0..<outer { kept += order.values[(o * length * inner)..<((o * length + k) * inner)] }
        var outShape = shape
        outShape[axis] = k
        let indices = IndexTensor(kept, shape: outShape)
        return (gathered(along: axis, indices: indices), indices)
    }

    /// The maximum along `axis` and its index, as `torch.max(x, dim)`: the first index wins a tie,
    /// and the gradient flows to that element only (unlike ``max(along:keepingDims:)``, which
    /// shares it among ties).
    public func maxWithIndices(along axis: Int, keepingDims: Bool = false) -> (values: Tensor, indices: IndexTensor) {
        selectedExtremum(maximum: true, axis: axis, keepingDims: keepingDims)
    }

    /// The minimum along `axis` and its index, as `torch.min(x, dim)` (see ``maxWithIndices(along:keepingDims:)``).
    public func minWithIndices(along axis: Int, keepingDims: Bool = false) -> (values: Tensor, indices: IndexTensor) {
        selectedExtremum(maximum: false, axis: axis, keepingDims: keepingDims)
    }

    /// The index of the largest element along `axis` as an ``IndexTensor`` of this shape without
    /// `axis` (or with extent 1 there when `keepingDims`): `torch.argmax(x, dim, keepdim)`. The
    /// first index wins a tie; NaN wins over any number.
    public func argmax(along axis: Int, keepingDims: Bool) -> IndexTensor {
        indexTensor(argmax(along: axis), axis: axis, keepingDims: keepingDims, op: "Tensor.argmax")
    }

    /// The index of the smallest element along `axis` (see ``argmax(along:keepingDims:)``).
    public func argmin(along axis: Int, keepingDims: Bool) -> IndexTensor {
        indexTensor(argmin(along: axis), axis: axis, keepingDims: keepingDims, op: "Tensor.argmin")
    }

    private func indexTensor(_ values: [Int], axis: Int, keepingDims: Bool, op: String) -> IndexTensor {
        let axis = normalizedAxis(axis, rank: rank, op: op)
        var outShape = shape
        if keepingDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        return IndexTensor(values, shape: outShape)
    }

    private func selectedExtremum(maximum: Bool, axis: Int, keepingDims: Bool) -> (values: Tensor, indices: IndexTensor) {
        let op = maximum ? "Tensor.maxWithIndices" : "Tensor.minWithIndices"
        require(rank >= 1, "\(op): a 0-D tensor has no axis to reduce")
        let axis = normalizedAxis(axis, rank: rank, op: op)
        require(shape[axis] > 0, "\(op): axis \(axis) of shape \(shape) is empty")
        let kept = indexTensor(maximum ? argmax(along: axis) : argmin(along: axis), axis: axis, keepingDims: true, op: op)
        let values = gathered(along: axis, indices: kept)
        if keepingDims { return (values, kept) }
        var outShape = shape
        outShape.remove(at: axis)
        return (values.reshaped(to: outShape), kept.reshaped(to: outShape))
    }
}
