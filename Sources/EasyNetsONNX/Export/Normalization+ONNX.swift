import EasyNets

// The normalizations as ONNX operators of opset 17: `LayerNormalization`, `BatchNormalization` and
// `InstanceNormalization` where opset 17 has the operator and inference uses it as ONNX defines
// it; otherwise (batch statistics in inference, group and RMS normalization) the formula EasyNets
// evaluates, spelled out with `ReduceMean`, `Sub`, `Mul`, `Add`, `Sqrt` and `Div`.

extension LayerNormDescription: ONNXExportable {
    /// `LayerNormalization` over the trailing axes with ε; its scale is `weight` and its bias
    /// `bias` (PyTorch's names), or a constant of ones and no bias without an affine transform.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let rank = input.shape.count
        guard rank > normalizedShape.count, Array(input.shape.suffix(normalizedShape.count)) == normalizedShape else {
            throw graph.error("LayerNorm normalizes trailing axes \(normalizedShape) after the batch axis, the input has shape \(input.shape)")
        }
        let count = normalizedShape.reduce(1, *)
        let inputs: [String]
        if elementwiseAffine {
            inputs = [input.name, try graph.parameter("weight"), try graph.parameter("bias")]
        } else {
            inputs = [input.name, graph.constant([Float](repeating: 1, count: count), shape: normalizedShape)]
        }
        let attributes: [ONNXAttribute] = [.int("axis", rank - normalizedShape.count), .float("epsilon", Float(epsilon))]
        return ONNXValue(graph.node("LayerNormalization", inputs, attributes)[0], shape: input.shape)
    }
}

extension BatchNorm1dDescription: ONNXExportable {
    /// `BatchNormalization` with the running statistics (`running_mean`, `running_var`); without
    /// running statistics the batch's mean and biased variance, as EasyNets uses them in inference too
    /// (`ReduceMean` over the batch and length axes). Without an affine transform the scale and bias
    /// are constants of ones and zeros.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard (input.shape.count == 2 || input.shape.count == 3) && input.shape[1] == featureCount else {
            throw graph.error("BatchNorm1d takes (N, \(featureCount)) or (N, \(featureCount), L), the input has shape \(input.shape)")
        }
        return try exportBatchNorm(input, channels: featureCount, epsilon: epsilon, affine: affine,
                                   runningStatistics: trackRunningStats, to: &graph)
    }
}

extension BatchNorm2dDescription: ONNXExportable {
    /// `BatchNormalization` with the running statistics (`running_mean`, `running_var`); without
    /// running statistics the batch's mean and biased variance, as EasyNets uses them in inference too
    /// (`ReduceMean` over the batch and spatial axes). Without an affine transform the scale and
    /// bias are constants of ones and zeros.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard input.shape.count == 4 && input.shape[1] == featureCount else {
            throw graph.error("BatchNorm2d takes (N, \(featureCount), H, W), the input has shape \(input.shape)")
        }
        return try exportBatchNorm(input, channels: featureCount, epsilon: epsilon, affine: affine,
                                   runningStatistics: trackRunningStats, to: &graph)
    }
}

extension InstanceNorm1dDescription: ONNXExportable {
    /// `InstanceNormalization`; with running statistics, which inference uses for every example,
    /// `BatchNormalization` with `running_mean` and `running_var`. Without an affine transform the
    /// scale and bias are constants of ones and zeros.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard input.shape.count == 3 && input.shape[1] == featureCount else {
            throw graph.error("InstanceNorm1d takes (N, \(featureCount), L), the input has shape \(input.shape)")
        }
        return try exportInstanceNorm(input, channels: featureCount, epsilon: epsilon, affine: affine,
                                      runningStatistics: trackRunningStats, to: &graph)
    }
}

extension InstanceNorm2dDescription: ONNXExportable {
    /// `InstanceNormalization`; with running statistics, which inference uses for every example,
    /// `BatchNormalization` with `running_mean` and `running_var`. Without an affine transform the
    /// scale and bias are constants of ones and zeros.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard input.shape.count == 4 && input.shape[1] == featureCount else {
            throw graph.error("InstanceNorm2d takes (N, \(featureCount), H, W), the input has shape \(input.shape)")
        }
        return try exportInstanceNorm(input, channels: featureCount, epsilon: epsilon, affine: affine,
                                      runningStatistics: trackRunningStats, to: &graph)
    }
}

extension GroupNormDescription: ONNXExportable {
    /// Opset 17 has no `GroupNormalization`: `Reshape` to (N, G, rest), `ReduceMean` for the mean
    /// and the biased variance of each group, (x − mean) / `Sqrt`(var + ε), `Reshape` back, then
    /// `Mul` by `weight` and `Add` of `bias` per channel (reshaped to broadcast over positions).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard input.shape.count >= 2 && input.shape[1] == channelCount, groupCount >= 1, channelCount % groupCount == 0 else {
            throw graph.error("GroupNorm takes (N, \(channelCount), …) in \(groupCount) groups, the input has shape \(input.shape)")
        }
        let grouped = graph.apply("Reshape", input.name, graph.constant(int64: [0, groupCount, -1]))
        let normalized = normalize(grouped, overAxes: [2], epsilon: epsilon, to: &graph)
        let restored = graph.apply("Reshape", normalized, graph.constant(int64: [0] + input.shape.dropFirst()))
        return try applyChannelAffine(restored, shape: input.shape, affine: affine, to: &graph)
    }
}

