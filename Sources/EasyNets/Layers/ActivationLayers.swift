// Activations as layers, for use in `Sequential`. Each has no parameters and is the same in
// training and evaluation.

/// `relu` as a layer.
public final class ReLU<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A ReLU layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { relu(x) }
    public var layerDescription: ModelDescription? { .layer(ReLUDescription()) }
}

/// The description of a ``ReLU`` layer (no hyperparameters).
public struct ReLUDescription: ShapePreservingLayerDescription {
    public static let kind = "relu"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { ReLU<Scalar>() }
}

extension ModelDescription {
    /// A ``ReLU`` layer.
    public static var relu: ModelDescription { .layer(ReLUDescription()) }
}

/// `leakyRelu` as a layer.
public final class LeakyReLU<Scalar: TensorScalar>: Layer {
    /// The slope for negative inputs.
    public let negativeSlope: Double
    public var isTraining = true
    /// A leaky ReLU with the given negative slope (PyTorch's default 0.01).
    public init(negativeSlope: Double = 0.01) {
        LeakyReLUDescription(negativeSlope: negativeSlope).requireValid()
        self.negativeSlope = negativeSlope
    }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { leakyRelu(x, negativeSlope: negativeSlope) }
    public var layerDescription: ModelDescription? { .layer(LeakyReLUDescription(negativeSlope: negativeSlope)) }
}

/// The description of a ``LeakyReLU`` layer.
public struct LeakyReLUDescription: ShapePreservingLayerDescription {
    public static let kind = "leakyRelu"
    public static let defaultFields = #"{"negativeSlope":0.01}"#
    /// The slope for negative inputs; finite.
    public var negativeSlope: Double
    /// A description with the given negative slope (PyTorch's default 0.01).
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    public func problem() -> String? {
        negativeSlope.isFinite ? nil : "LeakyReLU's negative slope \(negativeSlope) is not finite"
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        LeakyReLU<Scalar>(negativeSlope: negativeSlope)
    }
}

extension ModelDescription {
    /// A ``LeakyReLU`` layer.
    public static func leakyRelu(negativeSlope: Double = 0.01) -> ModelDescription { .layer(LeakyReLUDescription(negativeSlope: negativeSlope)) }
}

/// `elu` as a layer.
public final class ELU<Scalar: TensorScalar>: Layer {
    /// α, the negative saturation value.
    public let alpha: Double
    public var isTraining = true
    /// An ELU layer with the given α.
    public init(alpha: Double = 1) {
        ELUDescription(alpha: alpha).requireValid()
        self.alpha = alpha
    }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { elu(x, alpha: alpha) }
    public var layerDescription: ModelDescription? { .layer(ELUDescription(alpha: alpha)) }
}

/// The description of an ``ELU`` layer.
public struct ELUDescription: ShapePreservingLayerDescription {
    public static let kind = "elu"
    public static let defaultFields = #"{"alpha":1.0}"#
    /// α, the negative saturation value; finite.
    public var alpha: Double
    /// A description with the given α.
    public init(alpha: Double = 1) { self.alpha = alpha }
    public func problem() -> String? { alpha.isFinite ? nil : "ELU's alpha \(alpha) is not finite" }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        ELU<Scalar>(alpha: alpha)
    }
}

extension ModelDescription {
    /// An ``ELU`` layer.
    public static func elu(alpha: Double = 1) -> ModelDescription { .layer(ELUDescription(alpha: alpha)) }
}

/// `selu` as a layer.
public final class SELU<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A SELU layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { selu(x) }
    public var layerDescription: ModelDescription? { .layer(SELUDescription()) }
}

/// The description of a ``SELU`` layer (no hyperparameters).
public struct SELUDescription: ShapePreservingLayerDescription {
    public static let kind = "selu"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { SELU<Scalar>() }
}

extension ModelDescription {
    /// A ``SELU`` layer.
    public static var selu: ModelDescription { .layer(SELUDescription()) }
}

/// `gelu` as a layer, exact or with the tanh approximation.
public final class GELU<Scalar: TensorScalar>: Layer {
    /// Whether Φ is exact or the tanh approximation.
    public let approximation: GELUApproximation
    public var isTraining = true
    /// A GELU layer, exact by default.
    public init(approximation: GELUApproximation = .none) { self.approximation = approximation }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { gelu(x, approximation: approximation) }
    public var layerDescription: ModelDescription? { .layer(GELUDescription(tanhApproximation: approximation == .tanh)) }
}

/// The description of a ``GELU`` layer.
public struct GELUDescription: ShapePreservingLayerDescription {
    public static let kind = "gelu"
    public static let defaultFields = #"{"tanhApproximation":false}"#
    /// Whether Φ is the tanh approximation rather than exact.
    public var tanhApproximation: Bool
    /// A description of an exact or tanh-approximated GELU.
    public init(tanhApproximation: Bool = false) { self.tanhApproximation = tanhApproximation }
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        GELU<Scalar>(approximation: tanhApproximation ? .tanh : .none)
    }
}

extension ModelDescription {
    /// A ``GELU`` layer.
    public static func gelu(tanhApproximation: Bool = false) -> ModelDescription { .layer(GELUDescription(tanhApproximation: tanhApproximation)) }
}

/// `silu` as a layer.
public final class SiLU<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A SiLU layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { silu(x) }
    public var layerDescription: ModelDescription? { .layer(SiLUDescription()) }
}

/// The description of a ``SiLU`` layer (no hyperparameters).
public struct SiLUDescription: ShapePreservingLayerDescription {
    public static let kind = "silu"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { SiLU<Scalar>() }
}

extension ModelDescription {
    /// A ``SiLU`` layer.
    public static var silu: ModelDescription { .layer(SiLUDescription()) }
}

