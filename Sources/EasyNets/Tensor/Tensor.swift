/// An n-dimensional array of `Float` or `Double` with reverse-mode automatic differentiation.
///
/// Storage is contiguous and row-major (the last axis varies fastest). `Tensor` has value semantics:
/// copies share one buffer until one of them is mutated (copy-on-write).
///
/// A tensor whose ``requiresGradient`` is `true` is a *leaf*: every differentiable op applied to it
/// records a node on the tape, and ``backward()`` on a scalar result fills the leaf's ``gradient``
/// by the chain rule. Gradients accumulate until ``zeroGradient()``; inside ``withoutGradients(_:)``
/// nothing is recorded.
///
/// ```swift
/// var w = Tensor<Double>([[1, 2], [3, 4]])
/// w.requiresGradient = true
/// let loss = (w * w).sum()
/// loss.backward()
/// print(w.gradient!)  // 2·w
/// ```
public struct Tensor<Scalar: TensorScalar> {
    var storage: TensorStorage<Scalar>
    /// The extent of each axis; `[]` for a scalar (0-D) tensor.
    public private(set) var shape: [Int]
    /// The tape node: a leaf that collects a gradient, or the op that produced this tensor.
    var node: AutogradNode<Scalar>?

    init(storage: TensorStorage<Scalar>, shape: [Int]) {
        require(storage.count == shape.reduce(1, *),
                     "Tensor: storage of \(storage.count) scalars does not fit shape \(shape)")
        self.storage = storage
        self.shape = shape
        self.node = nil
    }

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of scalars, the product of ``shape``.
    public var count: Int { storage.count }

    /// All scalars in row-major order.
    public var scalars: [Scalar] { Array(storage.buffer) }

    /// The value of a tensor with exactly one element.
    public var scalar: Scalar {
        require(count == 1, "Tensor.scalar: needs exactly one element, shape is \(shape)")
        return storage.base[0]
    }

    /// The element at a multi-dimensional index (negative indices count from the end).
    public subscript(_ indices: Int...) -> Scalar {
        get { storage.base[flatIndex(indices)] }
        set {
            let offset = flatIndex(indices)
            ensureUnique()
            storage.base[offset] = newValue
        }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        require(indices.count == rank,
                     "Tensor.subscript: \(indices.count) indices for shape \(shape)")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            let i = index < 0 ? index + shape[axis] : index
            require(i >= 0 && i < shape[axis],
                         "Tensor.subscript: index \(index) out of range for axis \(axis) of shape \(shape)")
            offset = offset * shape[axis] + i
        }
        return offset
    }

    /// Makes the storage unique before an in-place write (the copy half of copy-on-write).
    mutating func ensureUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Read access to the scalars for the duration of `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(storage.buffer)) }
    }

    /// Write access to the scalars for the duration of `body`; copies a shared buffer first.
    ///
    /// Writing through this pointer is not recorded by autodiff: use it for optimizer updates and
    /// initialization, not inside a differentiated computation.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        ensureUnique()
        return try withExtendedLifetime(storage) { try body(storage.buffer) }
    }
}

// MARK: - Shape helpers shared by the op files

/// Normalizes a possibly negative axis for an op, stopping with the op's name when out of range.
func normalizedAxis(_ axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    require(a >= 0 && a < Swift.max(rank, 1),
                 "\(op): axis \(axis) out of range for a tensor of rank \(rank)")
    return a
}

/// Row-major strides of a shape.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in shape.indices.reversed() {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}
