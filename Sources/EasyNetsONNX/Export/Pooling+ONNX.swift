import EasyNets

// Pooling windows are written with explicit pads and never ONNX's `ceil_mode`: a window that
// rounding up adds becomes padding after the input, so the output has exactly the windows
// EasyNets keeps (PyTorch drops a last window that would start in the right padding).

extension MaxPool2dDescription: ONNXExportable {
    /// `MaxPool` with explicit pads and no `ceil_mode`: a window that rounding up adds gets padding
    /// after the input; padding as wide as the kernel (a dilated window rounding up added) is a
    /// `Pad` of −∞ first.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        exportMaxPool(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: kernelSize, stride: stride,
                      padding: padding, dilation: dilation, to: &graph)
    }
}

extension MaxPool1dDescription: ONNXExportable {
    /// A 1-D `MaxPool`, as ``MaxPool2dDescription/exportONNX(_:to:)``.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        exportMaxPool(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: [kernelSize], stride: [stride],
                      padding: [padding], dilation: [dilation], to: &graph)
    }
}

extension AvgPool2dDescription: ONNXExportable {
    /// `AveragePool` with `count_include_pad` as ``countIncludePad``; when rounding up adds a window
    /// or ``divisorOverride`` is set, an `AveragePool` over the inputs alone (`count_include_pad` 0)
    /// and a `Mul` by each output's input count over EasyNets' divisor.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        exportAveragePool(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: kernelSize, stride: stride,
                          padding: padding, countIncludePad: countIncludePad, divisorOverride: divisorOverride, to: &graph)
    }
}

extension AvgPool1dDescription: ONNXExportable {
    /// A 1-D `AveragePool`, as ``AvgPool2dDescription/exportONNX(_:to:)``.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        exportAveragePool(input, outputShape: try graph.outputShape(of: self, for: input.shape), kernelSize: [kernelSize], stride: [stride],
                          padding: [padding], countIncludePad: countIncludePad, divisorOverride: nil, to: &graph)
    }
}

extension AdaptiveAvgPool2dDescription: ONNXExportable {
    /// `GlobalAveragePool` for a 1×1 output; `AveragePool` when every extent is a multiple of its
    /// output size; otherwise axis by axis (averages of averages over a rectangle are its average):
    /// `ReduceMean` of each window's `Slice`, joined by a `Concat`, on an axis whose windows differ
    /// in size or overlap.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        exportAdaptivePool(input, outputSize: outputSize, maximum: false, to: &graph)
    }
}

extension AdaptiveAvgPool1dDescription: ONNXExportable {
    /// A 1-D `GlobalAveragePool`, `AveragePool`, or `Slice`s, `ReduceMean`s and a `Concat`, as
    /// ``AdaptiveAvgPool2dDescription/exportONNX(_:to:)``.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        exportAdaptivePool(input, outputSize: [outputSize], maximum: false, to: &graph)
    }
}

extension AdaptiveMaxPool2dDescription: ONNXExportable {
    /// `GlobalMaxPool`, `MaxPool`, or `Slice`s, `ReduceMax`es and a `Concat` per axis, as
    /// ``AdaptiveAvgPool2dDescription/exportONNX(_:to:)`` averages.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        exportAdaptivePool(input, outputSize: outputSize, maximum: true, to: &graph)
    }
}

/// The padding after each spatial axis that makes a window without rounding up give `outputs`
/// windows: at least `padding`, more where EasyNets' rounding up added a window.
private func padsAfter(input: [Int], outputs: [Int], kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int]) -> [Int] {
    input.indices.map { axis in
        let span = dilation[axis] * (kernelSize[axis] - 1) + 1
        return max(padding[axis], (outputs[axis] - 1) * stride[axis] + span - input[axis] - padding[axis])
    }
}

/// A `MaxPool` of `input` (N, C, spatial…) with `padding` before and as much after as the
/// `outputShape` needs. ONNX Runtime takes pads below the kernel size only, so wider padding (a
/// dilated window rounding up added) is a `Pad` of −∞ first.
private func exportMaxPool(
    _ input: ONNXValue, outputShape: [Int], kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int],
    to graph: inout ONNXGraphBuilder
) -> ONNXValue {
    let extents = Array(input.shape.dropFirst(2))
    let after = padsAfter(input: extents, outputs: Array(outputShape.dropFirst(2)), kernelSize: kernelSize, stride: stride,
                          padding: padding, dilation: dilation)
    var x = input.name
    var pads = padding + after
    if zip(after, kernelSize).contains(where: { $0 >= $1 }) {
        x = graph.apply("Pad", x, graph.constant(int64: [0, 0] + padding + [0, 0] + after), graph.constant(-Float.infinity))
        pads = pads.map { _ in 0 }
    }
    let attributes: [ONNXAttribute] = [.ints("kernel_shape", kernelSize), .ints("strides", stride), .ints("pads", pads),
                                       .ints("dilations", dilation)]
    return ONNXValue(graph.node("MaxPool", [x], attributes)[0], shape: outputShape)
}

