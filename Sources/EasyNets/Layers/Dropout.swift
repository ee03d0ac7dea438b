/// Inverted dropout: in training, each element is zeroed with probability `p` and the survivors
/// are scaled by 1/(1 − p), so evaluation (where the layer is the identity) needs no rescaling.
///
/// The mask comes from the layer's own seeded generator, so runs repeat exactly.
public final class Dropout<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The probability p of zeroing an element in training.
    public let probability: Double
    /// The generator masks are drawn from (saved in training checkpoints).
    public var generator: RandomGenerator
    public var isTraining = true

    /// A dropout layer with its own generator seeded by `seed`.
    public init(probability: Double = 0.5, seed: UInt64 = 0) {
        DropoutDescription(probability: probability).requireValid()
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        guard isTraining, probability > 0 else { return input }
        return input * dropoutMask(input.shape, probability: probability, using: &generator)
    }

    public var summaryName: String { "Dropout(p: \(probability))" }
    public var layerDescription: ModelDescription? { .layer(DropoutDescription(probability: probability)) }
}

/// Inverted dropout's mask of `shape`: 1/(1 − p) where a uniform draw is at least p, else 0.
func dropoutMask<Scalar: TensorScalar>(_ shape: [Int], probability: Double, using generator: inout RandomGenerator) -> Tensor<Scalar> {
    let draws = Tensor<Scalar>.uniform(shape, using: &generator)
    return (draws .>= Scalar(probability)) * Scalar(1 / (1 - probability))
}

/// Channel dropout (PyTorch's `nn.Dropout2d`): in training, each channel of each example, a whole
/// (H, W) plane of an (N, C, H, W) input, is zeroed with probability `p` and the others scaled by
/// 1/(1 − p). Neighbouring pixels are strongly correlated, so dropping them one by one would
/// regularize little. Evaluation is the identity. The mask comes from the layer's own generator.
public final class Dropout2d<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The probability p of zeroing a channel in training.
    public let probability: Double
    /// The generator masks are drawn from (saved in training checkpoints).
    public var generator: RandomGenerator
    public var isTraining = true

    /// A channel-dropout layer with its own generator seeded by `seed`.
    public init(probability: Double = 0.5, seed: UInt64 = 0) {
        Dropout2dDescription(probability: probability).requireValid()
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        require(input.rank == 4, "Dropout2d: input must be (N, C, H, W), shape is \(input.shape)")
        guard isTraining, probability > 0 else { return input }
        return input * dropoutMask([input.shape[0], input.shape[1], 1, 1], probability: probability, using: &generator)
    }

    public var summaryName: String { "Dropout2d(p: \(probability))" }
    public var layerDescription: ModelDescription? { .layer(Dropout2dDescription(probability: probability)) }
}

/// The description of a ``Dropout`` layer; built from a model description, the k-th stochastic
/// layer is seeded with the model's first dropout seed + k.
public struct DropoutDescription: ShapePreservingLayerDescription {
    public static let kind = "dropout"
    public static let defaultFields = #"{"probability":0.5}"#
    /// The probability p of zeroing an element in training, in [0, 1).
    public var probability: Double
    /// A description with drop probability `probability`.
    public init(probability: Double = 0.5) { self.probability = probability }
    public func problem() -> String? {
        probability >= 0 && probability < 1 ? nil : "dropout probability \(probability) is outside [0, 1)"
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Dropout<Scalar>(probability: probability, seed: context.takeSeed())
    }
}

extension ModelDescription {
    /// A ``Dropout`` layer.
    public static func dropout(probability: Double = 0.5) -> ModelDescription { .layer(DropoutDescription(probability: probability)) }
}

/// The description of a ``Dropout2d`` layer, seeded as ``DropoutDescription`` is.
public struct Dropout2dDescription: LayerDescription {
    public static let kind = "dropout2d"
    public static let defaultFields = #"{"probability":0.5}"#
    public static var takesImages: Bool { true }
    /// The probability p of zeroing a channel in training, in [0, 1).
    public var probability: Double
    /// A description with drop probability `probability`.
    public init(probability: Double = 0.5) { self.probability = probability }
    public func problem() -> String? {
        probability >= 0 && probability < 1 ? nil : "Dropout2d probability \(probability) is outside [0, 1)"
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4 else { throw inference.error("Dropout2d takes (N, C, H, W), the input has shape \(shape)") }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Dropout2d<Scalar>(probability: probability, seed: context.takeSeed())
    }
}

extension ModelDescription {
    /// A ``Dropout2d`` layer.
    public static func dropout2d(probability: Double = 0.5) -> ModelDescription { .layer(Dropout2dDescription(probability: probability)) }
}
