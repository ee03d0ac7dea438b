/// Builds the layer list of a ``Sequential`` from a block of layer expressions.
@resultBuilder
public enum LayerBuilder<Scalar: TensorScalar> {
    public static func buildExpression(_ layer: some Layer<Scalar>) -> [any Layer<Scalar>] { [layer] }
    public static func buildExpression(_ layer: any Layer<Scalar>) -> [any Layer<Scalar>] { [layer] }
    public static func buildBlock(_ parts: [any Layer<Scalar>]...) -> [any Layer<Scalar>] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer<Scalar>]?) -> [any Layer<Scalar>] { part ?? [] }
    public static func buildEither(first part: [any Layer<Scalar>]) -> [any Layer<Scalar>] { part }
    public static func buildEither(second part: [any Layer<Scalar>]) -> [any Layer<Scalar>] { part }
    public static func buildArray(_ parts: [[any Layer<Scalar>]]) -> [any Layer<Scalar>] { parts.flatMap { $0 } }
}

/// Layers applied in order: the output of each is the input of the next.
///
/// Parameter names follow PyTorch's `nn.Sequential`: the layer's index (counting parameter-free
/// layers too), a dot, the layer's own name: `0.weight`, `0.bias`, `2.weight`, … so a state dict
/// saved from the equivalent `torch.nn.Sequential` loads directly.
///
/// ```swift
/// let model = Sequential<Float> {
///     Linear(784, 256)
///     ReLU()
///     Linear(256, 10)
/// }
/// ```
public final class Sequential<Scalar: TensorScalar>: Layer {
    /// The layers, in order.
    public let layers: [any Layer<Scalar>]
    public var isTraining = true

    public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }

    public convenience init(@LayerBuilder<Scalar> _ build: () -> [any Layer<Scalar>]) {
        self.init(build())
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        layers.reduce(input) { x, layer in layer(x) }
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public var summaryName: String { "Sequential" }
}

/// `x + block(x)`: a residual (skip) connection around `block`, whose output must have the
/// input's shape. The block's parameters are named `block.…`.
public final class Residual<Scalar: TensorScalar>: Layer {
    public let block: any Layer<Scalar>
    public var isTraining = true

    public init(_ block: any Layer<Scalar>) { self.block = block }

    public convenience init(@LayerBuilder<Scalar> _ build: () -> [any Layer<Scalar>]) {
        self.init(Sequential(build()))
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let output = block(input)
        precondition(output.shape == input.shape,
                     "Residual: block output shape \(output.shape) differs from input shape \(input.shape)")
        return input + output
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] { [("block", block)] }
}

/// Returns its input unchanged.
public final class Identity<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input }
}

/// Flattens every axis from `startAxis` on into one (default: keep the batch axis), as
/// PyTorch's `nn.Flatten`.
public final class Flatten<Scalar: TensorScalar>: Layer {
    public let startAxis: Int
    public var isTraining = true
    public init(startAxis: Int = 1) { self.startAxis = startAxis }
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let start = normalizedAxis(startAxis, rank: input.rank, op: "Flatten")
        return input.reshaped(to: Array(input.shape[..<start]) + [-1])
    }
}
