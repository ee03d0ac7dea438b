import EasyNets

extension Conv2dDescription: ONNXExportable {
    /// `Conv` with the weight "weight" and bias "bias" as they are, `padding` as its `pads` ("same"
    /// pads the odd one after). Reflect and replicate padding are a `Pad` (reflect or edge) before a
    /// `Conv` without pads; circular padding, which opset 17's `Pad` lacks, is the `Slice`s that
    /// wrap around each spatial axis joined by a `Concat`.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        try exportConvolution(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: kernelSize, stride: stride,
                              padding: padding, paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias, to: &graph)
    }
}

extension Conv1dDescription: ONNXExportable {
    /// A 1-D `Conv`, padded as ``Conv2dDescription/exportONNX(_:to:)`` pads.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        try exportConvolution(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: [kernelSize],
                              stride: [stride], padding: padding, paddingMode: paddingMode, dilation: [dilation], groups: groups,
                              bias: bias, to: &graph)
    }
}

extension ConvTranspose2dDescription: ONNXExportable {
    /// `ConvTranspose` with the weight (in, out/groups, kh, kw), PyTorch's layout and ONNX's, its
    /// `pads` cutting `padding` from each side and `output_padding` adding to the bottom and right.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        try exportTransposedConvolution(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: kernelSize,
                                        stride: stride, padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups,
                                        bias: bias, to: &graph)
    }
}

extension ConvTranspose1dDescription: ONNXExportable {
    /// A 1-D `ConvTranspose`, as ``ConvTranspose2dDescription/exportONNX(_:to:)``.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        try exportTransposedConvolution(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: [kernelSize],
                                        stride: [stride], padding: [padding], outputPadding: [outputPadding], dilation: [dilation],
                                        groups: groups, bias: bias, to: &graph)
    }
}

/// The padding (before, after) of each spatial axis a convolution's `padding` gives a kernel of
/// `kernelSize` taps `dilation` apart: "same" pads dilation·(k − 1) in all, the odd one after, as
/// PyTorch does.
func convolutionPads(_ padding: ConvolutionPadding, kernelSize: [Int], dilation: [Int]) -> [(before: Int, after: Int)] {
    switch padding {
    case .valid: return kernelSize.map { _ in (0, 0) }
    case .same: return zip(kernelSize, dilation).map { k, d in let total = d * (k - 1); return (total / 2, total - total / 2) }
    case .explicit(let values): return values.map { ($0, $0) }
    }
}

/// A `Conv` of `input` (N, C, spatial…) with the current layer's "weight" and, with `bias`, "bias";
/// a padding mode other than zeros pads the input first and the `Conv` adds no padding.
private func exportConvolution(
    _ input: ONNXValue, outputShape: [Int], kernelSize: [Int], stride: [Int], padding: ConvolutionPadding,
    paddingMode: ConvolutionPaddingMode, dilation: [Int], groups: Int, bias: Bool, to graph: inout ONNXGraphBuilder
) throws -> ONNXValue {
    var pads = convolutionPads(padding, kernelSize: kernelSize, dilation: dilation)
    var x = input
    if paddingMode != .zeros && pads.contains(where: { $0.before > 0 || $0.after > 0 }) {
        x = paddingMode == .circular ? circularlyPadded(x, pads, to: &graph)
            : ONNXValue(graph.apply("Pad", x.name, graph.constant(int64: [0, 0] + pads.map(\.before) + [0, 0] + pads.map(\.after)),
                                    attributes: [.string("mode", paddingMode == .reflect ? "reflect" : "edge")]),
                        shape: Array(x.shape.prefix(2)) + zip(x.shape.dropFirst(2), pads).map { $0 + $1.before + $1.after })
        pads = pads.map { _ in (0, 0) }
    }
    let inputs = [x.name, try graph.parameter("weight")] + (bias ? [try graph.parameter("bias")] : [])
    let attributes: [ONNXAttribute] = [
        .ints("kernel_shape", kernelSize), .ints("strides", stride), .ints("pads", pads.map(\.before) + pads.map(\.after)),
        .ints("dilations", dilation), .int("group", groups),
    ]
    return ONNXValue(graph.node("Conv", inputs, attributes)[0], shape: outputShape)
}

