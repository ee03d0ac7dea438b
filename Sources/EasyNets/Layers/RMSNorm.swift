/// Root-mean-square normalization over the trailing axes `normalizedShape`, PyTorch's
/// `nn.RMSNorm`: `y = x / √(E[x²] + ε) · weight`, the mean over those axes. Unlike ``LayerNorm``
/// it neither centers nor shifts. Parameter `weight` (ones) has `normalizedShape`. The default ε is
/// the machine epsilon of the scalar type (`Scalar.ulpOfOne`, PyTorch's `torch.finfo(dtype).eps`).
public final class RMSNorm<Scalar: TensorScalar>: Layer, NormalizationLayer {
    /// The trailing axes normalized over.
    public let normalizedShape: [Int]
    /// Added to the mean square before the square root, or `nil` for the scalar type's machine epsilon.
    public let epsilon: Double?
    /// The elementwise scale (ones at first), or `nil` without one.
    public let weight: Parameter<Scalar>?  // normalizedShape
    public var isTraining = true

    /// Normalizes over the trailing axes `normalizedShape`, with a learned elementwise scale when
    /// `elementwiseAffine`.
    public init(_ normalizedShape: [Int], epsilon: Double? = nil, elementwiseAffine: Bool = true) {
        RMSNormDescription(normalizedShape: normalizedShape, epsilon: epsilon, elementwiseAffine: elementwiseAffine).requireValid()
        self.normalizedShape = normalizedShape
        self.epsilon = epsilon
        weight = elementwiseAffine ? Parameter(.ones(normalizedShape)) : nil
    }

    /// The ε this layer adds: ``epsilon`` or the machine epsilon of `Scalar`.
    public var effectiveEpsilon: Double { epsilon ?? Double(Scalar.ulpOfOne) }

    /// `x · (E[x²] + ε)^(−1/2)` over the trailing axes, times the weight; autodiff gives the backward pass.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require(Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                "RMSNorm: input shape \(x.shape) does not end in \(normalizedShape)")
        let axes = Array((x.rank - normalizedShape.count)..<x.rank)
        let meanSquare = square(x).mean(alongAxes: axes, keepingDims: true)
        let y = x / sqrt(meanSquare + Scalar(effectiveEpsilon))
        return weight.map { y * $0.value } ?? y
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { weight.map { [("weight", $0)] } ?? [] }

    public var summaryName: String { "RMSNorm(\(normalizedShape))" }

    public var layerDescription: ModelDescription? {
        .layer(RMSNormDescription(normalizedShape: normalizedShape, epsilon: epsilon, elementwiseAffine: weight != nil))
    }
}

/// The description of an ``RMSNorm`` layer.
public struct RMSNormDescription: LayerDescription {
    public static let kind = "rmsNorm"
    public static let defaultFields = #"{"elementwiseAffine":true,"epsilon":null}"#
    /// The trailing axes normalized over: 1 to 64 extents ≥ 1.
    public var normalizedShape: [Int]
    /// Added to the mean square before the square root: finite and > 0, or `nil` (no key) for the
    /// scalar type's machine epsilon.
    public var epsilon: Double?
    /// Whether the layer has a learned elementwise scale.
    public var elementwiseAffine: Bool
    /// A description normalizing over the trailing axes `normalizedShape`.
    public init(normalizedShape: [Int], epsilon: Double? = nil, elementwiseAffine: Bool = true) {
        (self.normalizedShape, self.epsilon, self.elementwiseAffine) = (normalizedShape, epsilon, elementwiseAffine)
    }
    public func problem() -> String? {
        normalizedShape.isEmpty || normalizedShape.count > 64 || normalizedShape.contains { $0 < 1 }
            || !(epsilon.map { $0 > 0 && $0.isFinite } ?? true)
            ? "RMSNorm needs 1 to 64 extents ≥ 1 and a finite ε > 0 (or none), got \(normalizedShape) and "
                + (epsilon.map { "\($0)" } ?? "nil") : nil
    }
    public var stateCount: Int? { elementwiseAffine ? InputLimits.elementCount(normalizedShape) : 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard Array(shape.suffix(normalizedShape.count)) == normalizedShape else {
            throw inference.error("RMSNorm normalizes trailing axes \(normalizedShape), the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        RMSNorm<Scalar>(normalizedShape, epsilon: epsilon, elementwiseAffine: elementwiseAffine)
    }
}

extension ModelDescription {
    /// An ``RMSNorm`` layer.
    public static func rmsNorm(normalizedShape: [Int], epsilon: Double? = nil, elementwiseAffine: Bool = true) -> ModelDescription {
        .layer(RMSNormDescription(normalizedShape: normalizedShape, epsilon: epsilon, elementwiseAffine: elementwiseAffine))
    }
}
