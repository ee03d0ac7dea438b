/// A trainable tensor owned by a layer and updated in place by an optimizer.
///
/// Layers and optimizers hold the same `Parameter` object, so an update is seen by both. The
/// wrapped ``value`` requires gradients; after ``Tensor/backward()`` its gradient is ``gradient``.
/// A frozen parameter (``isFrozen``) is a constant instead, as a PyTorch parameter with
/// `requires_grad = False`.
public final class Parameter<Scalar: TensorScalar> {
    /// The current value: a leaf that requires gradients, or, when frozen, a tensor off the tape.
    public var value: Tensor<Scalar> {
        didSet {
            if isFrozen {
                if value.requiresGradient { value = value.detached }
            } else if !value.requiresGradient || !value.isLeaf {
                value = value.detached
                value.requiresGradient = true
            }
            value.node?.hooks = hooks
        }
    }

    /// The gradient hooks, kept here so they survive a new tape leaf (``registerGradientHook(_:)``).
    let hooks = GradientHookList<Scalar>()

    /// Whether the parameter is frozen: the tape does not track it, so backward gives it no
    /// gradient, no optimizer steps it (even one it was given to), and ``Layer/trainableParameters``
    /// leaves it out. Checkpoints still save and load it. Freezing drops its gradient. See
    /// ``Layer/freeze()``.
    public var isFrozen = false {
        didSet {
            guard isFrozen != oldValue else { return }
            value.requiresGradient = !isFrozen
        }
    }

    /// Whether checkpoints store this tensor as 64-bit integers (PyTorch's
    /// `num_batches_tracked` is an int64 buffer).
    public var isInteger = false

    /// Wraps `value` as a leaf that requires gradients.
    public init(_ value: Tensor<Scalar>) {
        var leaf = value.detached
        leaf.requiresGradient = true
        self.value = leaf
        self.value.node?.hooks = hooks
    }

    /// The gradient accumulated by backward passes, or `nil`.
    public var gradient: Tensor<Scalar>? { value.gradient }

    /// The shape of the value.
    public var shape: [Int] { value.shape }

    /// Clears the accumulated gradient.
    public func zeroGradient() { value.zeroGradient() }

    /// Overwrites the values in place (same shape), keeping the tape leaf and any gradient.
    public func assign(_ newValue: Tensor<Scalar>) {
        require(newValue.shape == value.shape,
                     "Parameter.assign: shape \(newValue.shape) does not match \(value.shape)")
        newValue.withUnsafeBufferPointer { source in
            value.withUnsafeMutableBufferPointer { copyScalars(to: $0.baseAddress!, from: source.baseAddress!, count: source.count) }
        }
    }
}
