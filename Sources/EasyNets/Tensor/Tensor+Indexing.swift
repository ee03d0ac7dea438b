// Index and mask ops, PyTorch's `scatter`, `scatter_add`, `index_add`, `index_select`, `x[mask]`,
// `x[mask] = v` and `nonzero`, all out of place. Masks are tensors of 0s and 1s, as the comparison
// operators return: an element counts as selected where the mask is nonzero. The writing ops share
// one scatter by offsets, whose backward sends each written element's gradient back to its source.

extension Tensor {
    /// A copy of this tensor with `values[sources[k]]` written to (or, with `adding`, added to)
    /// element `targets[k]`, in order. Backward: this tensor's gradient is `dY`, zero where an element
    /// was overwritten; `values` gets `dY[targets[k]]` at `sources[k]`.
    func scattering(targets: [Int], sources: [Int], values: Tensor, adding: Bool, op: String) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        copyScalars(to: result.storage.base, from: storage.base, count: count)
        let (source, target) = (values.storage.base, result.storage.base)
        for (t, s) in zip(targets, sources) {
            if adding { target[t] += source[s] } else { target[t] = source[s] }
        }
        guard Tensor.needsRecording(self, values) else { return result }
        let overwritten = adding ? [] : Array(Set(targets))  // once each, however often written
        return result.recorded(op, inputs: [node, values.node]) { [node, count, valuesNode = values.node, valuesCount = values.count] dY in
            let incoming = dY.storage.base
            node?.withGradientBuffer { gradient, accumulate in
                if accumulate {
                    VectorRoutines.add(incoming, into: gradient, count: count)
                    for t in overwritten { gradient[t] -= incoming[t] }
                } else {
                    copyScalars(to: gradient, from: incoming, count: count)
                    for t in overwritten { gradient[t] = 0 }
                }
            }
            valuesNode?.withGradientBuffer { gradient, accumulate in
                if !accumulate { zeroFill(gradient, count: valuesCount) }
                for (t, s) in zip(targets, sources) { gradient[s] += incoming[t] }
            }
        }
    }

    /// For each position of `indices` (this tensor's rank, each extent at most `values`' and, off
    /// `axis`, at most this tensor's), the offset it writes in this tensor and the one it reads in `values`.
    private func scatterOffsets(along axis: Int, indices: IndexTensor, values: Tensor, op: String)
        -> (axis: Int, targets: [Int], sources: [Int]) {
        require(rank >= 1, "\(op): a 0-D tensor has no axis to scatter along")
        let axis = normalizedAxis(axis, rank: rank, op: op)
        require(values.rank == rank, "\(op): values of shape \(values.shape) need the rank of shape \(shape)")
        require(indices.rank == rank && (0..<rank).allSatisfy { indices.shape[$0] <= values.shape[$0] && ($0 == axis || indices.shape[$0] <= shape[$0]) },
                "\(op): indices of shape \(indices.shape) do not fit shape \(shape) and values of shape \(values.shape) along axis \(axis)")
        for index in indices.values where index < 0 || index >= shape[axis] {
            programmerError("\(op): index \(index) is out of range 0..<\(shape[axis]) for axis \(axis) of shape \(shape)")
        }
        var targets = sourceOffsets(outShape: indices.shape) { $0[axis] = 0 }
        let stride = contiguousStrides(shape)[axis]
        for k in targets.indices { targets[k] += indices.values[k] * stride }
        return (axis, targets, values.sourceOffsets(outShape: indices.shape) { _ in })
    }

    /// This tensor with `values` written at `indices` along `axis`, PyTorch's out-of-place
    /// `torch.scatter(self, axis, indices, values)`: `out[i₀, …, indices[i₀, …, i_axis, …], …] = values[i₀, …, i_axis, …]`
    /// for every position of `indices`. `indices` has this tensor's rank and extents at most `values'`
    /// (and, off `axis`, at most this tensor's). Where indices repeat, the last write wins (PyTorch
    /// leaves that unspecified). Differentiable in both: overwritten elements get no gradient,
    /// `values` gets the gradient of where each was written.
    public func scattering(along axis: Int, indices: IndexTensor, values: Tensor) -> Tensor {
        let (_, targets, sources) = scatterOffsets(along: axis, indices: indices, values: values, op: "Tensor.scattering")
        return scattering(targets: targets, sources: sources, values: values, adding: false, op: "scatter")
    }

    /// This tensor with `values` added at `indices` along `axis`, PyTorch's `torch.scatter_add`:
    /// like ``scattering(along:indices:values:)`` but repeated indices add up. Differentiable in both.
    public func scatterAdding(along axis: Int, indices: IndexTensor, values: Tensor) -> Tensor {
        let (_, targets, sources) = scatterOffsets(along: axis, indices: indices, values: values, op: "Tensor.scatterAdding")
        return scattering(targets: targets, sources: sources, values: values, adding: true, op: "scatter_add")
    }

    /// Checks 1-D `indices` into `axis` and returns the axis normalized.
    private func checkedIndexAxis(_ axis: Int, _ indices: IndexTensor, op: String) -> Int {
        require(rank >= 1, "\(op): a 0-D tensor has no axis to index")
        let axis = normalizedAxis(axis, rank: rank, op: op)
        require(indices.rank == 1, "\(op): indices must be 1-D, shape is \(indices.shape)")
        for index in indices.values where index < 0 || index >= shape[axis] {
            programmerError("\(op): index \(index) is out of range 0..<\(shape[axis]) for axis \(axis) of shape \(shape)")
        }
        return axis
    }

    /// The slices at `indices` (1-D, repeats allowed) along `axis`, in that order: PyTorch's
    /// `torch.index_select(self, axis, indices)`. Differentiable (a slice's gradient is the sum
    /// over its copies).
    public func indexSelecting(along axis: Int, indices: IndexTensor) -> Tensor {
        let axis = checkedIndexAxis(axis, indices, op: "Tensor.indexSelecting")
        var outShape = shape
        outShape[axis] = indices.count
        let offsets = sourceOffsets(outShape: outShape) { $0[axis] = indices.values[$0[axis]] }
        return gathering(offsets: offsets, outShape: outShape, op: "index_select")
    }

    /// This tensor with slice `k` of `values` along `axis` added to slice `indices[k]`, PyTorch's
    /// `torch.index_add(self, axis, indices, values)`: `values` has this shape but for
    /// `indices.count` on `axis`; repeated indices add up. Differentiable in both.
    public func indexAdding(along axis: Int, indices: IndexTensor, values: Tensor) -> Tensor {
        let op = "Tensor.indexAdding"
        let axis = checkedIndexAxis(axis, indices, op: op)
        var expected = shape
        expected[axis] = indices.count
        require(values.shape == expected, "\(op): values of shape \(values.shape) do not match \(expected) for \(indices.count) indices into shape \(shape)")
        let targets = sourceOffsets(outShape: expected) { $0[axis] = indices.values[$0[axis]] }
        return scattering(targets: targets, sources: Array(0..<values.count), values: values, adding: true, op: "index_add")
    }

    /// The flat offsets where `mask` (this tensor's shape) is nonzero, in row-major order.
    private func selectedOffsets(_ mask: Tensor, op: String) -> [Int] {
        require(mask.shape == shape, "\(op): mask of shape \(mask.shape) does not match shape \(shape)")
        return mask.withUnsafeBufferPointer { m in m.indices.filter { m[$0] != 0 } }
    }

    /// The elements where `mask` (this tensor's shape, 0 or 1) is nonzero, in row-major order, as
    /// a vector: PyTorch's `self[mask]`. Differentiable: the gradient returns to the selected elements.
    public func selecting(mask: Tensor) -> Tensor {
        let offsets = selectedOffsets(mask, op: "Tensor.selecting")
        return gathering(offsets: offsets, outShape: [offsets.count], op: "mask_select")
    }

    /// This tensor with the elements where `mask` is nonzero replaced, in row-major order, by
    /// `values`: PyTorch's `y = self.clone(); y[mask] = values`. `values` is a vector of as many
    /// elements as the mask selects, or a 0-D tensor written everywhere selected. Differentiable
    /// in both: replaced elements get no gradient, `values` the gradient of where it was written.
    public func assigning(_ values: Tensor, where mask: Tensor) -> Tensor {
        let op = "Tensor.assigning"
        let targets = selectedOffsets(mask, op: op)
        if values.rank == 0 {
            return scattering(targets: targets, sources: [Int](repeating: 0, count: targets.count), values: values, adding: false, op: "mask_assign")
        }
        require(values.rank == 1 && values.count == targets.count,
                "\(op): values of shape \(values.shape) for \(targets.count) selected elements; needs shape [\(targets.count)] or []")
        return scattering(targets: targets, sources: Array(0..<targets.count), values: values, adding: false, op: "mask_assign")
    }

    /// This tensor with `value` wherever `mask` (this tensor's shape) is nonzero: PyTorch's
    /// `y = self.clone(); y[mask] = value`. The gradient passes where the mask is 0.
    public func assigning(_ value: Scalar, where mask: Tensor) -> Tensor {
        require(mask.shape == shape, "Tensor.assigning: mask of shape \(mask.shape) does not match shape \(shape)")
        return maskedFilled(where: mask, with: value)
    }

    /// The index of every nonzero element, in row-major order, as a (count, rank) ``IndexTensor``:
    /// PyTorch's `torch.nonzero`.
    public func nonzero() -> IndexTensor {
        let offsets = withUnsafeBufferPointer { x in x.indices.filter { x[$0] != 0 } }
        let strides = contiguousStrides(shape)
        var values = [Int]()
        values.reserveCapacity(offsets.count * rank)
        for offset in offsets {
            for d in 0..<rank { values.append(offset / strides[d] % shape[d]) }
        }
        return IndexTensor(values, shape: [offsets.count, rank])
    }
}
