/// Layer normalization over the trailing axes `normalizedShape`:
/// `y = (x − E[x]) / √(Var[x] + ε) · weight + bias`, with the biased variance, as PyTorch's
/// `nn.LayerNorm`. Parameters `weight` (ones) and `bias` (zeros) have `normalizedShape`.
public final class LayerNorm<Scalar: TensorScalar>: Layer, NormalizationLayer {
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
        LayerNormDescription(normalizedShape: normalizedShape, epsilon: epsilon, elementwiseAffine: elementwiseAffine).requireValid()
        self.normalizedShape = normalizedShape
        self.epsilon = epsilon
        weight = elementwiseAffine ? Parameter(.ones(normalizedShape)) : nil
        bias = elementwiseAffine ? Parameter(.zeros(normalizedShape)) : nil
    }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require(Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "LayerNorm: input shape \(x.shape) does not end in \(normalizedShape)")
        return layerNormalized(x, size: normalizedShape.reduce(1, *), weight: weight?.value, bias: bias?.value, epsilon: epsilon)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public var layerDescription: ModelDescription? {
        .layer(LayerNormDescription(normalizedShape: normalizedShape, epsilon: epsilon, elementwiseAffine: weight != nil))
    }
}

/// The description of a ``LayerNorm`` layer.
public struct LayerNormDescription: LayerDescription {
    public static let kind = "layerNorm"
    public static let defaultFields = #"{"epsilon":1e-05,"elementwiseAffine":true}"#
    /// The trailing axes normalized over: 1 to 64 extents ≥ 1.
    public var normalizedShape: [Int]
    /// Added to the variance before the square root; finite and > 0.
    public var epsilon: Double
    /// Whether the layer has a learned scale and shift.
    public var elementwiseAffine: Bool
    /// A description normalizing over the trailing axes `normalizedShape`.
    public init(normalizedShape: [Int], epsilon: Double = 1e-5, elementwiseAffine: Bool = true) {
        (self.normalizedShape, self.epsilon, self.elementwiseAffine) = (normalizedShape, epsilon, elementwiseAffine)
    }
    public func problem() -> String? {
        normalizedShape.isEmpty || normalizedShape.count > 64 || normalizedShape.contains { $0 < 1 } || !(epsilon > 0 && epsilon.isFinite)
            ? "LayerNorm needs 1 to 64 extents ≥ 1 and a finite ε > 0, got \(normalizedShape) and \(epsilon)" : nil
    }
    public var stateCount: Int? { elementwiseAffine ? CheckedCount.product(InputLimits.elementCount(normalizedShape), 2) : 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard Array(shape.suffix(normalizedShape.count)) == normalizedShape else {
            throw inference.error("LayerNorm normalizes trailing axes \(normalizedShape), the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        LayerNorm<Scalar>(normalizedShape, epsilon: epsilon, elementwiseAffine: elementwiseAffine)
    }
}

extension ModelDescription {
    /// A ``LayerNorm`` layer.
    public static func layerNorm(normalizedShape: [Int], epsilon: Double = 1e-5, elementwiseAffine: Bool = true) -> ModelDescription {
        .layer(LayerNormDescription(normalizedShape: normalizedShape, epsilon: epsilon, elementwiseAffine: elementwiseAffine))
    }
}

/// Layer normalization of each run of `size` trailing values of `x` as one op on the tape: one pass
/// for each row's mean and variance (from its moments about its first value, in Double), one for
/// `(x − mean)·rstd·weight + bias`, and backward one pass per row for
/// `dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))` with ĝ = g·weight, and one over the columns summing
/// `g·x̂` and `g` into the weight's and bias's gradients. The C kernels run on rows (or columns)
/// split across threads, so results do not depend on the thread count. `weight` and `bias` have
/// `size` elements (any shape) or are `nil`.
func layerNormalized<Scalar: TensorScalar>(_ x: Tensor<Scalar>, size: Int, weight: Tensor<Scalar>?, bias: Tensor<Scalar>?,
                                           epsilon: Double) -> Tensor<Scalar> {
    let rows = size == 0 ? 0 : x.count / size
    let recording = Tensor.needsRecording(x) || weight.map { Tensor.needsRecording($0) } == true
        || bias.map { Tensor.needsRecording($0) } == true
    let output = Tensor<Scalar>(uninitializedShape: x.shape, op: "LayerNorm")
    let normalized = recording ? Tensor<Scalar>(uninitializedShape: x.shape, op: "LayerNorm") : output
    let reciprocals = Tensor<Scalar>(uninitializedShape: [rows], op: "LayerNorm")
    let (y, xHat, rstd) = (output.storage.base, normalized.storage.base, reciprocals.storage.base)
    let w = weight.map { UnsafePointer($0.storage.base) }, b = bias.map { UnsafePointer($0.storage.base) }
    x.withUnsafeBufferPointer { input in
        let x = input.baseAddress!
        Parallelism.splitting(rows, costPerItem: size) { first, count in
            let offset = first * size
            Scalar._kernelLayerNorm(x + offset, rows: count, size: size, epsilon: Scalar(epsilon), normalized: xHat + offset,
                                    reciprocals: rstd + first, weight: w, bias: b, output: y + offset)
        }
    }
    withExtendedLifetime((weight, bias)) {}
    guard recording else { return output }
    return output.recorded("LayerNorm", inputs: [x.node, weight?.node, bias?.node]) { [xNode = x.node, weightNode = weight?.node,
                                                                                      biasNode = bias?.node, weight] dY in
        let dX = Tensor<Scalar>(uninitializedShape: normalized.shape, op: "LayerNorm")
        let dW = weightNode == nil ? nil : Tensor<Scalar>.zeros([size]), dB = biasNode == nil ? nil : Tensor<Scalar>.zeros([size])
        let (xHat, rstd, dx) = (UnsafePointer(normalized.storage.base), UnsafePointer(reciprocals.storage.base), dX.storage.base)
        let w = weight.map { UnsafePointer($0.storage.base) }, dw = dW?.storage.base, db = dB?.storage.base
        dY.withUnsafeBufferPointer { gradient in
            let g = gradient.baseAddress!
            Parallelism.splitting(rows, costPerItem: size) { first, count in
                let offset = first * size
                Scalar._kernelLayerNormBackward(g + offset, normalized: xHat + offset, reciprocals: rstd + first, weight: w,
                                                rows: count, size: size, dX: dx + offset)
            }
            if dw != nil || db != nil {
                Parallelism.splitting(size, costPerItem: rows) { first, count in
                    Scalar._kernelLayerNormParameters(g, normalized: xHat, rows: rows, size: size, first: first, count: count,
                                                      dWeight: dw, dBias: db)
                }
            }
        }
        withExtendedLifetime((weight, normalized, reciprocals)) {}
        xNode?.accumulate(dX)
        if let weight, let dW { weightNode?.accumulate(dW.reshaped(to: weight.shape).detached) }
        if let bias, let dB { biasNode?.accumulate(dB.reshaped(to: bias.shape).detached) }
    }
}

/// Batch normalization over the batch (and length) axes of `(N, C)` or `(N, C, L)` input, as
/// PyTorch's `nn.BatchNorm1d`.
///
/// Training normalizes with the batch mean and biased variance and updates the running
/// statistics: `running = (1 − momentum)·running + momentum·batch` (the unbiased variance goes into
/// `running_var`), or their cumulative average when `momentum` is `nil` (the factor
/// `1/num_batches_tracked`). Evaluation normalizes with the running statistics. Without
/// `trackRunningStats` the layer keeps no running statistics and normalizes with the batch's in
/// evaluation too, as PyTorch does.
public final class BatchNorm1d<Scalar: TensorScalar>: Layer, NormalizationLayer {
    /// The number of channels C.
    public let featureCount: Int
    /// Added to the variance before the square root.
    public let epsilon: Double
    /// The weight of each new batch in the running statistics, or `nil` for their cumulative average.
    public let momentum: Double?
    /// The per-channel scale (ones at first), or `nil` without an affine transform.
    public let weight: Parameter<Scalar>?  // (C)
    /// The per-channel shift (zeros at first), or `nil` without an affine transform.
    public let bias: Parameter<Scalar>?    // (C)
    /// The running mean used in evaluation (`running_mean`), or `nil` without running statistics.
    public let runningMean: Parameter<Scalar>?  // (C)
    /// The running unbiased variance used in evaluation (`running_var`), or `nil` without running statistics.
    public let runningVariance: Parameter<Scalar>?  // (C)
    /// Batches seen in training (`num_batches_tracked`, saved as an integer), or `nil` without running statistics.
    public let batchesTracked: Parameter<Scalar>?  // ()
    public var isTraining = true
    /// The processes whose batches the layer normalizes as one in training, as PyTorch's
    /// `SyncBatchNorm` does: the mean and variance (and, backward, their gradients' sums) are
    /// those of the whole global batch, and every process's running statistics move alike. `nil`
    /// (the default) normalizes each process's batch alone. ``DataParallel`` made with
    /// `synchronizesBatchNorm` sets it for the run of a ``Trainer``; every process must then run
    /// the layer in each training step.
    public var statisticsGroup: (any ProcessGroup)?

    /// Whether the layer keeps running statistics for evaluation.
    public var trackRunningStats: Bool { runningMean != nil }

    /// Batch normalization of `featureCount` channels, with a learned scale and shift when `affine`
    /// and running statistics for evaluation when `trackRunningStats`.
    public init(_ featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        BatchNorm1dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                               trackRunningStats: trackRunningStats).requireValid()
        self.featureCount = featureCount
        self.epsilon = epsilon
        self.momentum = momentum
        weight = affine ? Parameter(.ones([featureCount])) : nil
        bias = affine ? Parameter(.zeros([featureCount])) : nil
        (runningMean, runningVariance, batchesTracked) = trackRunningStats ? runningStatistics(featureCount) : (nil, nil, nil)
    }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require((x.rank == 2 || x.rank == 3) && x.shape[1] == featureCount,
                     "BatchNorm1d: input shape \(x.shape) is not (N, \(featureCount)) or (N, \(featureCount), L)")
        return batchNorm(x, layer: "BatchNorm1d")
    }

