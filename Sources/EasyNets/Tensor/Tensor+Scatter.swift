// Scatter ops, PyTorch's `scatter` (tensor and scalar values), `scatter_add` and `scatter_reduce`,
// out of place. Each turns its indices into flat offsets: `targets[k]` in this tensor, `sources[k]`
// in the values. Plain writes and sums share one scatter by offsets, whose backward sends each
// written element's gradient back to its source; the other reductions keep their own backward,
// the one PyTorch's `scatter_reduce` defines.

/// How ``Tensor/scattering(along:indices:values:reduce:includeSelf:)`` combines the values that land
/// on one element (and, with `includeSelf`, the element itself): PyTorch's `scatter_reduce` modes.
public enum ScatterReduction: Sendable, Hashable, CaseIterable {
    /// The sum (`"sum"`).
    case sum
    /// The product (`"prod"`).
    case prod
    /// The mean (`"mean"`): the sum over the count of terms.
    case mean
    /// The maximum (`"amax"`).
    case amax
    /// The minimum (`"amin"`).
    case amin
}

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

    /// For each position of `indices` (this tensor's rank, each extent at most `valuesShape`'s and,
    /// off `axis`, at most this tensor's), the offset it writes in this tensor and the one it reads
    /// in values of `valuesShape` (nil for a scalar value).
    private func scatterOffsets(along axis: Int, indices: IndexTensor, valuesShape: [Int]?, op: String)
        -> (targets: [Int], sources: [Int]) {
        require(rank >= 1, "\(op): a 0-D tensor has no axis to scatter along")
        let axis = normalizedAxis(axis, rank: rank, op: op)
        let valuesText = valuesShape.map { " and values of shape \($0)" } ?? ""
        if let valuesShape {
            require(valuesShape.count == rank, "\(op): values of shape \(valuesShape) need the rank of shape \(shape)")
        }
        require(indices.rank == rank && (0..<rank).allSatisfy { d in
                    (valuesShape.map { indices.shape[d] <= $0[d] } ?? true) && (d == axis || indices.shape[d] <= shape[d]) },
                "\(op): indices of shape \(indices.shape) do not fit shape \(shape)\(valuesText) along axis \(axis)")
        for index in indices.values where index < 0 || index >= shape[axis] {
            programmerError("\(op): index \(index) is out of range 0..<\(shape[axis]) for axis \(axis) of shape \(shape)")
        }
        var targets = sourceOffsets(outShape: indices.shape) { $0[axis] = 0 }
        let stride = contiguousStrides(shape)[axis]
        for k in targets.indices { targets[k] += indices.values[k] * stride }
        guard let valuesShape else { return (targets, [Int](repeating: 0, count: targets.count)) }
        let strides = contiguousStrides(valuesShape)  // the values read at each position of `indices`
        return (targets, rowMajorOffsets(indices.shape) { _, position in zip(position, strides).reduce(0) { $0 + $1.0 * $1.1 } })
    }

    /// This tensor with `values` written at `indices` along `axis`, PyTorch's out-of-place
    /// `torch.scatter(self, axis, indices, values)`: `out[i₀, …, indices[i₀, …, i_axis, …], …] = values[i₀, …, i_axis, …]`
    /// for every position of `indices`. `indices` has this tensor's rank and extents at most `values'`
    /// (and, off `axis`, at most this tensor's). Where indices repeat, the last write wins (PyTorch
    /// leaves that unspecified). Differentiable in both: overwritten elements get no gradient,
    /// `values` gets the gradient of where each was written.
    public func scattering(along axis: Int, indices: IndexTensor, values: Tensor) -> Tensor {
        let (targets, sources) = scatterOffsets(along: axis, indices: indices, valuesShape: values.shape, op: "Tensor.scattering")
        return scattering(targets: targets, sources: sources, values: values, adding: false, op: "scatter")
    }

    /// This tensor with `value` written at `indices` along `axis`, PyTorch's out-of-place
    /// `torch.scatter(self, axis, indices, value)`: `out[i₀, …, indices[i₀, …, i_axis, …], …] = value`.
    /// `indices` has this tensor's rank and, off `axis`, extents at most this tensor's.
    /// Differentiable: overwritten elements get no gradient.
    public func scattering(along axis: Int, indices: IndexTensor, value: Scalar) -> Tensor {
        let (targets, sources) = scatterOffsets(along: axis, indices: indices, valuesShape: nil, op: "Tensor.scattering")
        return scattering(targets: targets, sources: sources, values: Tensor(value), adding: false, op: "scatter")
    }

    /// This tensor with the `values` at `indices` along `axis` combined into the elements they land
    /// on, PyTorch's `torch.scatter_reduce(self, axis, indices, values, reduce, include_self)`:
    /// indices and `values` as in ``scattering(along:indices:values:)``, and every element that
    /// receives values becomes the `reduce` of them and, with `includeSelf`, of its own value
    /// (`.mean` divides by the count of terms). Elements no index names keep their value.
    ///
    /// Differentiable in both, with PyTorch's gradients: `.sum` and `.mean` pass the (averaged)
    /// gradient to every term; `.prod` gives each term the product of the others, also where terms
    /// are 0; `.amax` and `.amin` split an element's gradient evenly among the terms equal to the
    /// result (this tensor's element counts as a term there even without `includeSelf`, as in
    /// PyTorch). Without `includeSelf`, elements that receive values pass no gradient to this tensor.
    public func scattering(
        along axis: Int, indices: IndexTensor, values: Tensor, reduce: ScatterReduction, includeSelf: Bool = true
    ) -> Tensor {
        let (targets, sources) = scatterOffsets(along: axis, indices: indices, valuesShape: values.shape,
                                                op: "Tensor.scattering(reduce:)")
        if reduce == .sum && includeSelf {
            return scattering(targets: targets, sources: sources, values: values, adding: true, op: "scatter_reduce")
        }
        return ScatterReduce(targets: targets, sources: sources, reduce: reduce, includeSelf: includeSelf)
            .apply(self, values)
    }
}

