// Activations as layers, for use in `Sequential`. Each has no parameters and is the same in
// training and evaluation.

/// `relu` as a layer.
public final class ReLU<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A ReLU layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { relu(x) }
}

/// `leakyRelu` as a layer.
public final class LeakyReLU<Scalar: TensorScalar>: Layer {
    /// The slope for negative inputs.
    public let negativeSlope: Double
    public var isTraining = true
    /// A leaky ReLU with the given negative slope (PyTorch's default 0.01).
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { leakyRelu(x, negativeSlope: negativeSlope) }
}

/// `elu` as a layer.
public final class ELU<Scalar: TensorScalar>: Layer {
    /// α, the negative saturation value.
    public let alpha: Double
    public var isTraining = true
    /// An ELU layer with the given α.
    public init(alpha: Double = 1) { self.alpha = alpha }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { elu(x, alpha: alpha) }
}

/// `selu` as a layer.
public final class SELU<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A SELU layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { selu(x) }
}

/// `gelu` as a layer, exact or with the tanh approximation.
public final class GELU<Scalar: TensorScalar>: Layer {
    /// Whether Φ is exact or the tanh approximation.
    public let approximation: GELUApproximation
    public var isTraining = true
    /// A GELU layer, exact by default.
    public init(approximation: GELUApproximation = .none) { self.approximation = approximation }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { gelu(x, approximation: approximation) }
}

/// `silu` as a layer.
public final class SiLU<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A SiLU layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { silu(x) }
}

/// `mish` as a layer.
public final class Mish<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A Mish layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { mish(x) }
}

/// `sigmoid` as a layer.
public final class Sigmoid<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A sigmoid layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { sigmoid(x) }
}

/// `hardSigmoid` as a layer.
public final class HardSigmoid<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A hard-sigmoid layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { hardSigmoid(x) }
}

/// `tanh` as a layer.
public final class Tanh<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A tanh layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { tanh(x) }
}

/// `softplus` as a layer.
public final class Softplus<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A softplus layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { softplus(x) }
}

/// `softmax` along an axis as a layer.
public final class Softmax<Scalar: TensorScalar>: Layer {
    /// The axis the probabilities sum to 1 along.
    public let axis: Int
    public var isTraining = true
    /// A softmax over `axis` (the last by default).
    public init(axis: Int = -1) { self.axis = axis }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { softmax(x, along: axis) }
}

/// `logSoftmax` along an axis as a layer.
public final class LogSoftmax<Scalar: TensorScalar>: Layer {
    /// The axis normalized over.
    public let axis: Int
    public var isTraining = true
    /// A log-softmax over `axis` (the last by default).
    public init(axis: Int = -1) { self.axis = axis }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { logSoftmax(x, along: axis) }
}