    /// Normalizes `x` (N, C, …) per channel: the one implementation behind ``BatchNorm1d`` and
    /// ``BatchNorm2d``, forward and backward in one pass each, as PyTorch's CPU kernel computes it.
    ///
    /// Training (and evaluation without running statistics): mean and biased variance per channel
    /// over the batch and the trailing axes (`channelStatistics`), `y = x·α + β′` with
    /// `α = γ/√(var + ε)` and `β′ = β − mean·α`; in training the running statistics move towards
    /// the mean and the unbiased variance. Evaluation with running statistics uses them in the same
    /// formula. Backward, per channel, with `x̂ = (x − mean)/√(var + ε)`:
    /// dγ = Σ dy·x̂, dβ = Σ dy, and dx = γ/√(var + ε) · (dy − Σdy/M − x̂·Σ dy·x̂/M) with batch
    /// statistics (M values per channel), `γ/√(var + ε) · dy` with running ones.
    ///
    /// An `epilogue` applies ReLU (and max pooling) in the same passes (see `normalizeChannels`).
    /// `moments`, when given, are `x`'s plane moments, filled by the convolution that made `x`.
    func batchNorm(_ x: Tensor<Scalar>, layer: String, epilogue: NormalizationEpilogue = .none,
                   moments: PlaneMoments? = nil) -> Tensor<Scalar> {
        let (n, c) = (x.shape[0], x.shape[1])
        let m = n * (x.count / Swift.max(n * c, 1))
        var mean: [Double], inverseDeviation: [Double]
        let batchStatistics = isTraining || runningMean == nil
        // Synchronized statistics in training only: evaluation runs on each process's own data.
        let group = isTraining ? statisticsGroup : nil
        var count = m
        if batchStatistics {
            let variance: [Double]
            if let group {
                (mean, variance, count) = synchronizedChannelStatistics(x, group: group)
                require(count > 1, "\(layer): batch statistics need more than one value per channel, the processes' batches "
                        + "hold \(count) in all")
            } else {
                require(m > 1, "\(layer): batch statistics need more than one value per channel, input shape \(x.shape)")
                (mean, variance) = moments?.channelStatistics(plane: x.count / Swift.max(n * c, 1)) ?? channelStatistics(x)
            }
            inverseDeviation = variance.map { 1 / ($0 + epsilon).squareRoot() }
            if isTraining, let runningMean, let runningVariance, let batchesTracked {
                withoutGradients {
                    batchesTracked.assign(batchesTracked.value + 1)
                    // A cumulative average weighs the k-th batch by 1/k.
                    let factor = momentum ?? 1 / Double(batchesTracked.value.scalar)
                    updateRunningStatistics(mean: runningMean, variance: runningVariance, factor: factor, batchMean: mean,
                                            batchVariance: variance.map { $0 * Double(count) / Double(count - 1) })
                }
            }
        } else {
            mean = runningMean!.value.scalars.map { Double($0) }
            inverseDeviation = runningVariance!.value.scalars.map { 1 / (Double($0) + epsilon).squareRoot() }
        }
        return normalizeChannels(x, mean: mean, inverseDeviation: inverseDeviation, weight: weight?.value, bias: bias?.value,
                                 training: batchStatistics, group: batchStatistics ? group : nil, count: count, epilogue: epilogue)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public var buffers: [(name: String, parameter: Parameter<Scalar>)] {
        guard let runningMean, let runningVariance, let batchesTracked else { return [] }
        return [("running_mean", runningMean), ("running_var", runningVariance), ("num_batches_tracked", batchesTracked)]
    }

    public var layerDescription: ModelDescription? {
        .layer(BatchNorm1dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: weight != nil,
                                      trackRunningStats: trackRunningStats))
    }
}

