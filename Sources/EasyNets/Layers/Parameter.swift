/// A trainable tensor owned by a layer and updated in place by an optimizer.
///
/// Layers and optimizers hold the same `Parameter` object, so an update is seen by both. The
/// wrapped ``value`` requires gradients; after ``Tensor/backward()`` its gradient is ``gradient``.
public final class Parameter<Scalar: TensorScalar> {
    /// The current value (a leaf that requires gradients).
    public var value: Tensor<Scalar> {
        didSet {
            if !value.requiresGradient || !value.isLeaf {
                value = value.detached
                value.requiresGradient = true
            }
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