/// `mish` as a layer.
public final class Mish<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A Mish layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { mish(x) }
    public var layerDescription: ModelDescription? { .layer(MishDescription()) }
}

/// The description of a ``Mish`` layer (no hyperparameters).
public struct MishDescription: ShapePreservingLayerDescription {
    public static let kind = "mish"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { Mish<Scalar>() }
}

extension ModelDescription {
    /// A ``Mish`` layer.
    public static var mish: ModelDescription { .layer(MishDescription()) }
}

/// `sigmoid` as a layer.
public final class Sigmoid<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A sigmoid layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { sigmoid(x) }
    public var layerDescription: ModelDescription? { .layer(SigmoidDescription()) }
}

/// The description of a ``Sigmoid`` layer (no hyperparameters).
public struct SigmoidDescription: ShapePreservingLayerDescription {
    public static let kind = "sigmoid"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { Sigmoid<Scalar>() }
}

extension ModelDescription {
    /// A ``Sigmoid`` layer.
    public static var sigmoid: ModelDescription { .layer(SigmoidDescription()) }
}

/// `hardSigmoid` as a layer.
public final class HardSigmoid<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A hard-sigmoid layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { hardSigmoid(x) }
    public var layerDescription: ModelDescription? { .layer(HardSigmoidDescription()) }
}

/// The description of a ``HardSigmoid`` layer (no hyperparameters).
public struct HardSigmoidDescription: ShapePreservingLayerDescription {
    public static let kind = "hardSigmoid"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { HardSigmoid<Scalar>() }
}

extension ModelDescription {
    /// A ``HardSigmoid`` layer.
    public static var hardSigmoid: ModelDescription { .layer(HardSigmoidDescription()) }
}

/// `tanh` as a layer.
public final class Tanh<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A tanh layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { tanh(x) }
    public var layerDescription: ModelDescription? { .layer(TanhDescription()) }
}

/// The description of a ``Tanh`` layer (no hyperparameters).
public struct TanhDescription: ShapePreservingLayerDescription {
    public static let kind = "tanh"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { Tanh<Scalar>() }
}

extension ModelDescription {
    /// A ``Tanh`` layer.
    public static var tanh: ModelDescription { .layer(TanhDescription()) }
}

/// `softplus` as a layer.
public final class Softplus<Scalar: TensorScalar>: Layer {
    public var isTraining = true
    /// A softplus layer.
    public init() {}
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { softplus(x) }
    public var layerDescription: ModelDescription? { .layer(SoftplusDescription()) }
}

/// The description of a ``Softplus`` layer (no hyperparameters).
public struct SoftplusDescription: ShapePreservingLayerDescription {
    public static let kind = "softplus"
    /// The description.
    public init() {}
    public func problem() -> String? { nil }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { Softplus<Scalar>() }
}

extension ModelDescription {
    /// A ``Softplus`` layer.
    public static var softplus: ModelDescription { .layer(SoftplusDescription()) }
}

/// `softmax` along an axis as a layer.
public final class Softmax<Scalar: TensorScalar>: Layer {
    /// The axis the probabilities sum to 1 along.
    public let axis: Int
    public var isTraining = true
    /// A softmax over `axis` (the last by default).
    public init(axis: Int = -1) {
        SoftmaxDescription(axis: axis).requireValid()
        self.axis = axis
    }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { softmax(x, along: axis) }
    public var layerDescription: ModelDescription? { .layer(SoftmaxDescription(axis: axis)) }
}

/// The description of a ``Softmax`` layer.
public struct SoftmaxDescription: LayerDescription {
    public static let kind = "softmax"
    /// The axis the probabilities sum to 1 along, in -64...64 (negative counts from the end).
    public var axis: Int
    /// A description over `axis` (the last by default).
    public init(axis: Int = -1) { self.axis = axis }
    public func problem() -> String? { (-64...64).contains(axis) ? nil : "Softmax's axis \(axis) is outside -64...64" }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        _ = try inference.axis(axis, rank: shape.count, of: shape)
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Softmax<Scalar>(axis: axis)
    }
}

extension ModelDescription {
    /// A ``Softmax`` layer.
    public static func softmax(axis: Int = -1) -> ModelDescription { .layer(SoftmaxDescription(axis: axis)) }
}

/// `logSoftmax` along an axis as a layer.
public final class LogSoftmax<Scalar: TensorScalar>: Layer {
    /// The axis normalized over.
    public let axis: Int
    public var isTraining = true
    /// A log-softmax over `axis` (the last by default).
    public init(axis: Int = -1) {
        LogSoftmaxDescription(axis: axis).requireValid()
        self.axis = axis
    }
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { logSoftmax(x, along: axis) }
    public var layerDescription: ModelDescription? { .layer(LogSoftmaxDescription(axis: axis)) }
}

/// The description of a ``LogSoftmax`` layer.
public struct LogSoftmaxDescription: LayerDescription {
    public static let kind = "logSoftmax"
    /// The axis normalized over, in -64...64 (negative counts from the end).
    public var axis: Int
    /// A description over `axis` (the last by default).
    public init(axis: Int = -1) { self.axis = axis }
    public func problem() -> String? { (-64...64).contains(axis) ? nil : "LogSoftmax's axis \(axis) is outside -64...64" }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        _ = try inference.axis(axis, rank: shape.count, of: shape)
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        LogSoftmax<Scalar>(axis: axis)
    }
}

extension ModelDescription {
    /// A ``LogSoftmax`` layer.
    public static func logSoftmax(axis: Int = -1) -> ModelDescription { .layer(LogSoftmaxDescription(axis: axis)) }
}