/// Zero running means, unit running variances and a batch count of 0 (an integer buffer), for `featureCount` channels.
func runningStatistics<Scalar: TensorScalar>(_ featureCount: Int) -> (Parameter<Scalar>, Parameter<Scalar>, Parameter<Scalar>) {
    let batchesTracked = Parameter<Scalar>(.zeros([]))
    batchesTracked.isInteger = true
    return (Parameter(.zeros([featureCount])), Parameter(.ones([featureCount])), batchesTracked)
}

/// `running = (1 − factor)·running + factor·batch` for the running mean and variance.
func updateRunningStatistics<Scalar: TensorScalar>(
    mean: Parameter<Scalar>, variance: Parameter<Scalar>, factor: Double, batchMean: [Double], batchVariance: [Double]
) {
    let factor = Scalar(factor), c = batchMean.count
    mean.assign(mean.value * (1 - factor) + Tensor(batchMean.map { Scalar($0) }, shape: [c]) * factor)
    variance.assign(variance.value * (1 - factor) + Tensor(batchVariance.map { Scalar($0) }, shape: [c]) * factor)
}

/// The description of a ``BatchNorm1d`` layer.
public struct BatchNorm1dDescription: LayerDescription {
    public static let kind = "batchNorm1d"
    public static let defaultFields = #"{"epsilon":1e-05,"momentum":0.1,"affine":true,"trackRunningStats":true}"#
    /// The number of channels C, at least 1.
    public var featureCount: Int
    /// Added to the variance before the square root; finite and > 0.
    public var epsilon: Double
    /// The weight of each new batch in the running statistics, in [0, 1], or `nil` (JSON `null`) for
    /// their cumulative average; a file without the key means 0.1.
    public var momentum: Double?
    /// Whether the layer has a learned scale and shift.
    public var affine: Bool
    /// Whether the layer keeps running statistics (a file without the key means `true`; written only when `false`).
    public var trackRunningStats: Bool
    /// A description of batch normalization over `featureCount` channels.
    public init(featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        (self.featureCount, self.epsilon, self.momentum, self.affine) = (featureCount, epsilon, momentum, affine)
        self.trackRunningStats = trackRunningStats
    }
    public init(from decoder: any Decoder) throws {
        let o = try BatchNormOptions(from: decoder)
        self.init(featureCount: o.featureCount, epsilon: o.epsilon, momentum: o.momentum, affine: o.affine,
                  trackRunningStats: o.trackRunningStats)
    }
    public func encode(to encoder: any Encoder) throws {
        try BatchNormOptions(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                             trackRunningStats: trackRunningStats).encode(to: encoder)
    }
    public func problem() -> String? {
        batchNormProblem("BatchNorm1d", featureCount: featureCount, epsilon: epsilon, momentum: momentum)
    }
    public var stateCount: Int? { batchNormStateCount(featureCount: featureCount, affine: affine, trackRunningStats: trackRunningStats) }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard (shape.count == 2 || shape.count == 3) && shape[1] == featureCount else {
            throw inference.error("BatchNorm1d takes (N, \(featureCount)) or (N, \(featureCount), L), the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        BatchNorm1d<Scalar>(featureCount, epsilon: epsilon, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

extension ModelDescription {
    /// A ``BatchNorm1d`` layer.
    public static func batchNorm1d(featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                                   trackRunningStats: Bool = true) -> ModelDescription {
        .layer(BatchNorm1dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                                      trackRunningStats: trackRunningStats))
    }
}

/// The JSON form both batch normalizations share: `momentum` is written even when `nil` (as
/// `null`, the cumulative average), so a missing key can mean PyTorch's 0.1; `trackRunningStats`
/// is written only when `false`, so files from before the option read and re-encode unchanged.
private struct BatchNormOptions: Codable {
    var featureCount: Int
    var epsilon: Double
    var momentum: Double?
    var affine: Bool
    var trackRunningStats: Bool

    init(featureCount: Int, epsilon: Double, momentum: Double?, affine: Bool, trackRunningStats: Bool) {
        (self.featureCount, self.epsilon, self.momentum, self.affine) = (featureCount, epsilon, momentum, affine)
        self.trackRunningStats = trackRunningStats
    }

    private enum CodingKeys: String, CodingKey { case featureCount, epsilon, momentum, affine, trackRunningStats }

    init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        featureCount = try keys.decode(Int.self, forKey: .featureCount)
        epsilon = try keys.decode(Double.self, forKey: .epsilon)
        momentum = keys.contains(.momentum) ? try keys.decode(Double?.self, forKey: .momentum) : 0.1
        affine = try keys.decode(Bool.self, forKey: .affine)
        trackRunningStats = try keys.decodeIfPresent(Bool.self, forKey: .trackRunningStats) ?? true
    }

    func encode(to encoder: any Encoder) throws {
        var keys = encoder.container(keyedBy: CodingKeys.self)
        try keys.encode(featureCount, forKey: .featureCount)
        try keys.encode(epsilon, forKey: .epsilon)
        try keys.encode(momentum, forKey: .momentum)
        try keys.encode(affine, forKey: .affine)
        if !trackRunningStats { try keys.encode(false, forKey: .trackRunningStats) }
    }
}

/// The rule the batch and instance normalizations obey: features ≥ 1, a finite ε > 0 and momentum
/// in [0, 1] (or `nil`, a cumulative average).
func batchNormProblem(_ kind: String, featureCount: Int, epsilon: Double, momentum: Double?) -> String? {
    featureCount < 1 || !(epsilon > 0 && epsilon.isFinite) || !(momentum.map { $0 >= 0 && $0 <= 1 } ?? true)
        ? "\(kind) needs features ≥ 1, a finite ε > 0 and momentum in [0, 1], got \(featureCount), \(epsilon), "
            + (momentum.map { "\($0)" } ?? "nil") : nil
}

/// Scale and shift per channel when affine; running mean and variance per channel and the batch
/// count when tracking running statistics.
func batchNormStateCount(featureCount: Int, affine: Bool, trackRunningStats: Bool) -> Int? {
    CheckedCount.sum([CheckedCount.product(featureCount, (affine ? 2 : 0) + (trackRunningStats ? 2 : 0)), trackRunningStats ? 1 : 0])
}

/// Batch normalization over the channels of images (PyTorch's `nn.BatchNorm2d`): (N, C, H, W)
/// input, statistics per channel over the batch and both spatial axes, with the parameters,
/// buffers, running-statistics rule and options (a cumulative average, no running statistics) of
/// ``BatchNorm1d``.
public final class BatchNorm2d<Scalar: TensorScalar>: Layer, NormalizationLayer {
    /// The same normalization over (N, C, H·W).
    let channelNorm: BatchNorm1d<Scalar>
    public var isTraining = true {
        didSet { channelNorm.isTraining = isTraining }
    }

