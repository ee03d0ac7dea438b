/// Instance normalization of sequences, PyTorch's `nn.InstanceNorm1d`: each (example, channel) of
/// (N, C, L) input, or of unbatched (C, L) input, normalized over its positions with the biased
/// variance, `y = (x − E[x]) / √(Var[x] + ε) · weight[c] + bias[c]`.
///
/// With `affine`, parameters `weight` (ones) and `bias` (zeros), (C). With `trackRunningStats`,
/// buffers `running_mean` (zeros), `running_var` (ones) and `num_batches_tracked` (which stays 0,
/// as in PyTorch): training moves them by `momentum` towards the examples' average mean and
/// average unbiased variance, `running = (1 − momentum)·running + momentum·mean over n`, and
/// evaluation normalizes every example with them. Without it, training and evaluation compute the
/// same. Each example and channel is a channel of the fused batch-normalization kernel over a
/// (1, N·C, L) view, as PyTorch computes it.
public final class InstanceNorm1d<Scalar: TensorScalar>: Layer, NormalizationLayer {
    /// The number of channels C.
    public let featureCount: Int
    /// Added to the variance before the square root.
    public let epsilon: Double
    /// The weight of each new batch in the running statistics.
    public let momentum: Double
    /// The per-channel scale (ones at first), or `nil` without an affine transform.
    public let weight: Parameter<Scalar>?  // (C)
    /// The per-channel shift (zeros at first), or `nil` without an affine transform.
    public let bias: Parameter<Scalar>?    // (C)
    /// The running mean used in evaluation (`running_mean`), or `nil` without running statistics.
    public let runningMean: Parameter<Scalar>?  // (C)
    /// The running unbiased variance used in evaluation (`running_var`), or `nil` without running statistics.
    public let runningVariance: Parameter<Scalar>?  // (C)
    /// PyTorch's `num_batches_tracked` (always 0: instance normalization does not count batches),
    /// or `nil` without running statistics.
    public let batchesTracked: Parameter<Scalar>?  // ()
    public var isTraining = true

    /// Whether the layer keeps running statistics for evaluation.
    public var trackRunningStats: Bool { runningMean != nil }

    /// Instance normalization of `featureCount` channels, with a learned per-channel scale and
    /// shift when `affine` and running statistics for evaluation when `trackRunningStats`.
    public init(_ featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false) {
        InstanceNorm1dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                                  trackRunningStats: trackRunningStats).requireValid()
        (self.featureCount, self.epsilon, self.momentum) = (featureCount, epsilon, momentum)
        weight = affine ? Parameter(.ones([featureCount])) : nil
        bias = affine ? Parameter(.zeros([featureCount])) : nil
        (runningMean, runningVariance, batchesTracked) = trackRunningStats ? runningStatistics(featureCount) : (nil, nil, nil)
    }

    /// Normalizes (N, C, L) or unbatched (C, L) input.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require((x.rank == 2 && x.shape[0] == featureCount) || (x.rank == 3 && x.shape[1] == featureCount),
                "InstanceNorm1d: input shape \(x.shape) is not (N, \(featureCount), L) or (\(featureCount), L)")
        return x.rank == 2 ? instanceNorm(x.reshaped(to: [1] + x.shape), layer: "InstanceNorm1d").reshaped(to: x.shape)
            : instanceNorm(x, layer: "InstanceNorm1d")
    }

    /// Normalizes each (example, channel) of `x` (N, C, …): the one implementation behind
    /// ``InstanceNorm1d`` and ``InstanceNorm2d``. The (N, C, …) input becomes (1, N·C, positions),
    /// whose channels ``normalizeChannels(_:mean:inverseDeviation:weight:bias:training:)``
    /// normalizes with the weight and bias repeated N times (their gradients sum over the examples).
    func instanceNorm(_ x: Tensor<Scalar>, layer: String) -> Tensor<Scalar> {
        let (n, c) = (x.shape[0], x.shape[1])
        let positions = x.count / Swift.max(n * c, 1)
        let instances = x.reshaped(to: [1, n * c, positions])
        var mean: [Double], inverseDeviation: [Double]
        let instanceStatistics = isTraining || runningMean == nil
        if instanceStatistics {
            require(positions > 1, "\(layer): instance statistics need more than one position per channel, input shape \(x.shape)")
            let variance: [Double]
            (mean, variance) = channelStatistics(instances)
            inverseDeviation = variance.map { 1 / ($0 + epsilon).squareRoot() }
            if isTraining, let runningMean, let runningVariance {
                // PyTorch updates a copy of the running statistics per example and keeps their average.
                func average(_ values: [Double]) -> [Double] {
                    (0..<c).map { channel in (0..<n).reduce(0) { $0 + values[$1 * c + channel] } / Double(n) }
                }
                let unbiased = variance.map { $0 * Double(positions) / Double(positions - 1) }
                withoutGradients {
                    updateRunningStatistics(mean: runningMean, variance: runningVariance, factor: momentum, batchMean: average(mean),
                                            batchVariance: average(unbiased))
                }
            }
        } else {
            let runningMeans = runningMean!.value.scalars.map { Double($0) }
            let runningDeviations = runningVariance!.value.scalars.map { 1 / (Double($0) + epsilon).squareRoot() }
            mean = Array((0..<n).map { _ in runningMeans }.joined())
            inverseDeviation = Array((0..<n).map { _ in runningDeviations }.joined())
        }
        return normalizeChannels(instances, mean: mean, inverseDeviation: inverseDeviation, weight: weight?.value.repeated([n]),
                                 bias: bias?.value.repeated([n]), training: instanceStatistics).reshaped(to: x.shape)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public var buffers: [(name: String, parameter: Parameter<Scalar>)] {
        guard let runningMean, let runningVariance, let batchesTracked else { return [] }
        return [("running_mean", runningMean), ("running_var", runningVariance), ("num_batches_tracked", batchesTracked)]
    }

    public var summaryName: String { "InstanceNorm1d(\(featureCount))" }

    public var layerDescription: ModelDescription? {
        .layer(InstanceNorm1dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: weight != nil,
                                         trackRunningStats: trackRunningStats))
    }
}

