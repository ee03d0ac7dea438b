/// Layer normalization over the trailing axes `normalizedShape`:
/// `y = (x − E[x]) / √(Var[x] + ε) · weight + bias`, with the biased variance, as PyTorch's
/// `nn.LayerNorm`. Parameters `weight` (ones) and `bias` (zeros) have `normalizedShape`.
public final class LayerNorm<Scalar: TensorScalar>: Layer {
    /// The trailing axes normalized over.
    public let normalizedShape: [Int]
    /// Added to the variance before the square root.
    public let epsilon: Double
    /// The elementwise scale (ones at first), or `nil` without an affine transform.
    public let weight: Parameter<Scalar>?
    /// The elementwise shift (zeros at first), or `nil` without an affine transform.
    public let bias: Parameter<Scalar>?
    public var isTraining = true

    /// Normalizes over the trailing axes `normalizedShape`, with a learned scale and shift
    /// when `elementwiseAffine`.
    public init(_ normalizedShape: [Int], epsilon: Double = 1e-5, elementwiseAffine: Bool = true) {
        require(!normalizedShape.isEmpty, "LayerNorm: normalizedShape must not be empty")
        self.normalizedShape = normalizedShape
        self.epsilon = epsilon
        weight = elementwiseAffine ? Parameter(.ones(normalizedShape)) : nil
        bias = elementwiseAffine ? Parameter(.zeros(normalizedShape)) : nil
    }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require(Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "LayerNorm: input shape \(x.shape) does not end in \(normalizedShape)")
        let axes = Array((x.rank - normalizedShape.count)..<x.rank)
        let centered = x - x.mean(alongAxes: axes, keepingDims: true)
        let variance = square(centered).mean(alongAxes: axes, keepingDims: true)
        var y = centered / sqrt(variance + Scalar(epsilon))
        if let weight { y = y * weight.value }
        if let bias { y = y + bias.value }
        return y
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// Batch normalization over the batch (and length) axes of `(N, C)` or `(N, C, L)` input, as
/// PyTorch's `nn.BatchNorm1d`.
///
/// Training normalizes with the batch mean and biased variance and updates the running
/// statistics: `running = (1 − momentum)·running + momentum·batch` (the unbiased variance goes into
/// `running_var`). Evaluation normalizes with the running statistics.
public final class BatchNorm1d<Scalar: TensorScalar>: Layer {
    /// The number of channels C.
    public let featureCount: Int
    /// Added to the variance before the square root.
    public let epsilon: Double
    /// The weight of each new batch in the running statistics.
    public let momentum: Double
    /// The per-channel scale (ones at first), or `nil` without an affine transform.
    public let weight: Parameter<Scalar>?
    /// The per-channel shift (zeros at first), or `nil` without an affine transform.
    public let bias: Parameter<Scalar>?
    /// The running mean used in evaluation (`running_mean`).
    public let runningMean: Parameter<Scalar>
    /// The running unbiased variance used in evaluation (`running_var`).
    public let runningVariance: Parameter<Scalar>
    /// Batches seen in training (`num_batches_tracked`, saved as an integer).
    public let batchesTracked: Parameter<Scalar>
    public var isTraining = true

