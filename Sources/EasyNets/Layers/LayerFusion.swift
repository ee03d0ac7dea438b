/// Runs of consecutive layers that a ``Sequential`` computes as one op, in fewer passes over
/// memory than the layers one by one, with the same values to the bit: the one place where layer
/// patterns are recognized.
///
/// - `BatchNorm2d → ReLU → MaxPool2d` (windows inside the input: no padding, no partial window):
///   the normalization's passes also apply ReLU and pool, so neither the normalized nor the
///   activated tensor is written, and backward forms their gradients plane by plane in cache.
/// - `BatchNorm2d → ReLU` and `BatchNorm1d → ReLU`: the normalization's passes also apply ReLU.
/// - `Conv2d → BatchNorm2d` (and the runs above after it), when the normalization uses the batch's
///   statistics: the convolution sums each output plane's moments right after its image's
///   products, while they are in cache, so the normalization does not read its input for them.
///
/// Each layer keeps its state and checks as when called alone (the normalization's running
/// statistics, synchronized statistics, evaluation mode), and its parameter names are unchanged.
enum LayerFusion {
    /// The output of the run of `layers` starting at `index` that one op computes, and the number
    /// of layers it covers, or `nil` when no pattern starts there.
    static func run<Scalar: TensorScalar>(
        _ layers: [any Layer<Scalar>], at index: Int, input x: Tensor<Scalar>
    ) -> (output: Tensor<Scalar>, layerCount: Int)? {
        if let convolution = layers[index] as? Conv2d<Scalar>, x.rank == 4, index + 1 < layers.count,
           let norm = layers[index + 1] as? BatchNorm2d<Scalar>, norm.featureCount == convolution.outChannels,
           norm.isTraining || norm.runningMean == nil, norm.statisticsGroup == nil {
            let moments = PlaneMoments(batch: x.shape[0], channels: convolution.outChannels)
            let y = convolution(x, moments: moments)
            guard let (output, count) = normalization(layers, at: index + 1, input: y, moments: moments) else { return (y, 1) }
            return (output, count + 1)
        }
        return normalization(layers, at: index, input: x, moments: nil)
    }

    /// A batch normalization at `index` with what follows it in one op: ReLU (and max pooling), or
    /// nothing when `moments` of its input are at hand; `nil` when no pattern starts there.
    private static func normalization<Scalar: TensorScalar>(
        _ layers: [any Layer<Scalar>], at index: Int, input x: Tensor<Scalar>, moments: PlaneMoments?
    ) -> (output: Tensor<Scalar>, layerCount: Int)? {
        let normalization: BatchNorm1d<Scalar>, name: String
        if let layer = layers[index] as? BatchNorm2d<Scalar>, x.rank == 4, x.shape[1] == layer.featureCount {
            (normalization, name) = (layer.channelNorm, "BatchNorm2d")
        } else if let layer = layers[index] as? BatchNorm1d<Scalar>, x.rank == 2 || x.rank == 3, x.shape[1] == layer.featureCount {
            (normalization, name) = (layer, "BatchNorm1d")
        } else {
            return nil  // not a pattern, or an input the layer itself rejects with its own message
        }
        guard index + 1 < layers.count, layers[index + 1] is ReLU<Scalar> else {
            return moments.map { (normalization.batchNorm(x, layer: name, moments: $0), 1) }
        }
        if x.rank == 4, index + 2 < layers.count, let pool = layers[index + 2] as? MaxPool2d<Scalar>,
           let axes = windowAxes(input: Array(x.shape[2...]), kernelSize: pool.kernelSize, stride: pool.stride,
                                 dilation: pool.dilation, pads: pool.padding.map { ($0, $0) }, ceilMode: pool.ceilMode),
           axes.allSatisfy(\.liesInside), x.shape[2] * x.shape[3] <= Int(Int32.max) {
            let epilogue = NormalizationEpilogue.reluMaxPool(height: axes[0], width: axes[1])
            return (normalization.batchNorm(x, layer: name, epilogue: epilogue, moments: moments), 3)
        }
        return (normalization.batchNorm(x, layer: name, epilogue: .relu, moments: moments), 2)
    }
}

extension WindowAxis {
    /// Whether every window lies inside the input: no padding taken, and the last window ends
    /// inside (the windows the C max-pooling loop takes).
    var liesInside: Bool { padBefore == 0 && (output - 1) * stride + (kernel - 1) * dilation < input }
}