/// Instance normalization of images, PyTorch's `nn.InstanceNorm2d`: each (example, channel) of
/// (N, C, H, W) input, or of unbatched (C, H, W) input, normalized over its H·W positions, with the
/// options, parameters, buffers and running-statistics rule of ``InstanceNorm1d``.
public final class InstanceNorm2d<Scalar: TensorScalar>: Layer, NormalizationLayer {
    /// The same normalization over (N, C, H·W).
    private let instanceNorm: InstanceNorm1d<Scalar>
    public var isTraining = true {
        didSet { instanceNorm.isTraining = isTraining }
    }

    /// The number of channels C.
    public var featureCount: Int { instanceNorm.featureCount }
    /// Added to the variance before the square root.
    public var epsilon: Double { instanceNorm.epsilon }
    /// The weight of each new batch in the running statistics.
    public var momentum: Double { instanceNorm.momentum }
    /// The per-channel scale, or `nil` without an affine transform.
    public var weight: Parameter<Scalar>? { instanceNorm.weight }
    /// The per-channel shift, or `nil` without an affine transform.
    public var bias: Parameter<Scalar>? { instanceNorm.bias }
    /// The running mean used in evaluation (`running_mean`), or `nil` without running statistics.
    public var runningMean: Parameter<Scalar>? { instanceNorm.runningMean }
    /// The running unbiased variance used in evaluation (`running_var`), or `nil` without running statistics.
    public var runningVariance: Parameter<Scalar>? { instanceNorm.runningVariance }
    /// PyTorch's `num_batches_tracked` (always 0), or `nil` without running statistics.
    public var batchesTracked: Parameter<Scalar>? { instanceNorm.batchesTracked }
    /// Whether the layer keeps running statistics for evaluation.
    public var trackRunningStats: Bool { instanceNorm.trackRunningStats }

    /// Instance normalization of `featureCount` image channels, with a learned per-channel scale
    /// and shift when `affine` and running statistics for evaluation when `trackRunningStats`.
    public init(_ featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false) {
        InstanceNorm2dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                                  trackRunningStats: trackRunningStats).requireValid()
        instanceNorm = InstanceNorm1d(featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                                      trackRunningStats: trackRunningStats)
    }

    /// Normalizes (N, C, H, W) or unbatched (C, H, W) input.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require((x.rank == 3 && x.shape[0] == featureCount) || (x.rank == 4 && x.shape[1] == featureCount),
                "InstanceNorm2d: input shape \(x.shape) is not (N, \(featureCount), H, W) or (\(featureCount), H, W)")
        return x.rank == 3 ? instanceNorm.instanceNorm(x.reshaped(to: [1] + x.shape), layer: "InstanceNorm2d").reshaped(to: x.shape)
            : instanceNorm.instanceNorm(x, layer: "InstanceNorm2d")
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { instanceNorm.parameters }
    public var buffers: [(name: String, parameter: Parameter<Scalar>)] { instanceNorm.buffers }
    public var summaryName: String { "InstanceNorm2d(\(featureCount))" }

    public var layerDescription: ModelDescription? {
        .layer(InstanceNorm2dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: weight != nil,
                                         trackRunningStats: trackRunningStats))
    }
}

