// Index and mask ops, PyTorch's `index_add`, `index_select`, `x[mask]`, `x[mask] = v` and `nonzero`,
// all out of place. Masks are tensors of 0s and 1s, as the comparison operators return: an element
// counts as selected where the mask is nonzero. The writing ops share the scatter by offsets of
// Tensor+Scatter.swift, whose backward sends each written element's gradient back to its source.

extension Tensor {
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

    /// This tensor with slice `k` of `values` along `axis`, times `alpha`, added to slice `indices[k]`,
    /// PyTorch's `torch.index_add(self, axis, indices, values, alpha=alpha)`: `values` has this shape
    /// but for `indices.count` on `axis`; repeated indices add up. Differentiable in both.
    public func indexAdding(along axis: Int, indices: IndexTensor, values: Tensor, alpha: Scalar = 1) -> Tensor {
        let op = "Tensor.indexAdding"
        let axis = checkedIndexAxis(axis, indices, op: op)
        var expected = shape
        expected[axis] = indices.count
        require(values.shape == expected, "\(op): values of shape \(values.shape) do not match \(expected) for \(indices.count) indices into shape \(shape)")
        let targets = sourceOffsets(outShape: expected) { $0[axis] = indices.values[$0[axis]] }
        return scattering(targets: targets, sources: Array(0..<values.count), values: alpha == 1 ? values : values * alpha,
                          adding: true, op: "index_add")
    }

    /// The elements a boolean `mask` picks, as PyTorch indexes with one: the offset in this tensor
    /// of each picked element in row-major order, and the shape of the picked elements.
    ///
    /// A mask of lower rank k covers the leading k axes exactly and picks whole slices, giving
    /// shape (count, trailing axes…) (`x[mask]`). A mask of this rank or more broadcasts: with
    /// `broadcastingSelf` (selection, `masked_select`) both stretch to one shape, otherwise the mask
    /// stretches to this shape (assignment, `masked_fill`, `masked_scatter`); the shape is (count).
    private func maskSelection(_ mask: Tensor, broadcastingSelf: Bool, op: String) -> (offsets: [Int], shape: [Int]) {
        let picked = mask.withUnsafeBufferPointer { m in m.indices.filter { m[$0] != 0 } }
        if mask.rank < rank {
            let leading = Array(shape[..<mask.rank]), trailing = Array(shape[mask.rank...])
            require(mask.shape == leading, "\(op): mask of shape \(mask.shape) must match the leading axes \(leading) "
                    + "of shape \(shape), or broadcast to it with rank \(rank)")
            let slice = trailing.reduce(1, *)
            return (picked.flatMap { $0 * slice..<($0 + 1) * slice }, [picked.count] + trailing)
        }
        let outShape = broadcastShape(mask.shape, shape, op: op)
        require(broadcastingSelf || (mask.rank == rank && outShape == shape),
                "\(op): mask of shape \(mask.shape) must match the leading axes of shape \(shape) or broadcast to it with rank \(rank)")
        if outShape == mask.shape && outShape == shape { return (picked, [picked.count]) }
        // The mask's element and this tensor's at each position of the broadcast shape.
        let (maskStrides, selfStrides) = (broadcastStrides(mask.shape, to: outShape), broadcastStrides(shape, to: outShape))
        let maskOffsets = rowMajorOffsets(outShape) { _, position in zip(position, maskStrides).reduce(0) { $0 + $1.0 * $1.1 } }
        let selfOffsets = rowMajorOffsets(outShape) { _, position in zip(position, selfStrides).reduce(0) { $0 + $1.0 * $1.1 } }
        let offsets = mask.withUnsafeBufferPointer { m in maskOffsets.indices.filter { m[maskOffsets[$0]] != 0 }.map { selfOffsets[$0] } }
        return (offsets, [offsets.count])
    }

    /// The elements a boolean `mask` picks, PyTorch's `self[mask]` (and `torch.masked_select`). A
    /// mask of 0s and 1s, as the comparisons give, either covers the leading k axes exactly
    /// (rank k below this tensor's) and picks whole slices, giving shape (count, trailing axes…),
    /// or has at least this rank and broadcasts with this tensor, giving the picked elements of
    /// the broadcast in row-major order, shape (count). Differentiable: the gradient returns to
    /// the picked elements (summed where this tensor was broadcast).
    public func selecting(mask: Tensor) -> Tensor {
        let (offsets, outShape) = maskSelection(mask, broadcastingSelf: true, op: "Tensor.selecting(mask:)")
        return gathering(offsets: offsets, outShape: outShape, op: "mask_select")
    }

    /// This tensor with the elements a boolean `mask` picks replaced by `values`, PyTorch's
    /// `y = self.clone(); y[mask] = values`, `masked_fill` and `masked_scatter`. The mask either covers
    /// the leading k axes exactly (picking whole slices, as in ``selecting(mask:)``) or has this
    /// rank and broadcasts to this shape. `values` broadcasts, as PyTorch broadcasts, to the shape
    /// of the picked elements, (count, trailing axes…) or (count): one value per picked slice or
    /// element in row-major order, one slice for every picked slice, or a 0-D tensor everywhere
    /// (``Tensor/select(where:_:else:)`` is `torch.where`, values of this shape read where picked).
    /// Differentiable in both: replaced elements get no gradient, `values` the gradient of where
    /// it was written (summed over its broadcast).
    public func assigning(_ values: Tensor, where mask: Tensor) -> Tensor {
        let op = "Tensor.assigning(_:where:)"
        let (targets, picked) = maskSelection(mask, broadcastingSelf: false, op: op)
        require(values.rank <= picked.count && zip(values.shape, picked.suffix(values.rank)).allSatisfy { $0 == $1 || $0 == 1 },
                "\(op): values of shape \(values.shape) do not broadcast to the shape \(picked) the mask of shape "
                + "\(mask.shape) picks from shape \(shape)")
        let strides = broadcastStrides(values.shape, to: picked)  // the value written at each picked element
        let sources = rowMajorOffsets(picked) { _, position in zip(position, strides).reduce(0) { $0 + $1.0 * $1.1 } }
        return scattering(targets: targets, sources: sources, values: values, adding: false, op: "mask_assign")
    }

    /// This tensor with `value` at the elements a boolean `mask` picks (as in
    /// ``assigning(_:where:)-(Tensor<Scalar>,_)``): PyTorch's `y = self.clone(); y[mask] = value`
    /// and `masked_fill`. The gradient passes where nothing was replaced.
    public func assigning(_ value: Scalar, where mask: Tensor) -> Tensor {
        assigning(Tensor(value), where: mask)
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
