/// Integer indices with a shape, row-major like ``Tensor``: class labels per position, token
/// ids, or the indices of ``Tensor/gathered(along:indices:)``. Every `Int` is exact (a `Float`
/// tensor holds whole numbers exactly only up to 2²⁴).
///
/// ```swift
/// let tokens = IndexTensor([3, 1, 4, 1, 5, 9], shape: [2, 3])   // (batch, sequence)
/// let vectors = embedding(tokens)                                 // (2, 3, dimension)
/// ```
public struct IndexTensor: Sendable, Hashable, CustomStringConvertible {
    /// The extent of each axis.
    public let shape: [Int]
    /// The indices in row-major order.
    public let values: [Int]

    /// `values` with `shape` (default: one axis of `values.count`); the extents must multiply to
    /// the number of values.
    public init(_ values: [Int], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        require(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                "IndexTensor: shape \(shape) does not hold \(values.count) values")
        (self.values, self.shape) = (values, shape)
    }

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of indices.
    public var count: Int { values.count }

    /// The same indices with another shape of the same count.
    public func reshaped(to newShape: [Int]) -> IndexTensor {
        require(newShape.allSatisfy { $0 >= 0 } && newShape.reduce(1, *) == count,
                "IndexTensor.reshaped: cannot reshape \(shape) to \(newShape)")
        return IndexTensor(values, shape: newShape)
    }

    public var description: String { "IndexTensor(shape: \(shape), values: \(values))" }
}

extension Tensor {
    /// The elements at `indices` along `axis`: `out[i₀, …, i_axis, …] = self[i₀, …, indices[i₀, …, i_axis, …], …]`,
    /// PyTorch's `torch.gather(self, axis, indices)`. `indices` has this tensor's rank, its extent
    /// on every other axis at most this tensor's, and values in `0 ..< shape[axis]`; the result
    /// has its shape. Backward adds each output's gradient into the element it was read from.
    public func gathered(along axis: Int, indices: IndexTensor) -> Tensor {
        require(rank >= 1, "Tensor.gathered: a 0-D tensor has no axis to gather along")
        let axis = normalizedAxis(axis, rank: rank, op: "Tensor.gathered")
        require(indices.rank == rank && zip(indices.shape, shape).enumerated().allSatisfy { $0.offset == axis || $0.element.0 <= $0.element.1 },
                "Tensor.gathered: indices of shape \(indices.shape) do not fit shape \(shape) along axis \(axis)")
        for index in indices.values where index < 0 || index >= shape[axis] {
            programmerError("Tensor.gathered: index \(index) is out of range 0..<\(shape[axis]) for axis \(axis) of shape \(shape)")
        }
        // The offset in this tensor of each output element.
        let strides = contiguousStrides(shape), outShape = indices.shape
        let offsets = rowMajorOffsets(outShape) { flat, position in
            var offset = 0
            for d in 0..<position.count { offset += (d == axis ? indices.values[flat] : position[d]) * strides[d] }
            return offset
        }
        let result = Tensor(uninitializedShape: outShape)
        let (source, target) = (storage.base, result.storage.base)
        for (flat, offset) in offsets.enumerated() { target[flat] = source[offset] }
        return result.recorded("gather", inputs: [node]) { [node, shape] dY in
            node?.withGradientBuffer { gradient, accumulate in
                if !accumulate { zeroFill(gradient, count: shape.reduce(1, *)) }
                let incoming = dY.storage.base
                for (flat, offset) in offsets.enumerated() { gradient[offset] += incoming[flat] }
            }
        }
    }
}

/// The value of `offset(flat, position)` for every position of `shape` in row-major order (flat
/// the position's row-major index): the source offset each output element of a gather-like op
/// reads.
func rowMajorOffsets(_ shape: [Int], _ offset: (_ flat: Int, _ position: [Int]) -> Int) -> [Int] {
    let total = shape.reduce(1, *)
    var offsets = [Int](repeating: 0, count: total)
    var position = [Int](repeating: 0, count: shape.count)
    for flat in 0..<total {
        offsets[flat] = offset(flat, position)
        var d = shape.count - 1  // the next position in row-major order
        while d >= 0 {
            position[d] += 1
            if position[d] < shape[d] { break }
            position[d] = 0
            d -= 1
        }
    }
    return offsets
}