/// The description of an ``InstanceNorm1d`` layer.
public struct InstanceNorm1dDescription: LayerDescription {
    public static let kind = "instanceNorm1d"
    public static let defaultFields = #"{"epsilon":1e-05,"momentum":0.1,"affine":false,"trackRunningStats":false}"#
    /// The number of channels C, at least 1.
    public var featureCount: Int
    /// Added to the variance before the square root; finite and > 0.
    public var epsilon: Double
    /// The weight of each new batch in the running statistics, in [0, 1].
    public var momentum: Double
    /// Whether the layer has a learned per-channel scale and shift.
    public var affine: Bool
    /// Whether the layer keeps running statistics for evaluation.
    public var trackRunningStats: Bool
    /// A description of instance normalization of `featureCount` channels.
    public init(featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false, trackRunningStats: Bool = false) {
        (self.featureCount, self.epsilon, self.momentum) = (featureCount, epsilon, momentum)
        (self.affine, self.trackRunningStats) = (affine, trackRunningStats)
    }
    public func problem() -> String? {
        batchNormProblem("InstanceNorm1d", featureCount: featureCount, epsilon: epsilon, momentum: momentum)
    }
    public var stateCount: Int? { batchNormStateCount(featureCount: featureCount, affine: affine, trackRunningStats: trackRunningStats) }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 3 && shape[1] == featureCount else {
            throw inference.error("InstanceNorm1d takes (N, \(featureCount), L), the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        InstanceNorm1d<Scalar>(featureCount, epsilon: epsilon, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

extension ModelDescription {
    /// An ``InstanceNorm1d`` layer.
    public static func instanceNorm1d(featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false,
                                      trackRunningStats: Bool = false) -> ModelDescription {
        .layer(InstanceNorm1dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                                         trackRunningStats: trackRunningStats))
    }
}

/// The description of an ``InstanceNorm2d`` layer.
public struct InstanceNorm2dDescription: LayerDescription {
    public static let kind = "instanceNorm2d"
    public static let defaultFields = #"{"epsilon":1e-05,"momentum":0.1,"affine":false,"trackRunningStats":false}"#
    public static var takesImages: Bool { true }
    /// The number of channels C, at least 1.
    public var featureCount: Int
    /// Added to the variance before the square root; finite and > 0.
    public var epsilon: Double
    /// The weight of each new batch in the running statistics, in [0, 1].
    public var momentum: Double
    /// Whether the layer has a learned per-channel scale and shift.
    public var affine: Bool
    /// Whether the layer keeps running statistics for evaluation.
    public var trackRunningStats: Bool
    /// A description of instance normalization of `featureCount` image channels.
    public init(featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false, trackRunningStats: Bool = false) {
        (self.featureCount, self.epsilon, self.momentum) = (featureCount, epsilon, momentum)
        (self.affine, self.trackRunningStats) = (affine, trackRunningStats)
    }
    public func problem() -> String? {
        batchNormProblem("InstanceNorm2d", featureCount: featureCount, epsilon: epsilon, momentum: momentum)
    }
    public var stateCount: Int? { batchNormStateCount(featureCount: featureCount, affine: affine, trackRunningStats: trackRunningStats) }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4 && shape[1] == featureCount else {
            throw inference.error("InstanceNorm2d takes (N, \(featureCount), H, W), the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        InstanceNorm2d<Scalar>(featureCount, epsilon: epsilon, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

extension ModelDescription {
    /// An ``InstanceNorm2d`` layer.
    public static func instanceNorm2d(featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false,
                                      trackRunningStats: Bool = false) -> ModelDescription {
        .layer(InstanceNorm2dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                                         trackRunningStats: trackRunningStats))
    }
}
