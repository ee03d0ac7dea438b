// Structural ops: triangles, repetition, flips, rolls, diagonals and the outer product. Each output
// element is read from one input element, so the rearranging ops share one gather by offsets whose
// backward adds each output gradient into the element it came from.

extension Tensor {
    /// The offset in this tensor of each element of an output of `outShape`, in row-major order:
    /// `source` turns an output index into the input index it reads, in place.
    func sourceOffsets(outShape: [Int], _ source: (inout [Int]) -> Void) -> [Int] {
        let strides = contiguousStrides(shape)
        let total = outShape.reduce(1, *)
        var offsets = [Int](repeating: 0, count: total)
        var position = [Int](repeating: 0, count: outShape.count)
        for flat in 0..<total {
            var index = position
            source(&index)
            offsets[flat] = zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }
            var d = outShape.count - 1  // the next position in row-major order
            while d >= 0 {
                position[d] += 1
                if position[d] < outShape[d] { break }
                position[d] = 0
                d -= 1
            }
        }
        return offsets
    }

    /// `out[i] = self[offsets[i]]` with `outShape`; backward adds `dY[i]` into element `offsets[i]`.
    func gathering(offsets: [Int], outShape: [Int], op: String) -> Tensor {
        let result = Tensor(uninitializedShape: outShape)
        let (source, target) = (storage.base, result.storage.base)
        for (flat, offset) in offsets.enumerated() { target[flat] = source[offset] }
        return result.recorded(op, inputs: [node]) { [node, count] dY in
            node?.withGradientBuffer { gradient, accumulate in
                if !accumulate { zeroFill(gradient, count: count) }
                let incoming = dY.storage.base
                for (flat, offset) in offsets.enumerated() { gradient[offset] += incoming[flat] }
            }
        }
    }

    /// The lower triangle of the last two axes: elements with `column − row ≤ offset` are kept,
    /// the others are 0 (`torch.tril(x, diagonal: offset)`). The gradient passes where kept.
    public func tril(offset: Int = 0) -> Tensor { triangle(lower: true, offset: offset) }

    /// The upper triangle of the last two axes: elements with `column − row ≥ offset` are kept,
    /// the others are 0 (`torch.triu(x, diagonal: offset)`). The gradient passes where kept.
    public func triu(offset: Int = 0) -> Tensor { triangle(lower: false, offset: offset) }

    private func triangle(lower: Bool, offset: Int) -> Tensor {
        let op = lower ? "Tensor.tril" : "Tensor.triu"
        require(rank >= 2, "\(op): needs at least two axes, shape is \(shape)")
        let (rows, columns) = (shape[rank - 2], shape[rank - 1])
        var mask = [Scalar](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns where lower ? c - r <= offset : c - r >= offset { mask[r * columns + c] = 1 }
        }
        return Tensor.select(where: Tensor(mask, shape: [rows, columns]), self, else: Tensor.zeros([]))
    }

    /// This tensor repeated `counts[d]` times along each axis, PyTorch's `Tensor.repeat`: `counts`
    /// has at least this rank, and extra leading counts add leading axes. Differentiable (each
    /// element's gradient is the sum over its copies).
    public func repeated(_ counts: [Int]) -> Tensor {
        require(counts.count >= rank, "Tensor.repeated: \(counts.count) counts for a tensor of shape \(shape); needs at least \(rank)")
        require(counts.allSatisfy { $0 >= 0 }, "Tensor.repeated: negative count in \(counts)")
        let padded = [Int](repeating: 1, count: counts.count - rank) + shape
        let source = reshaped(to: padded)
        let outShape = zip(padded, counts).map { $0 * $1 }
        let offsets = source.sourceOffsets(outShape: outShape) { index in
            for d in index.indices { index[d] %= padded[d] }
        }
        return source.gathering(offsets: offsets, outShape: outShape, op: "repeat")
    }

    /// This tensor tiled `counts[d]` times along each axis, `torch.tile`: like ``repeated(_:)``, but
    /// fewer counts than axes are padded with leading 1s.
    public func tiled(_ counts: [Int]) -> Tensor {
        require(counts.allSatisfy { $0 >= 0 }, "Tensor.tiled: negative count in \(counts)")
        return repeated([Int](repeating: 1, count: Swift.max(rank - counts.count, 0)) + counts)
    }

    /// The elements in reverse order along each of `axes` (`torch.flip`). Differentiable.
    public func flipped(axes: [Int]) -> Tensor {
        let axes = Set(axes.map { normalizedAxis($0, rank: rank, op: "Tensor.flipped") })
        let offsets = sourceOffsets(outShape: shape) { [shape] index in
            for d in axes { index[d] = shape[d] - 1 - index[d] }
        }
        return gathering(offsets: offsets, outShape: shape, op: "flip")
    }

    /// The elements shifted by `shifts[i]` positions along `axes[i]`, wrapping around
    /// (`torch.roll`); with no axes, the flattened tensor is rolled by the single shift and
    /// reshaped back. Differentiable.
    public func rolled(shifts: [Int], axes: [Int] = []) -> Tensor {
        if axes.isEmpty {
            require(shifts.count == 1, "Tensor.rolled: without axes takes one shift, got \(shifts)")
            return flattened().rolled(shifts: shifts, axes: [0]).reshaped(to: shape)
        }
        require(shifts.count == axes.count, "Tensor.rolled: \(shifts.count) shifts for \(axes.count) axes")
        let axes = axes.map { normalizedAxis($0, rank: rank, op: "Tensor.rolled") }
        let offsets = sourceOffsets(outShape: shape) { [shape] index in
            for (d, shift) in zip(axes, shifts) where shape[d] > 0 {
                let n = shape[d]
                index[d] = ((index[d] - shift) % n + n) % n
            }
        }
        return gathering(offsets: offsets, outShape: shape, op: "roll")
    }

    /// The diagonal of the matrices formed by `axis1` and `axis2`, `torch.diagonal`: those two axes
    /// are removed and the diagonal becomes the last axis. `offset > 0` takes a diagonal above
    /// the main one, `offset < 0` one below. Differentiable.
    public func diagonal(offset: Int = 0, axis1: Int = 0, axis2: Int = 1) -> Tensor {
        require(rank >= 2, "Tensor.diagonal: needs at least two axes, shape is \(shape)")
        let a1 = normalizedAxis(axis1, rank: rank, op: "Tensor.diagonal")
        let a2 = normalizedAxis(axis2, rank: rank, op: "Tensor.diagonal")
        require(a1 != a2, "Tensor.diagonal: axis1 and axis2 are both axis \(a1) of shape \(shape)")
        let rowStart = Swift.max(-offset, 0), columnStart = Swift.max(offset, 0)
        let length = Swift.max(0, Swift.min(shape[a1] - rowStart, shape[a2] - columnStart))
        let others = (0..<rank).filter { $0 != a1 && $0 != a2 }
        let outShape = others.map { shape[$0] } + [length]
        let offsets = sourceOffsets(outShape: outShape) { [rank] index in
            var source = [Int](repeating: 0, count: rank)
            for (position, d) in others.enumerated() { source[d] = index[position] }
            source[a1] = index[index.count - 1] + rowStart
            source[a2] = index[index.count - 1] + columnStart
            index = source
        }
        return gathering(offsets: offsets, outShape: outShape, op: "diagonal")
    }
}

/// The outer product `a·bᵀ` of two vectors, an (m, n) matrix (`torch.outer`): one rank-1 update
/// (BLAS ger) through ``matmul(_:_:transposeA:transposeB:)``. Differentiable in both.
public func outer<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
    require(a.rank == 1 && b.rank == 1, "outer: needs two vectors, got shapes \(a.shape) and \(b.shape)")
    return matmul(a.unsqueezed(axis: 1), b.unsqueezed(axis: 0))
}