    /// The number of channels C.
    public var featureCount: Int { channelNorm.featureCount }
    /// Added to the variance before the square root.
    public var epsilon: Double { channelNorm.epsilon }
    /// The weight of each new batch in the running statistics, or `nil` for their cumulative average.
    public var momentum: Double? { channelNorm.momentum }
    /// The per-channel scale, or `nil` without an affine transform.
    public var weight: Parameter<Scalar>? { channelNorm.weight }
    /// The per-channel shift, or `nil` without an affine transform.
    public var bias: Parameter<Scalar>? { channelNorm.bias }
    /// The running mean used in evaluation (`running_mean`), or `nil` without running statistics.
    public var runningMean: Parameter<Scalar>? { channelNorm.runningMean }
    /// The running unbiased variance used in evaluation (`running_var`), or `nil` without running statistics.
    public var runningVariance: Parameter<Scalar>? { channelNorm.runningVariance }
    /// Batches seen in training (`num_batches_tracked`), or `nil` without running statistics.
    public var batchesTracked: Parameter<Scalar>? { channelNorm.batchesTracked }
    /// Whether the layer keeps running statistics for evaluation.
    public var trackRunningStats: Bool { channelNorm.trackRunningStats }
    /// The processes whose batches the layer normalizes as one in training (see
    /// ``BatchNorm1d/statisticsGroup``).
    public var statisticsGroup: (any ProcessGroup)? {
        get { channelNorm.statisticsGroup }
        set { channelNorm.statisticsGroup = newValue }
    }