/// `x` (N, C, spatial…) wrapped around each spatial axis by `pads` (each at most the axis's
/// extent): per axis, a `Concat` of the axis's last `before` elements, `x`, and its first `after`
/// elements, each cut out by a `Slice`. Padding one axis after another wraps the corners as
/// PyTorch's circular padding does.
private func circularlyPadded(_ x: ONNXValue, _ pads: [(before: Int, after: Int)], to graph: inout ONNXGraphBuilder) -> ONNXValue {
    var x = x
    for (offset, pad) in pads.enumerated() where pad.before > 0 || pad.after > 0 {
        let axis = 2 + offset, extent = x.shape[axis]
        func slice(_ range: Range<Int>, _ graph: inout ONNXGraphBuilder) -> String {
            graph.apply("Slice", x.name, graph.constant(int64: [range.lowerBound]), graph.constant(int64: [range.upperBound]),
                        graph.constant(int64: [axis]))
        }
        let parts = (pad.before > 0 ? [slice((extent - pad.before)..<extent, &graph)] : []) + [x.name]
            + (pad.after > 0 ? [slice(0..<pad.after, &graph)] : [])
        x.shape[axis] = extent + pad.before + pad.after
        x.name = graph.node("Concat", parts, [.int("axis", axis)])[0]
    }
    return x
}

/// A `ConvTranspose` of `input` with the current layer's "weight" (in, out/groups, kernel…) and,
/// with `bias`, "bias". ONNX Runtime takes an `output_padding` below the stride only; a wider one
/// (allowed below the dilation) cuts less from the end instead (`pads`), and the positions past
/// every kernel tap's reach, which hold the bias alone, are zeros added by a `Pad` before the bias.
private func exportTransposedConvolution(
    _ input: ONNXValue, outputShape: [Int], kernelSize: [Int], stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int],
    groups: Int, bias: Bool, to graph: inout ONNXGraphBuilder
) throws -> ONNXValue {
    let weight = try graph.parameter("weight")
    var attributes: [ONNXAttribute] = [.ints("kernel_shape", kernelSize), .ints("strides", stride), .ints("dilations", dilation),
                                       .int("group", groups)]
    guard zip(outputPadding, stride).contains(where: { $0 >= $1 }) else {
        attributes += [.ints("pads", padding + padding), .ints("output_padding", outputPadding)]
        let inputs = [input.name, weight] + (bias ? [try graph.parameter("bias")] : [])
        return ONNXValue(graph.node("ConvTranspose", inputs, attributes)[0], shape: outputShape)
    }
    let cutAfter = zip(padding, outputPadding).map { max($0 - $1, 0) }
    let beyond = zip(padding, outputPadding).map { max($1 - $0, 0) }
    attributes.append(.ints("pads", padding + cutAfter))
    if beyond.allSatisfy({ $0 == 0 }) {
        let inputs = [input.name, weight] + (bias ? [try graph.parameter("bias")] : [])
        return ONNXValue(graph.node("ConvTranspose", inputs, attributes)[0], shape: outputShape)
    }
    var output = graph.node("ConvTranspose", [input.name, weight], attributes)[0]
    let zeros = kernelSize.map { _ in 0 }
    output = graph.apply("Pad", output, graph.constant(int64: [0, 0] + zeros + [0, 0] + beyond))
    if bias {
        // The bias (out) as (out, 1, …), added along the channel axis.
        let channels = graph.apply("Reshape", try graph.parameter("bias"), graph.constant(int64: [-1] + kernelSize.map { _ in 1 }))
        output = graph.apply("Add", output, channels)
    }
    return ONNXValue(output, shape: outputShape)
}
