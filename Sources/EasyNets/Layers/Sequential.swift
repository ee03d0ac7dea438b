/// Builds the layer list of a ``Sequential`` from a block of layer expressions.
@resultBuilder
public enum LayerBuilder<Scalar: TensorScalar> {
    /// A layer in the block.
    public static func buildExpression(_ layer: some Layer<Scalar>) -> [any Layer<Scalar>] { [layer] }
    /// A layer held as an existential.
    public static func buildExpression(_ layer: any Layer<Scalar>) -> [any Layer<Scalar>] { [layer] }
    /// The layers of the block, in order.
    public static func buildBlock(_ parts: [any Layer<Scalar>]...) -> [any Layer<Scalar>] { parts.flatMap { $0 } }
    /// The layers of an `if` without `else`, when its condition holds.
    public static func buildOptional(_ part: [any Layer<Scalar>]?) -> [any Layer<Scalar>] { part ?? [] }
    /// The layers of the first branch of an `if`/`else` or `switch`.
    public static func buildEither(first part: [any Layer<Scalar>]) -> [any Layer<Scalar>] { part }
    /// The layers of the second branch of an `if`/`else` or `switch`.
    public static func buildEither(second part: [any Layer<Scalar>]) -> [any Layer<Scalar>] { part }
    /// The layers of a `for` loop.
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

    /// The given layers, in order.
    public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }

    /// The layers listed in `build`, in order.
    public convenience init(@LayerBuilder<Scalar> _ build: () -> [any Layer<Scalar>]) {
        self.init(build())
    }

    /// Whether runs of layers that ``LayerFusion`` recognizes (convolution → batch normalization →
    /// ReLU → max pooling) run as one op; the tests turn it off to compare with the layers one by one.
    var fusesLayers = true

    /// The layers applied in order. Batch normalization followed by ReLU (and max pooling) runs in
    /// the normalization's own passes, and takes its statistics from the convolution before it, with
    /// the same values as the layers one by one.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        var x = input, index = 0
        while index < layers.count {
            if fusesLayers, let (output, count) = LayerFusion.run(layers, at: index, input: x) {
                (x, index) = (output, index + count)
            } else {
                (x, index) = (layers[index](x), index + 1)
            }
        }
        return x
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public var summaryName: String { "Sequential" }
}

/// `x + block(x)`: a residual (skip) connection around `block`, whose output must have the
/// input's shape. The block's parameters are named `block.…`.
public final class Residual<Scalar: TensorScalar>: Layer {
    /// The wrapped computation f in x + f(x).
    public let block: any Layer<Scalar>
    public var isTraining = true

    /// A skip connection around `block`.
    public init(_ block: any Layer<Scalar>) { self.block = block }

    /// A skip connection around the layers listed in `build`, applied in order.
    public convenience init(@LayerBuilder<Scalar> _ build: () -> [any Layer<Scalar>]) {
        self.init(Sequential(build()))
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let output = block(input)
        require(output.shape == input.shape,
                     "Residual: block output shape \(output.shape) differs from input shape \(input.shape)")
        return input + output
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] { [("block", block)] }
}

/// Returns its input unchanged.
public final class Identity<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// An identity layer.
    public init() {}
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input }
    public var layerDescription: ModelDescription? { .layer(IdentityDescription()) }
}

/// The description of an ``Identity`` layer (no hyperparameters).
public struct IdentityDescription: ShapePreservingLayerDescription {
    public static let kind = "identity"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { Identity<Scalar>() }
}

extension ModelDescription {
    /// An ``Identity`` layer.
    public static var identity: ModelDescription { .layer(IdentityDescription()) }
}

/// Flattens every axis from `startAxis` on into one (default: keep the batch axis), as
/// PyTorch's `nn.Flatten`.
public final class Flatten<Scalar: TensorScalar>: Layer {
    /// The first axis merged (negative counts from the end).
    public let startAxis: Int
    public var isTraining = true
    /// Merges the axes from `startAxis` on (PyTorch's default keeps the batch axis).
    public init(startAxis: Int = 1) {
        FlattenDescription(startAxis: startAxis).requireValid()
        self.startAxis = startAxis
    }
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let start = normalizedAxis(startAxis, rank: input.rank, op: "Flatten")
        return input.reshaped(to: Array(input.shape[..<start]) + [-1])
    }
    public var layerDescription: ModelDescription? { .layer(FlattenDescription(startAxis: startAxis)) }
}

/// The description of a ``Flatten`` layer.
public struct FlattenDescription: LayerDescription {
    public static let kind = "flatten"
    public static let defaultFields = #"{"startAxis":1}"#
    /// The first axis merged, in -64...64 (negative counts from the end).
    public var startAxis: Int
    /// A description merging the axes from `startAxis` on.
    public init(startAxis: Int = 1) { self.startAxis = startAxis }
    public func problem() -> String? { (-64...64).contains(startAxis) ? nil : "Flatten's axis \(startAxis) is outside -64...64" }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        let start = try inference.axis(startAxis, rank: shape.count, of: shape)
        guard let merged = InputLimits.elementCount(Array(shape[start...])) else { throw inference.error("input shape \(shape) overflows") }
        return Array(shape[..<start]) + [merged]
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Flatten<Scalar>(startAxis: startAxis)
    }
}

extension ModelDescription {
    /// A ``Flatten`` layer.
    public static func flatten(startAxis: Int = 1) -> ModelDescription { .layer(FlattenDescription(startAxis: startAxis)) }
}

/// Reorders the axes of its input: axis i of the output is axis `axes[i]` of the input, as
/// `Tensor.permute` (torchvision's `ops.Permute`). A sequence model's scores (N, L, classes)
/// become (N, classes, L) with `Permute([0, 2, 1])`, the class axis second as the losses take it.
public final class Permute<Scalar: TensorScalar>: Layer {
    /// The input axis each output axis takes (negative counts from the end).
    public let axes: [Int]
    public var isTraining = true
    /// A layer moving axis `axes[i]` of its input to axis i of its output.
    public init(_ axes: [Int]) {
        PermuteDescription(axes: axes).requireValid()
        self.axes = axes
    }
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        require(input.rank == axes.count, "Permute: axes \(axes) do not match the input shape \(input.shape)")
        return input.permuted(axes)
    }
    public var summaryName: String { "Permute(\(axes))" }
    public var layerDescription: ModelDescription? { .layer(PermuteDescription(axes: axes)) }
}

/// The description of a ``Permute`` layer.
public struct PermuteDescription: LayerDescription {
    public static let kind = "permute"
    /// The input axis each output axis takes: a permutation of 1 to 64 axes (negative counts from the end).
    public var axes: [Int]
    /// A description moving axis `axes[i]` to axis i.
    public init(axes: [Int]) { self.axes = axes }
    public func problem() -> String? {
        axes.isEmpty || axes.count > 64 || Set(axes.map { $0 < 0 ? $0 + axes.count : $0 }) != Set(0..<axes.count)
            ? "Permute's axes \(axes) are not a permutation of 1 to 64 axes" : nil
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == axes.count else { throw inference.error("Permute's axes \(axes) do not match the input shape \(shape)") }
        return axes.map { shape[$0 < 0 ? $0 + axes.count : $0] }
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Permute<Scalar>(axes)
    }
}

extension ModelDescription {
    /// A ``Permute`` layer.
    public static func permute(axes: [Int]) -> ModelDescription { .layer(PermuteDescription(axes: axes)) }
}