    /// Batch normalization of `featureCount` channels, with a learned scale and shift when `affine`
    /// and running statistics for evaluation when `trackRunningStats`.
    public init(_ featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        BatchNorm2dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                               trackRunningStats: trackRunningStats).requireValid()
        channelNorm = BatchNorm1d(featureCount, epsilon: epsilon, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        require(x.rank == 4 && x.shape[1] == featureCount,
                "BatchNorm2d: input shape \(x.shape) is not (N, \(featureCount), H, W)")
        return channelNorm.batchNorm(x, layer: "BatchNorm2d")
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { channelNorm.parameters }
    public var buffers: [(name: String, parameter: Parameter<Scalar>)] { channelNorm.buffers }
    public var summaryName: String { "BatchNorm2d(\(featureCount))" }

    public var layerDescription: ModelDescription? {
        .layer(BatchNorm2dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: weight != nil,
                                      trackRunningStats: trackRunningStats))
    }
}

/// The description of a ``BatchNorm2d`` layer.
public struct BatchNorm2dDescription: LayerDescription {
    public static let kind = "batchNorm2d"
    public static let defaultFields = #"{"epsilon":1e-05,"momentum":0.1,"affine":true,"trackRunningStats":true}"#
    public static var takesImages: Bool { true }
    /// The number of channels C, at least 1.
    public var featureCount: Int
    /// Added to the variance before the square root; finite and > 0.
    public var epsilon: Double
    /// The weight of each new batch in the running statistics, in [0, 1], or `nil` (JSON `null`) for
    /// their cumulative average; a file without the key means 0.1.
    public var momentum: Double?
    /// Whether the layer has a learned scale and shift.
    public var affine: Bool
    /// Whether the layer keeps running statistics (a file without the key means `true`; written only when `false`).
    public var trackRunningStats: Bool
    /// A description of batch normalization over `featureCount` image channels.
    public init(featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        (self.featureCount, self.epsilon, self.momentum, self.affine) = (featureCount, epsilon, momentum, affine)
        self.trackRunningStats = trackRunningStats
    }
    public init(from decoder: any Decoder) throws {
        let o = try BatchNormOptions(from: decoder)
        self.init(featureCount: o.featureCount, epsilon: o.epsilon, momentum: o.momentum, affine: o.affine,
                  trackRunningStats: o.trackRunningStats)
    }
    public func encode(to encoder: any Encoder) throws {
        try BatchNormOptions(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                             trackRunningStats: trackRunningStats).encode(to: encoder)
    }
    public func problem() -> String? {
        batchNormProblem("BatchNorm2d", featureCount: featureCount, epsilon: epsilon, momentum: momentum)
    }
    public var stateCount: Int? { batchNormStateCount(featureCount: featureCount, affine: affine, trackRunningStats: trackRunningStats) }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4 && shape[1] == featureCount else {
            throw inference.error("BatchNorm2d takes (N, \(featureCount), H, W), the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        BatchNorm2d<Scalar>(featureCount, epsilon: epsilon, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

extension ModelDescription {
    /// A ``BatchNorm2d`` layer.
    public static func batchNorm2d(featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                                   trackRunningStats: Bool = true) -> ModelDescription {
        .layer(BatchNorm2dDescription(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine,
                                      trackRunningStats: trackRunningStats))
    }
}

/// Per channel c of `a` (N, C, …), in one pass: Σ (a − ca[c]) and Σ (a − ca[c])·(b − cb[c]) over
/// images and positions (`b` defaults to `a`, centers to 0), accumulated in Double as eight partial
/// sums in a fixed order (the C loop for Float and Double: vectorized, and the same bits on every CPU).
func channelMoments<Scalar: TensorScalar>(
    _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>? = nil, batch: Int, channels: Int, plane: Int,
    centerA: [Double]? = nil, centerB: [Double]? = nil
) -> (sums: [Double], products: [Double]) {
    var sums = [Double](repeating: 0, count: channels), products = sums
    sums.withUnsafeMutableBufferPointer { sums in
        products.withUnsafeMutableBufferPointer { products in
            let (sums, products) = (sums.baseAddress!, products.baseAddress!)
            Parallelism.splitting(channels, costPerItem: batch * plane) { first, count in
                Scalar._kernelChannelMoments(a, b, batch: batch, channels: channels, plane: plane, firstChannel: first,
                                             channelCount: count, centerA: centerA, centerB: centerB, sums: sums,
                                             products: products)
            }
        }
    }
    return (sums, products)
}

/// Per channel of `x` (N, C, …): the mean and the biased variance over the batch and the trailing
/// axes, from the moments of each (image, channel) plane (``PlaneMoments``).
func channelStatistics<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> (mean: [Double], variance: [Double]) {
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.count / Swift.max(n * c, 1)
    let moments = PlaneMoments(batch: n, channels: c)
    Parallelism.splitting(n * c, costPerItem: plane) { first, count in
        moments.add(x.storage.base + first * plane, planes: first..<(first + count), plane: plane)
    }
    return moments.channelStatistics(plane: plane)
}

/// The moments of each (image, channel) plane of an (N, C, …) tensor, summed about the plane's first
/// value s (so they do not cancel): Σ (x − s) and Σ (x − s)², in Double. A convolution fills them
/// image by image right after writing its output, while it is in cache; batch normalization
/// combines them into each channel's statistics, the same values whoever filled them.
final class PlaneMoments: @unchecked Sendable {
    let batch: Int, channels: Int
    private let storage: UnsafeMutablePointer<Double>

    init(batch: Int, channels: Int) {
        (self.batch, self.channels) = (batch, channels)
        storage = .allocate(capacity: Swift.max(3 * batch * channels, 1))
    }
    deinit { storage.deallocate() }

    /// The moments of `planes` (indices image · C + channel, disjoint for concurrent callers), from
    /// their values at `x`.
    func add<Scalar: TensorScalar>(_ x: UnsafePointer<Scalar>, planes: Range<Int>, plane: Int) {
        let count = batch * channels
        Scalar._kernelPlaneMoments(x, planes: planes.count, plane: plane, shifts: storage + planes.lowerBound,
                                   sums: storage + count + planes.lowerBound, squares: storage + 2 * count + planes.lowerBound)
    }

    /// Per channel, over its planes of `plane` values each, in image order: the mean
    /// m = Σ (plane·s + Σ(x − s))/M and the biased variance Σ (Σ(x − s)² + 2(s − m)·Σ(x − s) + plane·(s − m)²)/M
    /// (never below 0), with M = N·plane.
    func channelStatistics(plane: Int) -> (mean: [Double], variance: [Double]) {
        let count = batch * channels, values = Double(Swift.max(batch * plane, 1)), size = Double(plane)
        let (shifts, sums, squares) = (storage, storage + count, storage + 2 * count)
        var mean = [Double](repeating: 0, count: channels), variance = mean
        for c in 0..<channels {
            var total = 0.0
            for image in 0..<batch { total += size * shifts[image * channels + c] + sums[image * channels + c] }
            let m = total / values
            var squared = 0.0
            for image in 0..<batch {
                let k = image * channels + c, d = shifts[k] - m
                squared += squares[k] + 2 * d * sums[k] + size * d * d
            }
            (mean[c], variance[c]) = (m, Swift.max(squared / values, 0))
        }
        return (mean, variance)
    }
}

/// The per-channel mean and biased variance of `x` (N, C, …) together with the same tensors of
/// every other process of `group`, and the values per channel in all: the sums of x, then the sums
/// of squares about the global mean (shifted as ``channelStatistics(_:)`` does), each summed over
/// the processes.
func synchronizedChannelStatistics<Scalar: TensorScalar>(_ x: Tensor<Scalar>, group: any ProcessGroup)
    -> (mean: [Double], variance: [Double], count: Int) {
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.count / Swift.max(n * c, 1)
    var totals = channelMoments(x.storage.base, batch: n, channels: c, plane: plane).sums + [Double(n * plane)]
    reduceForBatchNorm(&totals, group: group)
    let m = totals[c]
    let center = totals[..<c].map { $0 / Swift.max(m, 1) }
    let (sums, squares) = channelMoments(x.storage.base, batch: n, channels: c, plane: plane, centerA: center, centerB: center)
    var moments = sums + squares
    reduceForBatchNorm(&moments, group: group)
    let offsets = moments[..<c].map { $0 / Swift.max(m, 1) }
    let variance = (0..<c).map { Swift.max(moments[c + $0] / Swift.max(m, 1) - offsets[$0] * offsets[$0], 0) }
    return (zip(center, offsets).map { $0 + $1 }, variance, Int(m))
}

/// Sums `values` over `group`'s processes; a failed collective ends the job (a layer cannot throw).
private func reduceForBatchNorm(_ values: inout [Double], group: any ProcessGroup) {
    do { try values.withUnsafeMutableBufferPointer { try group.allReduceSum($0) } } catch {
        group.abort("synchronized batch normalization: the sum over the processes failed: \(error)")
    }
}

/// What batch normalization's own passes also compute after its affine transform: nothing, ReLU,
/// or ReLU then max pooling over windows that lie inside each plane (a ``Sequential`` whose layers
/// run batch normalization → ReLU (→ MaxPool2d) asks for these; see `LayerFusion`).
enum NormalizationEpilogue {
    case none
    case relu
    case reluMaxPool(height: WindowAxis, width: WindowAxis)

    /// The pooling's sizes in the order the C loops take them, or `nil` without pooling.
    var window: [Int]? {
        guard case .reluMaxPool(let h, let w) = self else { return nil }
        return [h.input, w.input, h.output, w.output, h.kernel, w.kernel, h.stride, w.stride, h.dilation, w.dilation]
    }
}

/// `y = x·α + β′` per channel of `x` (N, C, …), with `α = γ·invstd` and `β′ = β − mean·α` (PyTorch's
/// CPU formula), and its backward: with `x̂ = (x − mean)·invstd` and M values per channel,
/// dγ = Σ dy·x̂, dβ = Σ dy, and dx = γ·invstd·(dy − Σdy/M − x̂·Σ dy·x̂/M) when the statistics came
/// from this batch (`training`), `γ·invstd·dy` when they are fixed.
///
/// With an `epilogue`, the same passes also apply ReLU (and max pooling) to y, which then never
/// exists in memory: forward, each (image, channel) plane of y is formed in a scratch plane that
/// stays in cache, and only the activations (or the pooled values and their winners) are written;
/// backward, the gradient at y is formed the same way from the output's gradient, in the moments'
/// pass and again in the input gradient's. Every value equals that of the layers run one by one
/// (the C loops share their per-plane bodies), so the result is the same to the bit.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func normalizeChannels<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, mean: [Double], inverseDeviation: [Double], weight: Tensor<Scalar>?, bias: Tensor<Scalar>?, training: Bool,
    group: (any ProcessGroup)? = nil, count: Int? = nil, epilogue: NormalizationEpilogue = .none
) -> Tensor<Scalar> {
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.count / Swift.max(n * c, 1), m = count ?? n * plane
    let gamma = weight?.scalars, beta = bias?.scalars
    let window = epilogue.window
    var outputShape = x.shape
    if case .reluMaxPool(let h, let w) = epilogue { outputShape = [n, c, h.output, w.output] }
    let result = Tensor<Scalar>(uninitializedShape: outputShape)
    let outputPlane = result.count / Swift.max(n * c, 1)
    let winnerStorage = window == nil ? nil : PoolWinners(count: result.count)
    let y = result.storage.base, source = x.storage.base
    let alphas = (0..<c).map { Scalar(inverseDeviation[$0] * Double(gamma?[$0] ?? 1)) }
    let shifts = (0..<c).map { (beta?[$0] ?? 0) - Scalar(mean[$0]) * alphas[$0] }
    withPointers(alphas, shifts) { pointers in
        let (alpha, shift) = (pointers[0], pointers[1])
        Parallelism.splitting(c, costPerItem: m) { first, count in
            guard case .none = epilogue else {
                withScratchPlane(plane, window: window) { scratch, window in
                    Scalar._kernelChannelAffineReLU(x: source, output: y, winners: winnerStorage?.pointer, batch: n, channels: c,
                                                    plane: plane, window: window, firstChannel: first, channelCount: count,
                                                    scale: alpha, shift: shift, scratch: scratch)
                }
                return
            }
            Scalar._kernelChannelAffine(x: source, y: y, batch: n, channels: c, plane: plane, firstChannel: first,
                                        channelCount: count, scale: alpha, shift: shift)
        }
    }
    guard isRecordingGradients, x.requiresGradient || weight?.requiresGradient == true || bias?.requiresGradient == true else {
        return result
    }
    let savedX = x.detached, savedOutput = result.detached
    let name: String
    switch epilogue {
    case .none: name = training ? "batchNorm" : "batchNorm (evaluation)"
    case .relu: name = training ? "batchNorm → relu" : "batchNorm (evaluation) → relu"
    case .reluMaxPool: name = training ? "batchNorm → relu → maxPool2d" : "batchNorm (evaluation) → relu → maxPool2d"
    }
    return result.recorded(name, inputs: [x.node, weight?.node, bias?.node]) {
        [xNode = x.node, wNode = weight?.node, bNode = bias?.node] dY in
        let dOut = dY.storage.base, input = savedX.storage.base, output = savedOutput.storage.base
        let winners = winnerStorage.map { UnsafePointer($0.pointer) }
        // Σ dz and Σ dz·(x − mean), dz the gradient at the normalization's output.
        var sums = [Double](repeating: 0, count: c), centered = sums
        if case .none = epilogue {
            (sums, centered) = channelMoments(dOut, input, batch: n, channels: c, plane: plane, centerB: mean)
        } else {
            sums.withUnsafeMutableBufferPointer { sums in
                centered.withUnsafeMutableBufferPointer { centered in
                    mean.withUnsafeBufferPointer { mean in
                        let (sums, centered, mean) = (sums.baseAddress!, centered.baseAddress!, mean.baseAddress!)
                        Parallelism.splitting(c, costPerItem: n * (plane + outputPlane)) { first, count in
                            withScratchPlane(plane, window: window) { scratch, window in
                                Scalar._kernelReLUBatchNormMoments(dOutput: dOut, output: output, winners: winners, x: input,
                                                                   batch: n, channels: c, plane: plane, window: window,
                                                                   firstChannel: first, channelCount: count, mean: mean,
                                                                   sums: sums, products: centered, scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
        let dots = zip(centered, inverseDeviation).map { $0 * $1 }  // Σ dz·x̂
        // Synchronized, dx takes the sums over every process's batch; γ and β keep this
        // process's, which data-parallel training sums with the other gradients.
        var globalSums = sums, globalDots = dots
        if let group {
            var both = sums + dots
            reduceForBatchNorm(&both, group: group)
            (globalSums, globalDots) = (Array(both[..<c]), Array(both[c...]))
        }
        wNode?.withGradientBuffer { dW, accumulate in
            for channel in 0..<c { dW[channel] = (accumulate ? dW[channel] : 0) + Scalar(dots[channel]) }
        }
        bNode?.withGradientBuffer { dB, accumulate in
            for channel in 0..<c { dB[channel] = (accumulate ? dB[channel] : 0) + Scalar(sums[channel]) }
        }
        xNode?.withGradientBuffer { dX, accumulate in
            // dx = scale · (dz − Σdz/M − (x − mean)·k) with k = Σ dz·(x − mean)·invstd²/M in training.
            let scales = (0..<c).map { Scalar(inverseDeviation[$0] * Double(gamma?[$0] ?? 1)) }
            let meanGradients = (0..<c).map { training ? Scalar(globalSums[$0] / Double(m)) : 0 }
            let ks = (0..<c).map { training ? Scalar(globalDots[$0] * inverseDeviation[$0] / Double(m)) : 0 }
            let mus = mean.map { Scalar($0) }
            withPointers(scales, meanGradients, ks, mus) { pointers in
                let (scale, meanGradient, k, mu) = (pointers[0], pointers[1], pointers[2], pointers[3])
                Parallelism.splitting(c, costPerItem: m) { first, count in
                    guard case .none = epilogue else {
                        withScratchPlane(plane, window: window) { scratch, window in
                            Scalar._kernelReLUBatchNormBackward(dOutput: dOut, output: output, winners: winners, x: input, dX: dX,
                                                                batch: n, channels: c, plane: plane, window: window,
                                                                firstChannel: first, channelCount: count,
                                                                meanGradient: meanGradient, mean: mu, k: k, scale: scale,
                                                                accumulate: accumulate, scratch: scratch)
                        }
                        return
                    }
                    Scalar._kernelBatchNormBackward(dY: dOut, x: input, dX: dX, batch: n, channels: c, plane: plane,
                                                    firstChannel: first, channelCount: count, meanGradient: meanGradient,
                                                    mean: mu, k: k, scale: scale, accumulate: accumulate)
                }
            }
        }
    }
}

/// Runs `body` with a scratch plane of `plane` values (one per thread of a split) and a pointer to
/// the pooling window's sizes (`nil` without pooling).
private func withScratchPlane<Scalar: TensorScalar>(
    _ plane: Int, window: [Int]?, _ body: (UnsafeMutablePointer<Scalar>, UnsafePointer<Int>?) -> Void
) {
    let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(plane, 1))
    defer { scratch.deallocate() }
    guard let window else { return body(scratch, nil) }
    window.withUnsafeBufferPointer { body(scratch, $0.baseAddress) }
}

/// Runs `body` with pointers to the per-channel factors (arrays of equal length; an empty one
/// gives a valid pointer that is never read).
private func withPointers<T>(_ arrays: [T]..., body: ([UnsafePointer<T>]) -> Void) {
    let count = arrays.first?.count ?? 0
    let storage = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(arrays.count * count, 1))
    defer { storage.deallocate() }
    for (index, array) in arrays.enumerated() {
        (storage + index * count).initialize(from: array, count: count)
    }
    body((0..<arrays.count).map { UnsafePointer(storage + $0 * count) })
}