/// `scatter_reduce` by flat offsets, forward and PyTorch's backward.
private struct ScatterReduce {
    let targets: [Int], sources: [Int]
    let reduce: ScatterReduction
    let includeSelf: Bool

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func apply<Scalar>(_ input: Tensor<Scalar>, _ values: Tensor<Scalar>) -> Tensor<Scalar> {
        // The count of values landing on each element (the element itself adds one with includeSelf).
        var terms = [Int](repeating: 0, count: input.count)
        for t in targets { terms[t] += 1 }
        let touched = Set(targets)
        let result = Tensor<Scalar>(uninitializedShape: input.shape)
        copyScalars(to: result.storage.base, from: input.storage.base, count: input.count)
        let (v, y) = (values.storage.base, result.storage.base)
        if !includeSelf {
            let identity: Scalar = switch reduce {
            case .sum, .mean: 0
            case .prod: 1
            case .amax: -.infinity
            case .amin: .infinity
            }
            for t in touched { y[t] = identity }
        }
        for (t, s) in zip(targets, sources) {
            switch reduce {
            case .sum, .mean: y[t] += v[s]
            case .prod: y[t] *= v[s]
            case .amax: if v[s] > y[t] || v[s].isNaN { y[t] = v[s] }
            case .amin: if v[s] < y[t] || v[s].isNaN { y[t] = v[s] }
            }
        }
        if reduce == .mean {
            for t in touched { y[t] /= Scalar(terms[t] + (includeSelf ? 1 : 0)) }
        }
        guard Tensor.needsRecording(input, values) else { return result }
        let (reduce, includeSelf, targets, sources) = (reduce, includeSelf, targets, sources)
        let (inputCopy, valuesCopy, resultCopy) = (input.detached, values.detached, result.detached)
        return result.recorded("scatter_reduce", inputs: [input.node, values.node]) {
            [inputNode = input.node, valuesNode = values.node] dY in
            let (x, v, y, g) = (inputCopy.storage.base, valuesCopy.storage.base, resultCopy.storage.base, dY.storage.base)
            let count = inputCopy.count
            // dX and dValues per PyTorch's scatter_reduce_backward.
            var dX = [Scalar](repeating: 0, count: count), dV = [Scalar](repeating: 0, count: valuesCopy.count)
            switch reduce {
            case .sum:
                for i in 0..<count { dX[i] = g[i] }
                for (t, s) in zip(targets, sources) { dV[s] = g[t] }
            case .mean:
                var n = [Scalar](repeating: includeSelf ? 1 : 0, count: count)
                for t in targets { n[t] += 1 }
                for i in 0..<count where n[i] == 0 { n[i] = 1 }
                for i in 0..<count { dX[i] = g[i] / n[i] }
                for (t, s) in zip(targets, sources) { dV[s] = g[t] / n[t] }
            case .prod:
                // Per element: the product of the nonzero values landing there, and how many are 0.
                var nonzeroProduct = [Scalar](repeating: 1, count: count), zeros = [Int](repeating: 0, count: count)
                for (t, s) in zip(targets, sources) {
                    if v[s] == 0 { zeros[t] += 1 } else { nonzeroProduct[t] *= v[s] }
                }
                for i in 0..<count {
                    // The element's own gradient: the product of the other terms, also where it is 0.
                    let masked: Scalar = x[i] == 0 ? 1 : x[i]
                    let others: Scalar = zeros[i] > 0 ? 0 : nonzeroProduct[i]
                    dX[i] = g[i] * (masked * others) / masked
                }
                for (t, s) in zip(targets, sources) {
                    if v[s] == 0 && zeros[t] == 1 {
                        // The only zero: the product of everything else landing there (and the element).
                        dV[s] = g[t] * (includeSelf ? x[t] : 1) * nonzeroProduct[t]
                    } else {
                        dV[s] = g[t] * y[t] / (v[s] == 0 ? 1 : v[s])
                    }
                }
            case .amax, .amin:
                // Split evenly among the terms equal to the result; the element itself counts too.
                var ties = [Scalar](repeating: 0, count: count)
                for i in 0..<count where x[i] == y[i] { ties[i] = 1 }
                for (t, s) in zip(targets, sources) where v[s] == y[t] { ties[t] += 1 }
                for i in 0..<count where x[i] == y[i] { dX[i] = g[i] / ties[i] }
                for (t, s) in zip(targets, sources) where v[s] == y[t] { dV[s] = g[t] / ties[t] }
            }
            if !includeSelf {
                for t in targets { dX[t] = 0 }
            }
            inputNode?.accumulate(Tensor(dX, shape: inputCopy.shape))
            valuesNode?.accumulate(Tensor(dV, shape: valuesCopy.shape))
        }
    }
}
