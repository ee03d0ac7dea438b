/// One vertex of the autodiff tape.
///
/// A leaf node belongs to a tensor with `requiresGradient`; its `gradient` is kept after
/// ``Tensor/backward()``. An interior node belongs to an op's output: `backward` reads the node's
/// incoming gradient and accumulates into its inputs' nodes, and the node frees its closure and its
/// gradient once it has run (the graph is single-use, as in PyTorch without `retain_graph`).
final class AutogradNode<Scalar: TensorScalar> {
    /// The op that produced this node, for error messages.
    let op: String
    /// Shape of the tensor this node stands for.
    let shape: [Int]
    /// Nodes this one was computed from (only those that need gradients).
    private(set) var inputs: [AutogradNode]
    /// Receives `self.gradient` (as a tensor of `shape`) and accumulates into the inputs. `nil` for
    /// leaves and spent nodes.
    private var backwardFunction: ((Tensor<Scalar>) -> Void)?
    /// Accumulated gradient (same shape as the tensor); `nil` until something flows in.
    var gradient: TensorStorage<Scalar>?
    /// A leaf's gradient kept as the factors of an outer product instead of in ``gradient``
    /// (never both): see ``accumulateOuterProduct(column:row:)``.
    private(set) var outerProductGradient: OuterProduct?
    let isLeaf: Bool
    /// Called with the gradient once it is complete (``Tensor/registerGradientHook(_:)``).
    var hooks: GradientHookList<Scalar>?
    var hasHooks: Bool { hooks.map { !$0.isEmpty } ?? false }
    private(set) var isSpent = false
    /// Set on interior nodes by the backward pass's graph walk (never on leaves, which parameters
    /// share between graphs); a visited node is spent once that backward pass has run.
    var isVisited = false

    init(leafOfShape shape: [Int]) {
        op = "leaf"
        self.shape = shape
        inputs = []
        isLeaf = true
    }

    init(op: String, shape: [Int], inputs: [AutogradNode], backward: @escaping (Tensor<Scalar>) -> Void) {
        self.op = op
        self.shape = shape
        self.inputs = inputs
        self.backwardFunction = backward
        isLeaf = false
    }

    var count: Int { shape.reduce(1, *) }

    /// A matrix gradient `column·rowᵀ` (shape `(column.count, row.count)`) held as its two factors.
    ///
    /// A batch-1 ``linear`` backward gives its weight such a gradient. Keeping the factors saves
    /// writing the product out and reading it back: SGD with momentum forms each element where it
    /// uses it, so a batch-1 step passes over the weight and its buffer once. Only
    /// ``GroupTable/forEachParameterWithGradient(fusedOuterProduct:_:)`` hands the factors to an
    /// optimizer; everything else sees the product written out.
    struct OuterProduct {
        let column: TensorStorage<Scalar>
        let row: TensorStorage<Scalar>

        /// Writes rows `rows` of the product into `destination` (`rows.count · row.count` scalars),
        /// or adds them to what it holds, with the rounding of the dense gradient's outer product.
        func writeRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Scalar>, adding: Bool = false) {
            MatrixProduct.gemm(transposeA: true, transposeB: false, m: rows.count, n: row.count, k: 1,
                               a: column.base + rows.lowerBound, b: row.base, beta: adding ? 1 : 0, c: destination)
        }
    }

    /// Whether a gradient has flowed in, dense or as an outer product.
    var hasGradient: Bool { gradient != nil || outerProductGradient != nil }

    /// Drops the gradient (both representations).
    func clearGradient() {
        gradient = nil
        outerProductGradient = nil
    }

    /// Writes an outer-product gradient out into ``gradient``, so dense code can read and update it.
    func materializeGradient() {
        guard let product = outerProductGradient else { return }
        let dense = TensorStorage<Scalar>(uninitializedCount: count)
        product.writeRows(0..<product.column.count, into: dense.base)
        gradient = dense
        outerProductGradient = nil
    }

    /// Adds `column·rowᵀ` (exactly this node's shape, `(column.count, row.count)`) into the gradient.
    ///
    /// A leaf with no gradient yet keeps the factors (see ``OuterProduct``); otherwise the product
    /// is added densely. The factors are shared, not copied: tensors are copy-on-write, so nothing
    /// can change them while the gradient holds them.
    func accumulateOuterProduct(column: TensorStorage<Scalar>, row: TensorStorage<Scalar>) {
        require(shape.count == 2 && shape[0] == column.count && shape[1] == row.count,
                     "backward of \(op): outer product (\(column.count), \(row.count)) does not match \(shape)")
        let product = OuterProduct(column: column, row: row)
        if isLeaf && !hasGradient {
            outerProductGradient = product
            return
        }
        withGradientBuffer { buffer, accumulate in
            product.writeRows(0..<column.count, into: buffer, adding: accumulate)
        }
    }

    /// Gives `body` the gradient buffer to accumulate into, and whether it already holds values.
    ///
    /// A fresh buffer is *uninitialized*: a BLAS kernel writes it with `beta = 0`, others must
    /// overwrite every element when `accumulate` is `false`. This saves a zeroing pass per step.
    func withGradientBuffer(_ body: (_ buffer: UnsafeMutablePointer<Scalar>, _ accumulate: Bool) -> Void) {
        materializeGradient()
        if gradient != nil {
            // The gradient may be shared with a tensor handed out by `Tensor.gradient`.
            if !isKnownUniquelyReferenced(&gradient!) { gradient = gradient!.copy() }
            body(gradient!.base, true)
        } else {
            let fresh = TensorStorage<Scalar>(uninitializedCount: count)
            body(fresh.base, false)
            gradient = fresh
        }
    }

    /// Adds `value` (exactly this node's shape) into the gradient.
    func accumulate(_ value: consuming Tensor<Scalar>) {
        require(value.shape == shape,
                     "backward of \(op): gradient shape \(value.shape) does not match \(shape)")
        if !hasGradient {
            // Share the buffer instead of copying it: tensors are copy-on-write, and
            // `withGradientBuffer` copies a shared gradient before writing into it.
            gradient = value.storage
            return
        }
        withGradientBuffer { buffer, accumulate in
            value.withUnsafeBufferPointer { source in
                if accumulate {
                    VectorRoutines.add(source.baseAddress!, into: buffer, count: count)
                } else {
                    copyScalars(to: buffer, from: source.baseAddress!, count: count)
                }
            }
        }
    }

    /// Runs this node's backward step once and releases what it held.
    func runBackward() {
        guard let backwardFunction else { return }
        if let gradient { backwardFunction(Tensor(storage: gradient, shape: shape)) }
        release()
    }

    func release() {
        backwardFunction = nil
        inputs = []
        if !isLeaf { gradient = nil }
        isSpent = !isLeaf
    }
}