extension RMSNormDescription: ONNXExportable {
    /// Opset 17 has no `RMSNormalization`: x / `Sqrt`(`ReduceMean`(x·x) + ε) over the trailing axes,
    /// then `Mul` by `weight`. Without an ε the export's is Float's machine epsilon, as the Float
    /// model uses.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let rank = input.shape.count
        guard rank > normalizedShape.count, Array(input.shape.suffix(normalizedShape.count)) == normalizedShape else {
            throw graph.error("RMSNorm normalizes trailing axes \(normalizedShape) after the batch axis, the input has shape \(input.shape)")
        }
        let axes = Array((rank - normalizedShape.count)..<rank)
        let square = graph.apply("Mul", input.name, input.name)
        let meanSquare = graph.apply("ReduceMean", square, attributes: [.ints("axes", axes), .int("keepdims", 1)])
        let shifted = graph.apply("Add", meanSquare, graph.constant(Float(epsilon ?? Double(Float.ulpOfOne))))
        var output = graph.apply("Div", input.name, graph.apply("Sqrt", shifted))
        if elementwiseAffine { output = graph.apply("Mul", output, try graph.parameter("weight")) }
        return ONNXValue(output, shape: input.shape)
    }
}

// MARK: Shared pieces

/// Batch normalization of (N, C, …) `input`: `BatchNormalization` with the running statistics, or
/// with the batch's own statistics spelled out.
private func exportBatchNorm(
    _ input: ONNXValue, channels: Int, epsilon: Double, affine: Bool, runningStatistics: Bool, to graph: inout ONNXGraphBuilder
) throws -> ONNXValue {
    if runningStatistics { return try runningBatchNorm(input, channels: channels, epsilon: epsilon, affine: affine, to: &graph) }
    let axes = [0] + Array(2..<input.shape.count)
    let normalized = normalize(input.name, overAxes: axes, epsilon: epsilon, to: &graph)
    return try applyChannelAffine(normalized, shape: input.shape, affine: affine, to: &graph)
}

/// Instance normalization of (N, C, …) `input`: `InstanceNormalization`, or `BatchNormalization`
/// with the running statistics when inference uses them.
private func exportInstanceNorm(
    _ input: ONNXValue, channels: Int, epsilon: Double, affine: Bool, runningStatistics: Bool, to graph: inout ONNXGraphBuilder
) throws -> ONNXValue {
    if runningStatistics { return try runningBatchNorm(input, channels: channels, epsilon: epsilon, affine: affine, to: &graph) }
    let (scale, bias) = try scaleAndBias(channels: channels, affine: affine, to: &graph)
    let output = graph.node("InstanceNormalization", [input.name, scale, bias], [.float("epsilon", Float(epsilon))])[0]
    return ONNXValue(output, shape: input.shape)
}

/// `BatchNormalization` (inference mode) of `input` with `running_mean` and `running_var`.
private func runningBatchNorm(
    _ input: ONNXValue, channels: Int, epsilon: Double, affine: Bool, to graph: inout ONNXGraphBuilder
) throws -> ONNXValue {
    let (scale, bias) = try scaleAndBias(channels: channels, affine: affine, to: &graph)
    let inputs = [input.name, scale, bias, try graph.parameter("running_mean"), try graph.parameter("running_var")]
    return ONNXValue(graph.node("BatchNormalization", inputs, [.float("epsilon", Float(epsilon))])[0], shape: input.shape)
}

/// The scale and bias inputs of a per-channel normalization operator: `weight` and `bias`, or
/// constants of ones and zeros without an affine transform.
private func scaleAndBias(channels: Int, affine: Bool, to graph: inout ONNXGraphBuilder) throws -> (scale: String, bias: String) {
    if affine { return (try graph.parameter("weight"), try graph.parameter("bias")) }
    return (graph.constant([Float](repeating: 1, count: channels), shape: [channels]),
            graph.constant([Float](repeating: 0, count: channels), shape: [channels]))
}

/// (x − mean) / √(var + ε) with the mean and biased variance over `axes` (kept for broadcasting),
/// as EasyNets computes it: the variance is the mean of the centered squares.
private func normalize(_ x: String, overAxes axes: [Int], epsilon: Double, to graph: inout ONNXGraphBuilder) -> String {
    let reduce: [ONNXAttribute] = [.ints("axes", axes), .int("keepdims", 1)]
    let centered = graph.apply("Sub", x, graph.apply("ReduceMean", x, attributes: reduce))
    let variance = graph.apply("ReduceMean", graph.apply("Mul", centered, centered), attributes: reduce)
    let deviation = graph.apply("Sqrt", graph.apply("Add", variance, graph.constant(Float(epsilon))))
    return graph.apply("Div", centered, deviation)
}

/// `y · weight + bias` per channel (axis 1) of a value of `shape`, the parameters reshaped to
/// (C, 1, …) to broadcast over positions; `y` unchanged without an affine transform.
private func applyChannelAffine(_ y: String, shape: [Int], affine: Bool, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
    guard affine else { return ONNXValue(y, shape: shape) }
    let perChannel = graph.constant(int64: [shape[1]] + Array(repeating: 1, count: shape.count - 2))
    let weight = graph.apply("Reshape", try graph.parameter("weight"), perChannel)
    let bias = graph.apply("Reshape", try graph.parameter("bias"), perChannel)
    return ONNXValue(graph.apply("Add", graph.apply("Mul", y, weight), bias), shape: shape)
}
