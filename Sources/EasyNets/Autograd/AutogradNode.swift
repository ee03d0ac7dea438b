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
    /// Reads `self.gradient` and accumulates into the inputs. `nil` for leaves and spent nodes.
    private var backwardFunction: ((AutogradNode) -> Void)?
    /// Accumulated gradient (same shape as the tensor); `nil` until something flows in.
    var gradient: TensorStorage<Scalar>?
    let isLeaf: Bool
    private(set) var isSpent = false

    init(leafOfShape shape: [Int]) {
        op = "leaf"
        self.shape = shape
        inputs = []
        isLeaf = true
    }

    init(op: String, shape: [Int], inputs: [AutogradNode], backward: @escaping (AutogradNode) -> Void) {
        self.op = op
        self.shape = shape
        self.inputs = inputs
        self.backwardFunction = backward
        isLeaf = false
    }

    var count: Int { shape.reduce(1, *) }

    /// Gives `body` the gradient buffer to accumulate into, and whether it already holds values.
    ///
    /// A fresh buffer is *uninitialized*: a BLAS kernel writes it with `beta = 0`, others must
    /// overwrite every element when `accumulate` is `false`. This saves a zeroing pass per step.
    func withGradientBuffer(_ body: (_ buffer: UnsafeMutablePointer<Scalar>, _ accumulate: Bool) -> Void) {
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
        precondition(value.shape == shape,
                     "backward of \(op): gradient shape \(value.shape) does not match \(shape)")
        if gradient == nil, isKnownUniquelyReferenced(&value.storage) {
            // Take ownership of a freshly computed buffer instead of copying it.
            gradient = value.storage
            return
        }
        withGradientBuffer { buffer, accumulate in
            value.withUnsafeBufferPointer { source in
                if accumulate {
                    Scalar.blasAxpy(count: count, alpha: 1, x: source.baseAddress!, incX: 1, y: buffer, incY: 1)
                } else {
                    copyScalars(to: buffer, from: source.baseAddress!, count: count)
                }
            }
        }
    }

    /// Runs this node's backward step once and releases what it held.
    func runBackward() {
        guard let backwardFunction else { return }
        if gradient != nil { backwardFunction(self) }
        release()
    }

    func release() {
        backwardFunction = nil
        inputs = []
        if !isLeaf { gradient = nil }
        isSpent = !isLeaf
    }
}

