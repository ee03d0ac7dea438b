// Shape manipulation: reshape, transpose/permute, squeeze/unsqueeze, concatenation, row slicing
// and gathering. All are differentiable.

extension Tensor {
    /// The same scalars viewed with a new shape (no copy); one extent may be −1 to be inferred.
    public func reshaped(to newShape: [Int]) -> Tensor {
        var target = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        require(inferred.count <= 1, "Tensor.reshaped: more than one −1 in \(newShape)")
        if let axis = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            require(known > 0 && count % known == 0,
                         "Tensor.reshaped: cannot reshape \(shape) to \(newShape)")
            target[axis] = count / known
        }
        require(target.allSatisfy { $0 >= 0 } && target.reduce(1, *) == count,
                     "Tensor.reshaped: cannot reshape \(shape) (\(count) elements) to \(newShape)")
        if target == shape { return unchangedResult }
        let result = Tensor(storage: storage, shape: target)
        return result.recorded("reshape", inputs: [node]) { [node, shape] dY in
            node?.accumulate(dY.reshaped(to: shape))
        }
    }

    /// This tensor as one axis.
    public func flattened() -> Tensor { reshaped(to: [count]) }

    /// The axes reordered: axis `i` of the result is axis `axes[i]` of this tensor (a copy).
    public func permuted(_ axes: [Int]) -> Tensor {
        let axes = axes.map { normalizedAxis($0, rank: rank, op: "Tensor.permuted") }
        require(axes.sorted() == Array(0..<rank),
                     "Tensor.permuted: \(axes) is not a permutation of the axes of shape \(shape)")
        if axes == Array(0..<rank) { return unchangedResult }
        let strides = contiguousStrides(shape)
        let outShape = axes.map { shape[$0] }
        let result = Tensor(uninitializedShape: outShape)
        Kernels.stridedCopy(storage.base, strides: axes.map { strides[$0] }, result.storage.base, shape: outShape)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, axis) in axes.enumerated() { inverse[axis] = i }
        return result.recorded("permute", inputs: [node]) { [node] dY in
            node?.accumulate(dY.permuted(inverse))
        }
    }

    /// The transpose of a matrix (a copy). For products, prefer the transpose flags of
    /// ``matmul(_:_:transposeA:transposeB:)``, which never copy.
    public func transposed() -> Tensor {
        require(rank == 2, "Tensor.transposed: needs a matrix, shape is \(shape)")
        return permuted([1, 0])
    }

    /// Removes axes of extent 1: `axis`, or all of them when `axis` is `nil`.
    public func squeezed(axis: Int? = nil) -> Tensor {
        if let axis {
            let a = normalizedAxis(axis, rank: rank, op: "Tensor.squeezed")
            require(shape[a] == 1, "Tensor.squeezed: axis \(axis) of shape \(shape) is not 1")
            var s = shape
            s.remove(at: a)
            return reshaped(to: s)
        }
        return reshaped(to: shape.filter { $0 != 1 })
    }

    /// Inserts an axis of extent 1 at `axis` (−1 appends).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        require(a >= 0 && a <= rank, "Tensor.unsqueezed: axis \(axis) out of range for shape \(shape)")
        var s = shape
        s.insert(1, at: a)
        return reshaped(to: s)
    }

    /// Joins tensors along `axis`; all other extents must match.
    public static func concatenated(_ tensors: [Tensor], along axis: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "Tensor.concatenated: no tensors given")
        let first = tensors[0]
        require(first.rank >= 1, "Tensor.concatenated: cannot concatenate 0-D tensors (shape \(first.shape))")
        let axis = normalizedAxis(axis, rank: first.rank, op: "Tensor.concatenated")
        for t in tensors {
            require(t.rank == first.rank && t.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first.shape[$0.offset] },
                         "Tensor.concatenated: shapes \(first.shape) and \(t.shape) differ off axis \(axis)")
        }
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let result = Tensor(uninitializedShape: outShape)
        let outRow = outShape[axis] * inner
        var offset = 0
        for t in tensors {
            let block = t.shape[axis] * inner
            for o in 0..<outer {
                copyScalars(to: result.storage.base + o * outRow + offset, from: t.storage.base + o * block, count: block)
            }
            offset += block
        }
        let extents = tensors.map { $0.shape[axis] }
        return result.recorded("concatenate", inputs: tensors.map(\.node)) { [nodes = tensors.map(\.node)] dY in
            var start = 0
            for (node, extent) in zip(nodes, extents) {
                node?.accumulate(dY.slice(along: axis, start..<(start + extent)))
                start += extent
            }
        }
    }

    /// Rows `range` of the first axis (e.g. a mini-batch), as a copy.
    public func rows(_ range: Range<Int>) -> Tensor {
        require(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "Tensor.rows: range \(range) out of bounds for shape \(shape)")
        return slice(along: 0, range)
    }

    /// The elements `range` along `axis`, every `step`-th from the range's start, as a copy:
    /// PyTorch's `x[..., start:end:step, ...]` (`x.narrow(axis, start, length)` when `step` is 1).
    /// `range` is any range of positions inside the axis: `1..<4`, `1...3`, `2...` (to the end),
    /// `..<3`; a negative `axis` counts from the end. Differentiable.
    public func sliced<R: RangeExpression>(along axis: Int, _ range: R, step: Int = 1) -> Tensor where R.Bound == Int {
        require(rank >= 1, "Tensor.sliced: a 0-D tensor has no axis to slice")
        require(step >= 1, "Tensor.sliced: step must be at least 1, got \(step)")
        let axis = normalizedAxis(axis, rank: rank, op: "Tensor.sliced")
        let extent = shape[axis]
        // The bounds as integers, without forming a Range that could trap on reversed bounds.
        let lower: Int, upper: Int
        switch range {
        case let r as ClosedRange<Int>: (lower, upper) = (r.lowerBound, r.upperBound &+ 1)
        case let r as PartialRangeFrom<Int>: (lower, upper) = (r.lowerBound, extent)
        case let r as PartialRangeUpTo<Int>: (lower, upper) = (0, r.upperBound)
        case let r as PartialRangeThrough<Int>: (lower, upper) = (0, r.upperBound &+ 1)
        default:
            let r = range.relative(to: 0..<extent)
            (lower, upper) = (r.lowerBound, r.upperBound)
        }
        require(lower >= 0 && lower <= upper && upper <= extent,
                "Tensor.sliced: range \(range) out of bounds for axis \(axis) of shape \(shape)")
        return slice(along: axis, lower..<upper, step: step)
    }

    /// Joins tensors of one shape along a new axis `axis` (0 ... rank; negative counts from the
    /// end, −1 appends): PyTorch's `torch.stack`. Differentiable.
    public static func stacked(_ tensors: [Tensor], along axis: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "Tensor.stacked: no tensors given")
        let shape = tensors[0].shape
        for (i, t) in tensors.enumerated() where t.shape != shape {
            let lengths = t.rank == shape.count && t.rank >= 1 && Array(t.shape.dropFirst()) == Array(shape.dropFirst())
            programmerError("Tensor.stacked: tensor \(i) has shape \(t.shape), tensor 0 \(shape)"
                            + (lengths ? "; sequences of different lengths need Tensor.paddedSequences and its padding mask" : ""))
        }
        let a = axis < 0 ? axis + shape.count + 1 : axis
        require(a >= 0 && a <= shape.count, "Tensor.stacked: axis \(axis) out of range for tensors of shape \(shape)")
        return concatenated(tensors.map { $0.unsqueezed(axis: a) }, along: a)
    }

    /// Sequences of different lengths, each (Lᵢ, …) with the same trailing axes, padded at the end
    /// with `paddingValue` to the longest and stacked: (N, L, …) with `batchFirst`, else (L, N, …),
    /// as PyTorch's `nn.utils.rnn.pad_sequence`. Also returns the padding mask (N, L), 1 where a
    /// position is padding: the `keyPaddingMask` of ``MultiheadAttention`` and
    /// ``TransformerEncoderLayer`` as ``AttentionMask/boolean(_:)``. Differentiable in each sequence.
    public static func paddedSequences(_ sequences: [Tensor], batchFirst: Bool = true,
                                       paddingValue: Scalar = 0) -> (values: Tensor, paddingMask: Tensor) {
        require(!sequences.isEmpty, "Tensor.paddedSequences: no sequences given")
        let tail = Array(sequences[0].shape.dropFirst())
        for (i, sequence) in sequences.enumerated() {
            require(sequence.rank >= 1 && Array(sequence.shape.dropFirst()) == tail,
                    "Tensor.paddedSequences: sequence \(i) has shape \(sequence.shape); every sequence must be (length, \(tail.map(String.init).joined(separator: ", ")))")
        }
        let length = sequences.map { $0.shape[0] }.max()!
        let padded = sequences.map { sequence -> Tensor in
            let missing = length - sequence.shape[0]
            return missing == 0 ? sequence : concatenated([sequence, Tensor(filledWith: paddingValue, shape: [missing] + tail)])
        }
        let mask = Tensor(sequences.flatMap { sequence in (0..<length).map { $0 < sequence.shape[0] ? Scalar(0) : Scalar(1) } },
                          shape: [sequences.count, length])
        return (stacked(padded, along: batchFirst ? 0 : 1), mask)
    }

    /// Consecutive pieces along `axis` of `size` elements each, the last smaller when the extent
    /// is not a multiple: PyTorch's `torch.split(x, size, dim)`. Each piece is differentiable.
    public func split(size: Int, along axis: Int = 0) -> [Tensor] {
        require(rank >= 1, "Tensor.split: a 0-D tensor has no axis to split")
        require(size >= 1, "Tensor.split: size must be at least 1, got \(size)")
        let axis = normalizedAxis(axis, rank: rank, op: "Tensor.split")
        let extent = shape[axis]
        if extent == 0 { return [self] }
        return Swift.stride(from: 0, to: extent, by: size).map { slice(along: axis, $0..<Swift.min($0 + size, extent)) }
    }

    /// Consecutive pieces along `axis` of the given sizes, which must add up to its extent:
    /// PyTorch's `torch.split(x, [sizes], dim)`. Each piece is differentiable.
    public func split(sizes: [Int], along axis: Int = 0) -> [Tensor] {
        require(rank >= 1, "Tensor.split: a 0-D tensor has no axis to split")
        let axis = normalizedAxis(axis, rank: rank, op: "Tensor.split")
        require(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[axis],
                "Tensor.split: sizes \(sizes) do not add up to extent \(shape[axis]) of axis \(axis) (shape \(shape))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(along: axis, start..<(start + size))
        }
    }

    /// At most `count` pieces along `axis`, each of ⌈extent / count⌉ elements but the last:
    /// PyTorch's `torch.chunk` (which gives fewer pieces when the extent does not fill them, as
    /// 6 elements in 4 chunks: 2, 2, 2).
    public func chunked(_ count: Int, along axis: Int = 0) -> [Tensor] {
        require(rank >= 1, "Tensor.chunked: a 0-D tensor has no axis to split")
        require(count >= 1, "Tensor.chunked: count must be at least 1, got \(count)")
        let extent = shape[normalizedAxis(axis, rank: rank, op: "Tensor.chunked")]
        if extent == 0 { return Array(repeating: self, count: count) }  // as PyTorch: `count` empty pieces
        return split(size: Swift.max(1, (extent + count - 1) / count), along: axis)
    }

    /// Elements `range` along `axis`, every `step`-th (checked by the caller), as a copy.
    func slice(along axis: Int, _ range: Range<Int>, step: Int = 1) -> Tensor {
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let taken = range.isEmpty ? 0 : 1 + (range.count - 1) / step  // ⌈count / step⌉, for any step
        var outShape = shape
        outShape[axis] = taken
        let result = Tensor(uninitializedShape: outShape)
        // Each outer index holds `pieces` contiguous runs of `run` elements: one run when step is 1.
        let block = taken * inner, row = shape[axis] * inner, start = range.lowerBound * inner
        let (pieces, run) = step == 1 ? (1, block) : (taken, inner)
        for o in 0..<outer {
            for p in 0..<pieces {
                copyScalars(to: result.storage.base + o * block + p * run,
                            from: storage.base + o * row + start + p * step * inner, count: run)
            }
        }
        return result.recorded("slice", inputs: [node]) { [node, shape] dY in
            node?.withGradientBuffer { gradient, accumulate in
                if !accumulate { zeroFill(gradient, count: shape.reduce(1, *)) }
                for o in 0..<outer {
                    for p in 0..<pieces {
                        VectorRoutines.add(dY.storage.base + o * block + p * run,
                                           into: gradient + o * row + start + p * step * inner, count: run)
                    }
                }
            }
        }
    }

    /// The rows at `indices` of the first axis, in that order (repeats allowed), as a copy.
    public func gatheringRows(_ indices: [Int]) -> Tensor { gatheringRows(indices, skippingGradientOf: nil) }

    /// The rows at `indices`; backward adds nothing to row `skippedRow` (an embedding's padding row).
    func gatheringRows(_ indices: [Int], skippingGradientOf skippedRow: Int?) -> Tensor {
        require(rank >= 1, "Tensor.gatheringRows: needs at least one axis, shape is \(shape)")
        let rowSize = count / Swift.max(shape[0], 1)
        var outShape = shape
        outShape[0] = indices.count
        let result = Tensor(uninitializedShape: outShape)
        for (i, index) in indices.enumerated() {
            require(index >= 0 && index < shape[0],
                         "Tensor.gatheringRows: index \(index) out of range for shape \(shape)")
            copyScalars(to: result.storage.base + i * rowSize, from: storage.base + index * rowSize, count: rowSize)
        }
        return result.recorded("gather", inputs: [node]) { [node, shape] dY in
            node?.withGradientBuffer { gradient, accumulate in
                if !accumulate { zeroFill(gradient, count: shape.reduce(1, *)) }
                for (i, index) in indices.enumerated() where index != skippedRow {
                    VectorRoutines.add(dY.storage.base + i * rowSize, into: gradient + index * rowSize, count: rowSize)
                }
            }
        }
    }
}