    /// Batch normalization of `featureCount` channels, with a learned scale and shift when `affine`.
    public init(_ featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) {
        self.featureCount = featureCount
        self.epsilon = epsilon
        self.momentum = momentum
        weight = affine ? Parameter(.ones([featureCount])) : nil
        bias = affine ? Parameter(.zeros([featureCount])) : nil
        runningMean = Parameter(.zeros([featureCount]))
        runningVariance = Parameter(.ones([featureCount]))
        batchesTracked = Parameter(.zeros([]))
        batchesTracked.isInteger = true
    }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require((x.rank == 2 || x.rank == 3) && x.shape[1] == featureCount,
                     "BatchNorm1d: input shape \(x.shape) is not (N, \(featureCount)) or (N, \(featureCount), L)")
        let axes = x.rank == 2 ? [0] : [0, 2]
        let statShape = x.rank == 2 ? [1, featureCount] : [1, featureCount, 1]
        let normalized: Tensor<Scalar>
        if isTraining {
            let n = axes.reduce(1) { $0 * x.shape[$1] }
            require(n > 1, "BatchNorm1d: training needs more than one value per channel, input shape \(x.shape)")
            let mean = x.mean(alongAxes: axes, keepingDims: true)
            let centered = x - mean
            let variance = square(centered).mean(alongAxes: axes, keepingDims: true)
            normalized = centered / sqrt(variance + Scalar(epsilon))
            withoutGradients {
                let m = Scalar(momentum)
                runningMean.assign(runningMean.value * (1 - m) + mean.detached.reshaped(to: [featureCount]) * m)
                let unbiased = variance.detached.reshaped(to: [featureCount]) * Scalar(Double(n) / Double(n - 1))
                runningVariance.assign(runningVariance.value * (1 - m) + unbiased * m)
                batchesTracked.assign(batchesTracked.value + 1)
            }
        } else {
            let mean = runningMean.value.detached.reshaped(to: statShape)
            let variance = runningVariance.value.detached.reshaped(to: statShape)
            normalized = (x - mean) / sqrt(variance + Scalar(epsilon))
        }
        var y = normalized
        if let weight { y = y * weight.value.reshaped(to: statShape) }
        if let bias { y = y + bias.value.reshaped(to: statShape) }
        return y
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public var buffers: [(name: String, parameter: Parameter<Scalar>)] {
        [("running_mean", runningMean), ("running_var", runningVariance), ("num_batches_tracked", batchesTracked)]
    }
}

/// Batch normalization over the channels of images (PyTorch's `nn.BatchNorm2d`): (N, C, H, W)
/// input, statistics per channel over the batch and both spatial axes, with the parameters,
/// buffers and running-statistics rule of ``BatchNorm1d``.
public final class BatchNorm2d<Scalar: TensorScalar>: Layer {
    /// The same normalization over (N, C, H·W).
    private let channelNorm: BatchNorm1d<Scalar>
    public var isTraining = true {
        didSet { channelNorm.isTraining = isTraining }
    }

    /// The number of channels C.
    public var featureCount: Int { channelNorm.featureCount }
    /// Added to the variance before the square root.
    public var epsilon: Double { channelNorm.epsilon }
    /// The weight of each new batch in the running statistics.
    public var momentum: Double { channelNorm.momentum }
    /// The per-channel scale, or `nil` without an affine transform.
    public var weight: Parameter<Scalar>? { channelNorm.weight }
    /// The per-channel shift, or `nil` without an affine transform.
    public var bias: Parameter<Scalar>? { channelNorm.bias }
    /// The running mean used in evaluation (`running_mean`).
    public var runningMean: Parameter<Scalar> { channelNorm.runningMean }
    /// The running unbiased variance used in evaluation (`running_var`).
    public var runningVariance: Parameter<Scalar> { channelNorm.runningVariance }

    /// Batch normalization of `featureCount` channels, with a learned scale and shift when `affine`.
    public init(_ featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) {
        channelNorm = BatchNorm1d(featureCount, epsilon: epsilon, momentum: momentum, affine: affine)
    }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require(x.rank == 4 && x.shape[1] == featureCount,
                "BatchNorm2d: input shape \(x.shape) is not (N, \(featureCount), H, W)")
        return channelNorm(x.reshaped(to: [x.shape[0], featureCount, x.shape[2] * x.shape[3]])).reshaped(to: x.shape)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { channelNorm.parameters }
    public var buffers: [(name: String, parameter: Parameter<Scalar>)] { channelNorm.buffers }
    public var summaryName: String { "BatchNorm2d(\(featureCount))" }
}
