/// Group normalization, PyTorch's `nn.GroupNorm`: the C channels of (N, C, …) input split into G
/// groups of C/G consecutive channels, each (example, group) normalized over its channels and
/// positions with the biased variance, `y = (x − E[x]) / √(Var[x] + ε) · weight[c] + bias[c]`.
/// Unlike batch normalization, the statistics never mix examples, so training and evaluation
/// compute the same and any batch size works. Parameters `weight` (ones) and `bias` (zeros), (C).
public final class GroupNorm<Scalar: TensorScalar>: Layer, NormalizationLayer {
    /// The number of groups G (dividing the channels).
    public let groupCount: Int
    /// The number of channels C.
    public let channelCount: Int
    /// Added to the variance before the square root.
    public let epsilon: Double
    /// The per-channel scale (ones at first), or `nil` without an affine transform.
    public let weight: Parameter<Scalar>?  // (C)
    /// The per-channel shift (zeros at first), or `nil` without an affine transform.
    public let bias: Parameter<Scalar>?    // (C)
    public var isTraining = true

    /// Normalizes `channelCount` channels in `groupCount` groups, with a learned per-channel scale
    /// and shift when `affine`.
    public init(groupCount: Int, channelCount: Int, epsilon: Double = 1e-5, affine: Bool = true) {
        GroupNormDescription(groupCount: groupCount, channelCount: channelCount, epsilon: epsilon, affine: affine).requireValid()
        (self.groupCount, self.channelCount, self.epsilon) = (groupCount, channelCount, epsilon)
        weight = affine ? Parameter(.ones([channelCount])) : nil
        bias = affine ? Parameter(.zeros([channelCount])) : nil
    }

    /// Statistics per (example, group) over (C/G, …) as mean and biased variance of a (N, G, M)
    /// view; autodiff gives the backward pass.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require(x.rank >= 2 && x.shape[1] == channelCount,
                "GroupNorm: input shape \(x.shape) is not (N, \(channelCount), …)")
        let grouped = x.reshaped(to: [x.shape[0], groupCount, -1])
        let centered = grouped - grouped.mean(alongAxes: [2], keepingDims: true)
        let variance = square(centered).mean(alongAxes: [2], keepingDims: true)
        var y = (centered / sqrt(variance + Scalar(epsilon))).reshaped(to: x.shape)
        let perChannel = [1, channelCount] + Array(repeating: 1, count: x.rank - 2)  // broadcast over N and positions
        if let weight { y = y * weight.value.reshaped(to: perChannel) }
        if let bias { y = y + bias.value.reshaped(to: perChannel) }
        return y
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String { "GroupNorm(\(groupCount) groups, \(channelCount))" }

    public var layerDescription: ModelDescription? {
        .layer(GroupNormDescription(groupCount: groupCount, channelCount: channelCount, epsilon: epsilon, affine: weight != nil))
    }
}

/// The description of a ``GroupNorm`` layer.
public struct GroupNormDescription: LayerDescription {
    public static let kind = "groupNorm"
    public static let defaultFields = #"{"epsilon":1e-05,"affine":true}"#
    /// The number of groups G, at least 1 and dividing the channels.
    public var groupCount: Int
    /// The number of channels C, at least 1.
    public var channelCount: Int
    /// Added to the variance before the square root; finite and > 0.
    public var epsilon: Double
    /// Whether the layer has a learned per-channel scale and shift.
    public var affine: Bool

    /// A description of group normalization of `channelCount` channels in `groupCount` groups.
    public init(groupCount: Int, channelCount: Int, epsilon: Double = 1e-5, affine: Bool = true) {
        (self.groupCount, self.channelCount, self.epsilon, self.affine) = (groupCount, channelCount, epsilon, affine)
    }

    public func problem() -> String? {
        groupCount < 1 || channelCount < 1 || channelCount % groupCount != 0 || !(epsilon > 0 && epsilon.isFinite)
            ? "GroupNorm needs channels ≥ 1 that split into groups ≥ 1 and a finite ε > 0, got \(channelCount) channels, "
                + "\(groupCount) groups, ε \(epsilon)"
            : nil
    }

    public var stateCount: Int? { affine ? CheckedCount.product(channelCount, 2) : 0 }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count >= 2 && shape[1] == channelCount else {
            throw inference.error("GroupNorm takes (N, \(channelCount), …), the input has shape \(shape)")
        }
        return shape
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        GroupNorm<Scalar>(groupCount: groupCount, channelCount: channelCount, epsilon: epsilon, affine: affine)
    }
}

extension ModelDescription {
    /// A ``GroupNorm`` layer.
    public static func groupNorm(groupCount: Int, channelCount: Int, epsilon: Double = 1e-5, affine: Bool = true) -> ModelDescription {
        .layer(GroupNormDescription(groupCount: groupCount, channelCount: channelCount, epsilon: epsilon, affine: affine))
    }
}