/// An `AveragePool` of `input` (N, C, spatial…). Without windows added by rounding up and without
/// `divisorOverride`, ONNX's `count_include_pad` divides as EasyNets does; otherwise the pool
/// averages the inputs alone and a `Mul` rescales each output to EasyNets' divisor: the window's
/// size within the padding with `countIncludePad`, or `divisorOverride`.
private func exportAveragePool(
    _ input: ONNXValue, outputShape: [Int], kernelSize: [Int], stride: [Int], padding: [Int], countIncludePad: Bool, divisorOverride: Int?,
    to graph: inout ONNXGraphBuilder
) -> ONNXValue {
    let extents = Array(input.shape.dropFirst(2)), outputs = Array(outputShape.dropFirst(2))
    let ones = kernelSize.map { _ in 1 }
    let after = padsAfter(input: extents, outputs: outputs, kernelSize: kernelSize, stride: stride, padding: padding, dilation: ones)
    let rescaled = after != padding || divisorOverride != nil
    let attributes: [ONNXAttribute] = [.ints("kernel_shape", kernelSize), .ints("strides", stride), .ints("pads", padding + after),
                                       .int("count_include_pad", countIncludePad && !rescaled ? 1 : 0)]
    let pooled = graph.node("AveragePool", [input.name], attributes)[0]
    guard rescaled else { return ONNXValue(pooled, shape: outputShape) }
    // Per axis and output: the inputs its window covers, and the positions it covers within the padding.
    let windows = extents.indices.map { axis in
        (0..<outputs[axis]).map { o -> (inputs: Int, padded: Int) in
            let start = o * stride[axis] - padding[axis], end = start + kernelSize[axis]
            return (min(end, extents[axis]) - max(start, 0), min(end, extents[axis] + padding[axis]) - start)
        }
    }
    var scales: [Float] = [1]
    for axis in windows {
        scales = scales.flatMap { scale in axis.map { scale * Float($0.inputs) / Float(countIncludePad ? $0.padded : $0.inputs) } }
    }
    if let divisorOverride {
        let counts = windows.reduce([1]) { counts, axis in counts.flatMap { count in axis.map { count * $0.inputs } } }
        scales = counts.map { Float(Double($0) / Double(divisorOverride)) }
    }
    if scales.allSatisfy({ $0 == 1 }) { return ONNXValue(pooled, shape: outputShape) }
    return ONNXValue(graph.apply("Mul", pooled, graph.constant(scales, shape: outputs)), shape: outputShape)
}

/// Adaptive pooling of `input` (N, C, spatial…) to `outputSize`, averaging or with `maximum` taking
/// the largest: a global pool, one pool of equal windows, or axis by axis (a rectangle's average is
/// the average of its rows' averages, its maximum that of its rows' maxima).
private func exportAdaptivePool(_ input: ONNXValue, outputSize: [Int], maximum: Bool, to graph: inout ONNXGraphBuilder) -> ONNXValue {
    let extents = Array(input.shape.dropFirst(2))
    let outputShape = Array(input.shape.prefix(2)) + outputSize
    if outputSize.allSatisfy({ $0 == 1 }) {
        return ONNXValue(graph.apply(maximum ? "GlobalMaxPool" : "GlobalAveragePool", input.name), shape: outputShape)
    }
    if zip(extents, outputSize).allSatisfy({ $0 % $1 == 0 }) {
        let kernel = zip(extents, outputSize).map { $0 / $1 }
        return ONNXValue(pooled(input.name, kernel: kernel, maximum: maximum, to: &graph), shape: outputShape)
    }
    var x = input
    for (offset, (extent, size)) in zip(extents, outputSize).enumerated() where extent != size {
        let axis = 2 + offset
        if extent % size == 0 {
            var kernel = extents.map { _ in 1 }
            kernel[offset] = extent / size
            x.name = pooled(x.name, kernel: kernel, maximum: maximum, to: &graph)
        } else {
            // PyTorch's windows: cell i spans ⌊i·extent/size⌋ ..< ⌈(i+1)·extent/size⌉.
            let cells = (0..<size).map { i -> String in
                let start = i * extent / size, end = ((i + 1) * extent + size - 1) / size
                let window = graph.apply("Slice", x.name, graph.constant(int64: [start]), graph.constant(int64: [end]),
                                         graph.constant(int64: [axis]))
                return graph.apply(maximum ? "ReduceMax" : "ReduceMean", window, attributes: [.ints("axes", [axis]), .int("keepdims", 1)])
            }
            x.name = cells.count == 1 ? cells[0] : graph.node("Concat", cells, [.int("axis", axis)])[0]
        }
        x.shape[axis] = size
    }
    return x
}

/// A `MaxPool` or `AveragePool` of `x` with non-overlapping windows of `kernel`.
private func pooled(_ x: String, kernel: [Int], maximum: Bool, to graph: inout ONNXGraphBuilder) -> String {
    graph.apply(maximum ? "MaxPool" : "AveragePool", x, attributes: [.ints("kernel_shape", kernel), .ints("strides", kernel)])
}
